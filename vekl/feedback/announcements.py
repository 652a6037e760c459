"""The organisers write to the news subscribers: later rounds, the city's international
meet-ups.

One announcement is a subject and a text in German, and optionally in English, Arabic and
Ukrainian. Each subscriber gets it once, in their language, or in German where the
organisers wrote no version in it; every mail carries the subscriber's link that ends these
mails. The announcement's identity is a digest of what it says: the same announcement sent
again (the form posted twice, the command run twice) reaches nobody a second time, because
each mail's dedupe key holds that digest and the subscriber.

The audit log keeps who sent it, when and to how many, by language: not the text, not the
addresses. The mails are in the outbox (without a round, so no round's purge takes them).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from notifications import kinds
from notifications.i18n import DEFAULT_LANGUAGE, SUPPORTED_LANGUAGES, normalise_language
from notifications.messages import render_parts
from notifications.models import Recipient
from vekl.access import links
from vekl.audit import records as audit
from vekl.errors import Conflict, FieldError, InvalidInput
from vekl.feedback import errors, mails, news
from vekl.mail.recipients import programme
from vekl.settings import Settings
from vekl.store.models import NewsSubscriber, OutboxMail

MAIL_KIND = "news_announcement"
AUDIT_ACTION = "news.announce"
LANGUAGES: tuple[str, ...] = SUPPORTED_LANGUAGES
"""The languages a version can be written in; German first, and always there."""
SUBJECT_MAX = kinds.ANNOUNCEMENT_SUBJECT_MAX
TEXT_MAX = kinds.ANNOUNCEMENT_TEXT_MAX
PREVIEW_TOKEN = "VORSCHAU"
"""Stands for a subscriber's own token in the previewed withdraw link."""

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


@dataclass(frozen=True)
class Version:
    """The announcement in one language."""

    subject: str
    text: str


@dataclass(frozen=True)
class Announcement:
    """What the organisers wrote, checked: ``versions`` holds German and the languages they
    wrote a version in."""

    versions: Mapping[str, Version]

    def version_for(self, language: str) -> str:
        """The language a subscriber of ``language`` reads it in: theirs, else German."""
        lang = normalise_language(language)
        return lang if lang in self.versions else DEFAULT_LANGUAGE

    @property
    def key(self) -> str:
        """A short digest of every version: the same announcement has the same key."""
        canonical = json.dumps(
            {lang: [v.subject, v.text] for lang, v in self.versions.items()},
            sort_keys=True,
            ensure_ascii=False,
        )
        digest = hashlib.sha256(canonical.encode()).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")[:22]

    def fields(self) -> dict[str, str]:
        """The form's fields that give this announcement again (for the confirmation)."""
        out: dict[str, str] = {}
        for lang, version in self.versions.items():
            out[f"subject_{lang}"] = version.subject
            out[f"text_{lang}"] = version.text
        return out


def _text(value: str | None) -> str:
    return (value or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def parse(form: Mapping[str, str]) -> Announcement:
    """The announcement from the fields ``subject_<lang>`` and ``text_<lang>``; every
    problem at once, each naming its field. German is required; another language is
    written in full (subject and text) or left out."""
    problems: list[FieldError] = []
    versions: dict[str, Version] = {}
    for lang in LANGUAGES:
        subject_field, text_field = f"subject_{lang}", f"text_{lang}"
        subject = _text(form.get(subject_field))
        text = _text(form.get(text_field))
        found: list[FieldError] = []
        if lang == DEFAULT_LANGUAGE:
            if not subject:
                found.append(FieldError(subject_field, errors.SUBJECT_REQUIRED))
            if not text:
                found.append(FieldError(text_field, errors.TEXT_REQUIRED))
        elif not subject and not text:
            continue
        elif not text:
            found.append(FieldError(text_field, errors.SUBJECT_WITHOUT_TEXT))
        elif not subject:
            found.append(FieldError(subject_field, errors.TEXT_WITHOUT_SUBJECT))
        if _CONTROL.search(subject):
            found.append(FieldError(subject_field, errors.SUBJECT_ONE_LINE))
        if len(subject) > SUBJECT_MAX:
            found.append(
                FieldError(subject_field, errors.SUBJECT_TOO_LONG, params={"max": SUBJECT_MAX})
            )
        if len(text) > TEXT_MAX:
            found.append(FieldError(text_field, errors.TEXT_TOO_LONG, params={"max": TEXT_MAX}))
        problems += found
        if not found:
            versions[lang] = Version(subject, text)
    if problems:
        raise InvalidInput(problems)
    return Announcement(versions)


def _mail(
    announcement: Announcement, lang: str, email: str, withdraw_url: str
) -> kinds.NewsAnnouncement:
    version = announcement.versions[lang]
    return kinds.NewsAnnouncement(
        recipient=Recipient(email=email, language=lang),
        subject=version.subject,
        text=version.text,
        withdraw_url=withdraw_url,
    )


def _dedupe_key(announcement: Announcement, subscriber: NewsSubscriber) -> str:
    return f"news:{announcement.key}:{subscriber.id}"


@dataclass(frozen=True)
class Shown:
    """One language's version as a subscriber reads it, and how many get it."""

    language: str
    readers: int
    """Subscribers who get this version (still to get it, and those who already have)."""
    fallback: int
    """Of them, readers of a language without a version of its own."""
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class Preview:
    """What sending would do: each version as its readers see it, who gets which."""

    announcement: Announcement
    shown: list[Shown]
    subscribers: int
    already: int
    """Subscribers who got this announcement before; they do not get it again."""

    @property
    def to_send(self) -> int:
        return self.subscribers - self.already


def _subscribers(session: Session, *, lock: bool = False) -> list[NewsSubscriber]:
    query = select(NewsSubscriber).order_by(NewsSubscriber.id)
    if lock:
        # Two sends of one announcement at once take turns, so the second sees the
        # first one's mails (their dedupe keys) and queues none of them again.
        query = query.with_for_update()
    return list(session.scalars(query))


def subscriber_counts(session: Session) -> dict[str, int]:
    """How many subscribers read which language (as their mails are written)."""
    counts: Counter[str] = Counter()
    for language, n in session.execute(
        select(NewsSubscriber.language, func.count()).group_by(NewsSubscriber.language)
    ):
        counts[normalise_language(language)] += int(n)
    return {lang: counts.get(lang, 0) for lang in LANGUAGES}


def preview(
    session: Session, settings: Settings, announcement: Announcement, now: datetime
) -> Preview:
    """Each version rendered as the mail its readers get (with a stand-in for their withdraw
    link), and how many subscribers get each. Changes nothing."""
    people = _subscribers(session)
    readers: Counter[str] = Counter()
    fallback: Counter[str] = Counter()
    for person in people:
        lang = announcement.version_for(person.language)
        readers[lang] += 1
        if lang != re.split(r"[-_]", person.language.strip().lower())[0]:
            fallback[lang] += 1
    keys = [_dedupe_key(announcement, person) for person in people]
    already = 0
    if keys:
        already = int(
            session.scalar(
                select(func.count()).select_from(OutboxMail).where(OutboxMail.dedupe_key.in_(keys))
            )
            or 0
        )
    sender = programme(settings)
    sample_link = links.news_withdraw_url(settings, PREVIEW_TOKEN)
    shown = []
    for lang in announcement.versions:
        parts = render_parts(_mail(announcement, lang, sender.email, sample_link), sender, now=now)
        shown.append(
            Shown(lang, readers[lang], fallback[lang], parts.subject, parts.text, parts.html)
        )
    return Preview(announcement, shown, len(people), already)


@dataclass(frozen=True)
class Announced:
    """How many mails were queued, by the language they are written in."""

    by_language: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_language.values())


def send(
    session: Session,
    settings: Settings,
    announcement: Announcement,
    now: datetime,
    actor: str,
) -> Announced:
    """Queue the announcement for every subscriber who has not had it, in the caller's
    transaction (the mails leave after the commit), and record it in the audit log.

    Refused, changing nothing, when there is nobody to write to, or when every subscriber
    has had this announcement already.
    """
    people = _subscribers(session, lock=True)
    if not people:
        raise Conflict(errors.NO_SUBSCRIBERS)
    queued: Counter[str] = Counter()
    for person in people:
        lang = announcement.version_for(person.language)
        mail = _mail(announcement, lang, person.email, news.withdraw_url(settings, person.email))
        if mails.queue(
            session,
            settings,
            mail,
            kind=MAIL_KIND,
            now=now,
            round=None,
            dedupe_key=_dedupe_key(announcement, person),
        ):
            queued[lang] += 1
    if not queued:
        raise Conflict(errors.ALREADY_ANNOUNCED)
    by_language = {lang: queued[lang] for lang in announcement.versions if queued[lang]}
    audit.record(
        session, actor, AUDIT_ACTION, count=sum(by_language.values()), languages=by_language
    )
    return Announced(by_language)
