"""Sample data for the notification tests: one group in Konstanz, people in four languages."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from notifications.identifiers import event_uid
from notifications.kinds import (
    CancellationReason,
    EveningReminder,
    EveningsCancelled,
    GroupChange,
    GroupChanged,
    GroupInvitation,
    GroupMoved,
    Mail,
    ModeratorLink,
    ModeratorRoster,
    MoveReason,
    NewsAnnouncement,
    NewsSubscribed,
    RegistrationConfirmation,
    SelfServiceLink,
    StayInTouch,
    SurveyInvitation,
    WaitingList,
    WithdrawalConfirmed,
)
from notifications.models import Contact, Evening, GroupInfo, Programme, Recipient, RosterMember

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 5, 2, 9, 30, tzinfo=UTC)
LANGUAGES = ("de", "en", "ar", "uk")

CONTACT = Contact(
    controller_name="Stadt Konstanz, Amt für Migration und Integration",
    controller_address="Kanzleistraße 15, 78462 Konstanz",
    email="dialog@konstanz.example",
    phone="+49 7531 000-0000",
    privacy_officer="Datenschutzbeauftragte der Stadt Konstanz",
    privacy_officer_contact="datenschutz@konstanz.example",
    imprint_url="https://www.konstanz.example/impressum",
)
PROGRAMME = Programme(
    email="vekl@konstanz.example",
    reply_to="team@konstanz.example",
    website_url="https://vekl.konstanz.example/",
    contact=CONTACT,
)

CONFIRM_URL = "https://vekl.konstanz.example/confirm/CONFIRM-TOKEN-1f3a9"
SELF_SERVICE_URL = "https://vekl.konstanz.example/me/SELF-TOKEN-77c2e"
FEED_URL = "webcal://vekl.konstanz.example/feed/FEED-TOKEN-0b5d1.ics"
MODERATOR_URL = "https://vekl.konstanz.example/moderator/MODERATOR-TOKEN-4e8a0"
SURVEY_URL = "https://vekl.konstanz.example/survey/SURVEY-TOKEN-9d2b7"
WITHDRAW_NEWS_URL = "https://vekl.konstanz.example/news/NEWS-TOKEN-3c8e1"
SECRETS = ("CONFIRM-TOKEN-1f3a9", "SELF-TOKEN-77c2e", "FEED-TOKEN-0b5d1", "MODERATOR-TOKEN-4e8a0")

# What an organiser might type: markup and quotes stay text, in HTML too. After the greeting
# with a comma the text goes on in lower case; after Ukrainian's "Добрий день!" it does not.
ANNOUNCEMENT_SUBJECT = "Neue Runde im Herbst"
ANNOUNCEMENT_TEXTS = {
    "de": "die nächste Runde beginnt im Oktober.\n<b>Anmeldung</b> ab 1. September.\n\n"
    'Tipp: "Café International" am Samstag.',
    "en": "the next round starts in October.\n<b>Registration</b> opens on 1 September.\n\n"
    'Tip: "Café International" on Saturday.',
    "ar": "تبدأ الجولة القادمة في أكتوبر.\n<b>التسجيل</b> من 1 سبتمبر.",
    "uk": "Наступний раунд починається в жовтні.\n<b>Реєстрація</b> з 1 вересня.",
}

ARABIC_NOTE = "يرجى إحضار طبق صغير لمشاركته مع الآخرين، وكثير من الفضول والرغبة في الحوار"
UKRAINIAN_LABEL = "Зустрічі над Рейном — Констанц"

RECIPIENTS = {
    "de": Recipient(name="Anna Müller", first_name="Anna", email="anna@example.org", language="de"),
    "en": Recipient(
        name="John O'Brien", first_name="John", email="john@example.org", language="en-GB"
    ),
    "ar": Recipient(name="ليلى حسن", first_name="ليلى", email="layla@example.org", language="ar"),
    "uk": Recipient(
        name="Олена Шевченко", first_name="Олена", email="olena@example.org", language="uk"
    ),
}
MODERATOR = Recipient(
    name="Miriam Okafor", first_name="Miriam", email="miriam@example.org", language="de"
)


def evening(month: int, day: int, slot: int, *, person: str = "p-17") -> Evening:
    """An evening 18:00-21:15 in Konstanz; its UID is derived from opaque ids only."""
    return Evening(
        uid=event_uid(person, "series-3", slot, domain=PROGRAMME.domain),
        start=datetime(2026, month, day, 18, 0, tzinfo=BERLIN),
        end=datetime(2026, month, day, 21, 15, tzinfo=BERLIN),
        venue_name="Treffpunkt Petershausen",
        venue_address="Georg-Elser-Platz 1, 78467 Konstanz",
        step_free=slot != 2,
    )


def group(person: str = "p-17", **changes: object) -> GroupInfo:
    """Three evenings in May and one after the switch to winter time."""
    fields: dict[str, object] = {
        "label": "Seerhein",
        "series_label": "Frühjahr 2026",
        "moderator_first_name": "Miriam",
        "evenings": (
            evening(5, 16, 1, person=person),
            evening(5, 23, 2, person=person),
            evening(5, 30, 3, person=person),
            evening(11, 18, 4, person=person),
        ),
    }
    fields.update(changes)
    return GroupInfo.model_validate(fields)


def roster() -> tuple[RosterMember, ...]:
    return (
        RosterMember(first_name="Anna", languages=("de", "en"), needs=()),
        RosterMember(first_name="ليلى", languages=("ar", "de"), needs=("step_free",)),
        RosterMember(first_name="=HYPERLINK(1)", languages=("uk",), needs=("needs a quiet room",)),
    )


def new_group(person: str = "p-17") -> GroupInfo:
    """The group a person is moved into: another series, on other evenings."""
    return GroupInfo(
        label="B (Mittwochabende)",
        series_label="Mittwochabende",
        moderator_first_name="Jonas",
        evenings=(
            evening(5, 20, 5, person=person),
            evening(5, 27, 6, person=person),
            evening(6, 3, 7, person=person),
        ),
    )


def moved(recipient: Recipient, *, same_series: bool = False) -> GroupMoved:
    """A person moved by a rematch: from "Seerhein" to another series, or to another group
    of the same series (the same evenings, updated in place)."""
    old = group()
    new = (
        group(label="C (Samstagabende)", moderator_first_name="Jonas")
        if same_series
        else new_group()
    )
    return GroupMoved(
        recipient=recipient,
        group=new,
        previous=old,
        reason=MoveReason.DROPOUTS,
        cancelled=() if same_series else tuple(e.uid for e in old.evenings),
        requested=tuple(e.uid for e in new.evenings),
        sequence=1,
        self_service_url=SELF_SERVICE_URL,
        feed_url=FEED_URL,
    )


def all_mails(recipient: Recipient) -> list[Mail]:
    """One mail of every kind for ``recipient``, with every optional link filled in."""
    the_group = group()
    return [
        RegistrationConfirmation(
            recipient=recipient,
            confirm_url=CONFIRM_URL,
            confirm_before=datetime(2026, 5, 9, 23, 59, tzinfo=BERLIN),
        ),
        WaitingList(recipient=recipient, self_service_url=SELF_SERVICE_URL),
        GroupInvitation(
            recipient=recipient,
            group=the_group,
            sequence=0,
            self_service_url=SELF_SERVICE_URL,
            feed_url=FEED_URL,
        ),
        GroupChanged(
            recipient=recipient,
            group=the_group,
            changes=frozenset({GroupChange.TIME, GroupChange.VENUE, GroupChange.MODERATOR}),
            sequence=1,
            calendar_uid=the_group.evenings[1].uid,
            self_service_url=SELF_SERVICE_URL,
        ),
        EveningsCancelled(
            recipient=recipient,
            group=the_group,
            evenings=the_group.evenings[2:],
            sequence=2,
            reason=CancellationReason.CANCELLED,
            self_service_url=SELF_SERVICE_URL,
        ),
        EveningReminder(
            recipient=recipient,
            group=the_group,
            evening=the_group.evenings[1],
            self_service_url=SELF_SERVICE_URL,
        ),
        ModeratorRoster(
            recipient=recipient,
            group=the_group,
            members=roster(),
            sequence=0,
            moderator_url=MODERATOR_URL,
        ),
        SelfServiceLink(recipient=recipient, self_service_url=SELF_SERVICE_URL),
        ModeratorLink(recipient=recipient, round_name="VEKL Mai 2027", moderator_url=MODERATOR_URL),
        WithdrawalConfirmed(
            recipient=recipient, round_name="VEKL Mai 2027", self_service_url=SELF_SERVICE_URL
        ),
        moved(recipient),
        SurveyInvitation(
            recipient=recipient,
            round_name="VEKL Mai 2027",
            survey_url=SURVEY_URL,
            closes_at=datetime(2026, 7, 1, 23, 59, tzinfo=BERLIN),
            contacts_url=SELF_SERVICE_URL + "/contacts",
        ),
        StayInTouch(
            recipient=recipient,
            round_name="VEKL Mai 2027",
            other_name="Yusuf",
            other_email="yusuf@example.org",
            self_service_url=SELF_SERVICE_URL,
        ),
        NewsSubscribed(
            recipient=recipient, withdraw_url=WITHDRAW_NEWS_URL, self_service_url=SELF_SERVICE_URL
        ),
        NewsAnnouncement(
            recipient=recipient,
            subject=ANNOUNCEMENT_SUBJECT,
            text=ANNOUNCEMENT_TEXTS.get(recipient.language[:2], ANNOUNCEMENT_TEXTS["de"]),
            withdraw_url=WITHDRAW_NEWS_URL,
        ),
    ]


def moderator_survey(recipient: Recipient) -> SurveyInvitation:
    """The survey invitation a moderator gets: their own questions, no contacts page."""
    return SurveyInvitation(
        recipient=recipient,
        round_name="VEKL Mai 2027",
        survey_url=SURVEY_URL,
        closes_at=datetime(2026, 7, 1, 23, 59, tzinfo=BERLIN),
        for_moderator=True,
    )


MAIL_KINDS = tuple(mail.kind for mail in all_mails(RECIPIENTS["de"]))
