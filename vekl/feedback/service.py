"""The survey after the last evening: invitations, answers, and what the city may see of them.

An answer is stored with the round, the kind of respondent (citizen, newcomer, moderator)
and the day, and nothing else; the invitation keeps only that it was answered. Answering
rewrites every invitation of the round in one statement, so not even the database's own
row versions tell whose invitation changed along with which answer. See
``docs/adr/0021-anonymous-feedback.md``.
"""

from __future__ import annotations

import hmac
import secrets
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from notifications import kinds
from notifications.i18n import normalise_language
from vekl.access import links, tokens
from vekl.audit import records as audit
from vekl.errors import Conflict
from vekl.feedback import contacts, errors, mails, queries
from vekl.feedback.schemas import Answers, Sent, Status, Survey, parse_answers
from vekl.mail.recipients import moderator_recipient, participant_recipient
from vekl.rounds import service as rounds
from vekl.settings import Settings
from vekl.store.models import (
    Moderator,
    Participant,
    RegistrationStatus,
    Round,
    RoundStatistics,
    SurveyAnswer,
    SurveyInvitation,
)

MAIL_KIND = "survey"
RESPONDENTS = ("citizen", "newcomer", "moderator")


closes_at = queries.closes_at


def _invite(
    session: Session,
    settings: Settings,
    round: Round,
    holder: Participant | Moderator,
    closing: datetime,
    now: datetime,
) -> bool:
    is_participant = isinstance(holder, Participant)
    key = f"survey:{'p' if is_participant else 'm'}{holder.id}"
    if mails.already_queued(session, key):
        return False
    column = SurveyInvitation.participant_id if is_participant else SurveyInvitation.moderator_id
    if session.scalar(select(SurveyInvitation.id).where(column == holder.id)) is not None:
        return False
    token = secrets.token_urlsafe(tokens.TOKEN_BYTES)
    session.add(
        SurveyInvitation(
            round_id=round.id,
            participant_id=holder.id if is_participant else None,
            moderator_id=None if is_participant else holder.id,
            token_hash=tokens.token_hash(token),
            answered=False,
            closes_at=closing,
        )
    )
    lang = normalise_language(holder.preferred_language)
    extra: dict[str, Any] = {}
    if isinstance(holder, Participant):
        recipient = participant_recipient(holder)
        page = tokens.link_token(holder, settings.secret_key)
        extra["contacts_url"] = f"{links.contacts_url(settings, page)}?lang={lang}"
    else:
        recipient = moderator_recipient(holder)
    mail = kinds.SurveyInvitation(
        recipient=recipient,
        round_name=round.name_in(lang),
        survey_url=f"{links.survey_url(settings, token)}?lang={lang}",
        closes_at=closing,
        for_moderator=not is_participant,
        **extra,
    )
    mails.queue(
        session,
        settings,
        mail,
        kind=MAIL_KIND,
        now=now,
        round=round,
        dedupe_key=key,
        participant=holder if isinstance(holder, Participant) else None,
        moderator=holder if isinstance(holder, Moderator) else None,
        not_after=closing,
    )
    return True


def send_invitations(session: Session, round: Round, settings: Settings, now: datetime) -> Sent:
    """Invite every placed member and moderator of each group whose last evening is over.

    Each person is invited once, however often this runs: their invitation row and the
    mail's dedupe key both stand in the way of a second one. A survey that has closed
    already invites nobody.
    """
    if round.purged_at is not None:
        return Sent()
    participants = moderators = 0
    seen_moderators: set[int] = set()
    for group in queries.finished_groups(session, round, now):
        closing = closes_at(group, settings)
        if closing is None or closing <= now:
            continue
        for member in group.members:
            person = member.participant
            if person.status == RegistrationStatus.PLACED and _invite(
                session, settings, round, person, closing, now
            ):
                participants += 1
        for moderator in group.moderators:
            if moderator.id in seen_moderators:
                continue
            seen_moderators.add(moderator.id)
            if _invite(session, settings, round, moderator, closing, now):
                moderators += 1
    session.flush()
    return Sent(participants=participants, moderators=moderators)


def send_due_invitations(session: Session, settings: Settings, now: datetime) -> Sent:
    """For the worker (with ``VEKL_SURVEY_AUTOSEND``): every round's due invitations."""
    participants = moderators = 0
    for round in session.scalars(select(Round).where(Round.purged_at.is_(None)).order_by(Round.id)):
        sent = send_invitations(session, round, settings, now)
        participants += sent.participants
        moderators += sent.moderators
    return Sent(participants=participants, moderators=moderators)


def _open_invitation(session: Session, token: str) -> SurveyInvitation:
    """The invitation a survey link belongs to, while it is unused; else the one clear error."""
    if not tokens.well_formed(token):
        raise Conflict(errors.SURVEY_LINK_SPENT)
    digest = tokens.token_hash(token)
    found = queries.invitation_by_hash(session, digest)
    if (
        found is None
        or found.token_hash is None
        or not hmac.compare_digest(found.token_hash, digest)
        or session.get_one(Round, found.round_id).purged_at is not None
    ):
        raise Conflict(errors.SURVEY_LINK_SPENT)
    return found


def _respondent(invitation: SurveyInvitation) -> str:
    if invitation.participant is not None:
        return invitation.participant.role.value
    return "moderator"


def survey(session: Session, token: str, now: datetime) -> Survey:
    """What the survey page shows; a used, unknown or closed link is refused. Changes nothing."""
    invitation = _open_invitation(session, token)
    if now > invitation.closes_at:
        raise Conflict(errors.SURVEY_CLOSED)
    round = session.get_one(Round, invitation.round_id)
    holder = invitation.participant or invitation.moderator
    assert holder is not None
    return Survey(
        round_name=round.name_in(holder.preferred_language),
        for_moderator=invitation.moderator_id is not None,
        closes_at=invitation.closes_at,
        language=holder.preferred_language,
    )


def answer(
    session: Session, token: str, form: Mapping[str, str], settings: Settings, now: datetime
) -> None:
    """Store one anonymous answer and spend the link, in the caller's transaction.

    Refused, changing nothing, when the link was used or is unknown, when the survey has
    closed, or when an answer is missing (every problem named by its field).
    """
    answer_invitation(session, _open_invitation(session, token), form, settings, now)


def answer_invitation(
    session: Session,
    invitation: SurveyInvitation,
    form: Mapping[str, str],
    settings: Settings,
    now: datetime,
) -> None:
    """:func:`answer` for an invitation in hand: for the demo's synthetic answers. People
    answer only through :func:`answer`, with their link."""
    if invitation.token_hash is None:
        raise Conflict(errors.SURVEY_LINK_SPENT)
    if now > invitation.closes_at:
        raise Conflict(errors.SURVEY_CLOSED)
    parsed = parse_answers(form, for_moderator=invitation.moderator_id is not None)
    respondent = _respondent(invitation)
    round_id = invitation.round_id
    # Spend the link: only one of two simultaneous answers with it gets the row.
    spent = session.execute(
        update(SurveyInvitation)
        .where(
            SurveyInvitation.id == invitation.id,
            SurveyInvitation.token_hash == invitation.token_hash,
        )
        .values(token_hash=None, answered=True),
        execution_options={"synchronize_session": False},
    )
    if getattr(spent, "rowcount", 0) != 1:
        raise Conflict(errors.SURVEY_LINK_SPENT)
    # Then every invitation of the round is written again in this transaction, so the row
    # versions (PostgreSQL's xmin, ctid) no longer single out the one that was answered.
    session.execute(
        update(SurveyInvitation)
        .where(SurveyInvitation.round_id == round_id)
        .values(answered=SurveyInvitation.answered),
        execution_options={"synchronize_session": False},
    )
    session.add(_answer_row(round_id, respondent, parsed, settings, now))
    session.flush()
    session.expire_all()


def _answer_row(
    round_id: int, respondent: str, parsed: Answers, settings: Settings, now: datetime
) -> SurveyAnswer:
    return SurveyAnswer(
        # A random key: neither it nor, on SQLite (no rowid), the storage order follows the
        # order in which people answered.
        id=secrets.token_hex(16),
        round_id=round_id,
        respondent=respondent,
        # The day only, in the city's time zone.
        answered_on=now.astimezone(settings.zone).date(),
        satisfaction=parsed.satisfaction,
        comment=parsed.comment,
        **parsed.yes_no,
    )


def status(session: Session, round: Round, settings: Settings, now: datetime) -> Status:
    """How many were invited and answered, by kind of respondent, and how many are due."""
    invited: Counter[str] = Counter()
    answered: Counter[str] = Counter()
    for invitation in queries.invitations(session, round):
        kind = _respondent(invitation)
        invited[kind] += 1
    for kind, count in session.execute(
        select(SurveyAnswer.respondent, func.count())
        .where(SurveyAnswer.round_id == round.id)
        .group_by(SurveyAnswer.respondent)
    ):
        answered[kind] = int(count)
    due = 0
    if round.purged_at is None:
        have_p = {i.participant_id for i in queries.invitations(session, round)}
        have_m = {i.moderator_id for i in queries.invitations(session, round)}
        counted: set[int] = set()
        for group in queries.finished_groups(session, round, now):
            closing = closes_at(group, settings)
            if closing is None or closing <= now:
                continue
            due += sum(
                1
                for m in group.members
                if m.participant.status == RegistrationStatus.PLACED
                and m.participant_id not in have_p
            )
            for moderator in group.moderators:
                if moderator.id not in have_m and moderator.id not in counted:
                    counted.add(moderator.id)
                    due += 1
    return Status(invited=dict(invited), answered=dict(answered), due=due)


def _share(values: list[bool | None]) -> dict[str, int]:
    return {
        "yes": sum(1 for v in values if v is True),
        "no": sum(1 for v in values if v is False),
    }


def aggregates(session: Session, round: Round) -> dict[str, Any]:
    """The round's feedback in figures, for the monitoring report: no names, no comments.

    Before the purge the mutual pairs are counted from the choices; afterwards (the choices
    are gone with the people) from the figures the purge kept.
    """
    rows = queries.answers(session, round)
    people = [r for r in rows if r.respondent != "moderator"]
    leaders = [r for r in rows if r.respondent == "moderator"]
    if round.purged_at is None:
        pairs = contacts.mutual_pairs(session, round)
    else:
        kept = session.get(RoundStatistics, round.id)
        stored = (kept.data if kept is not None else {}).get("feedback", {})
        pairs = {
            "mutual_pairs": int(stored.get("mutual_pairs", 0)),
            "citizen_newcomer_pairs": int(stored.get("citizen_newcomer_pairs", 0)),
        }
    return {
        "answers": len(people),
        "answers_by_role": dict(sorted(Counter(r.respondent for r in people).items())),
        "satisfaction": {
            str(n): sum(1 for r in people if r.satisfaction == n) for n in range(1, 6)
        },
        "met_someone_new": _share([r.met_someone_new for r in people]),
        "would_recommend": _share([r.would_recommend for r in people]),
        "stay_in_touch": _share([r.stay_in_touch for r in people]),
        "moderator_answers": len(leaders),
        "moderator_satisfaction": {
            str(n): sum(1 for r in leaders if r.satisfaction == n) for n in range(1, 6)
        },
        "group_talked_freely": _share([r.group_talked_freely for r in leaders]),
        "moderate_again": _share([r.moderate_again for r in leaders]),
        **pairs,
    }


def comments(session: Session, round: Round) -> list[str]:
    """The comments, for the organisers to read, in no telling order."""
    return sorted(r.comment for r in queries.answers(session, round) if r.comment)


def forget_personal(session: Session, round: Round) -> None:
    """At the purge: invitations, contact choices and comments go; the figures stay."""
    session.execute(
        delete(SurveyInvitation).where(SurveyInvitation.round_id == round.id),
        execution_options={"synchronize_session": False},
    )
    contacts.forget(session, round)
    session.execute(
        update(SurveyAnswer).where(SurveyAnswer.round_id == round.id).values(comment=None),
        execution_options={"synchronize_session": False},
    )


@dataclass(frozen=True)
class Overview:
    """The organisers' feedback page and ``vekl feedback status``: counts and figures only."""

    round: Round
    status: Status
    figures: dict[str, Any]
    comments: list[str]


def overview(session: Session, slug: str, settings: Settings, now: datetime) -> Overview:
    round = rounds.get_round(session, slug)
    return Overview(
        round=round,
        status=status(session, round, settings, now),
        figures=aggregates(session, round),
        comments=comments(session, round),
    )


def send(session: Session, slug: str, settings: Settings, now: datetime, actor: str) -> Sent:
    """The organisers' "send the survey" (page and command): every invitation that is due."""
    round = rounds.get_round(session, slug)
    sent = send_invitations(session, round, settings, now)
    audit.record(
        session,
        actor,
        "feedback.send",
        round=round,
        subject=round.slug,
        participants=sent.participants,
        moderators=sent.moderators,
    )
    return sent
