"""Staying in touch, only when both want it.

A participant ticks the members of their group they would like to stay in touch with, on
their personal page, from the group's last evening until the survey closes. A choice is
stored as a pair (who chose whom) and shown to nobody but the one who made it. When two
have chosen each other, each gets one mail introducing the other, with their address, in
their own language; a choice that is not returned is never told to anyone. The choices are
personal data, kept apart from the anonymous answers, and deleted with the round's
personal data (the number of mutual pairs is kept).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from notifications import kinds
from vekl.access import links, tokens
from vekl.errors import Conflict, FieldError, InvalidInput
from vekl.feedback import errors, mails, news, queries
from vekl.feedback.schemas import Contacts, Member
from vekl.mail.recipients import participant_recipient
from vekl.moderators import members as roster
from vekl.runs.placements import current_group
from vekl.settings import Settings
from vekl.store.models import (
    ContactChoice,
    Group,
    Participant,
    RegistrationStatus,
    Round,
    SurveyInvitation,
)

MAIL_KIND = "stay_in_touch"


def _others(group: Group, person: Participant) -> list[Participant]:
    return [
        m.participant
        for m in group.members
        if m.participant_id != person.id and m.participant.status == RegistrationStatus.PLACED
    ]


def _names(group: Group) -> dict[int, str]:
    """Each member's name as the group knew it: the first name, with the surname's initial
    where another member has the same first name ("Anna K.")."""
    people = [m.participant for m in group.members]
    listed = roster.roster(people)
    out: dict[int, str] = {}
    for person in people:
        own = roster.roster_member(person)
        match = next(item for item in listed if roster.same_member(item, own))
        out[person.id] = match.name
    return out


def _chosen(session: Session, person: Participant) -> set[int]:
    return set(
        session.scalars(
            select(ContactChoice.chosen_id).where(ContactChoice.chooser_id == person.id)
        )
    )


def _is_open(group: Group | None, settings: Settings, now: datetime) -> bool:
    if group is None:
        return False
    opens, closes = queries.window(group, settings)
    return opens is not None and closes is not None and opens <= now <= closes


def page(session: Session, settings: Settings, token: str, now: datetime) -> Contacts:
    """What the contacts page shows the person: only their own choices. Changes nothing."""
    person = tokens.participant_for(session, token)
    group = current_group(session, person)
    placed = group is not None and person.status == RegistrationStatus.PLACED
    opens, closes = queries.window(group, settings) if group is not None else (None, None)
    chosen = _chosen(session, person)
    listed: list[Member] = []
    if placed and group is not None:
        names = _names(group)
        listed = sorted(
            (
                Member(id=p.id, name=names[p.id], chosen=p.id in chosen)
                for p in _others(group, person)
            ),
            key=lambda m: m.name.casefold(),
        )
    return Contacts(
        members=listed,
        open=placed and _is_open(group, settings, now),
        opens_at=opens,
        closes_at=closes,
        subscribed=news.find(session, person.email) is not None,
    )


def choose(
    session: Session,
    settings: Settings,
    token: str,
    chosen: Sequence[str],
    *,
    subscribe: bool,
    now: datetime,
) -> int:
    """Store whom the person would like to stay in touch with, and their news opt-in.

    Replaces their earlier choices. Introduces each pair that is mutual now (once per
    pair); returns how many new introductions were queued. Refused, changing nothing,
    outside the window or for anyone not a member of their group.
    """
    person = tokens.participant_for(session, token)
    round = session.get_one(Round, person.round_id)
    group = current_group(session, person)
    wanted: set[int] = set()
    if chosen:
        if person.status != RegistrationStatus.PLACED or not _is_open(group, settings, now):
            raise Conflict(errors.CONTACTS_CLOSED)
        assert group is not None
        allowed = {p.id for p in _others(group, person)}
        for raw in chosen:
            if not raw.isdigit() or int(raw) not in allowed:
                raise InvalidInput([FieldError("members", errors.NOT_IN_GROUP)])
            wanted.add(int(raw))
    before = _chosen(session, person)
    if before - wanted:
        session.execute(
            delete(ContactChoice).where(
                ContactChoice.chooser_id == person.id,
                ContactChoice.chosen_id.in_(before - wanted),
            ),
            execution_options={"synchronize_session": False},
        )
    for other in sorted(wanted - before):
        session.add(ContactChoice(round_id=round.id, chooser_id=person.id, chosen_id=other))
    session.flush()
    if subscribe:
        news.subscribe(session, settings, person, round, now)
    else:
        news.unsubscribe(session, person.email)
    introduced = 0
    if group is not None and wanted:
        names = _names(group)
        returned = set(
            session.scalars(
                select(ContactChoice.chooser_id).where(
                    ContactChoice.chosen_id == person.id, ContactChoice.chooser_id.in_(wanted)
                )
            )
        )
        others = {p.id: p for p in _others(group, person)}
        for other_id in sorted(returned):
            introduced += _introduce(session, settings, round, person, others[other_id], names, now)
    session.flush()
    return introduced


def _introduce(
    session: Session,
    settings: Settings,
    round: Round,
    one: Participant,
    other: Participant,
    names: dict[int, str],
    now: datetime,
) -> int:
    """One mail to each of the two, naming the other; each at most once."""
    low, high = sorted((one.id, other.id))
    queued = 0
    for recipient, introduced in ((one, other), (other, one)):
        mail = kinds.StayInTouch(
            recipient=participant_recipient(recipient),
            round_name=round.name_in(recipient.preferred_language),
            other_name=names.get(introduced.id, introduced.first_name),
            other_email=introduced.email,
            self_service_url=links.self_service_url(
                settings, tokens.link_token(recipient, settings.secret_key)
            ),
        )
        row = mails.queue(
            session,
            settings,
            mail,
            kind=MAIL_KIND,
            now=now,
            round=round,
            participant=recipient,
            dedupe_key=f"touch:p{low}:p{high}:to{recipient.id}",
        )
        queued += row is not None
    return 1 if queued else 0


def mutual_pairs(session: Session, round: Round) -> dict[str, int]:
    """How many pairs chose each other, and how many of them were a citizen and a newcomer."""
    choices = session.execute(
        select(ContactChoice.chooser_id, ContactChoice.chosen_id).where(
            ContactChoice.round_id == round.id
        )
    ).all()
    given = {(a, b) for a, b in choices}
    pairs = {(a, b) for a, b in given if a < b and (b, a) in given}
    ids = {i for pair in pairs for i in pair}
    roles = (
        dict(
            session.execute(
                select(Participant.id, Participant.role).where(Participant.id.in_(ids))
            ).all()
        )
        if ids
        else {}
    )
    return {
        "mutual_pairs": len(pairs),
        "citizen_newcomer_pairs": sum(1 for a, b in pairs if roles.get(a) != roles.get(b)),
    }


def forget(session: Session, round: Round) -> None:
    """Every choice of the round, returned or not: at the purge."""
    session.execute(
        delete(ContactChoice).where(ContactChoice.round_id == round.id),
        execution_options={"synchronize_session": False},
    )


def personal_data(session: Session, person: Participant) -> dict[str, object]:
    """What the feedback keeps about the person, for their data export (Art. 15 GDPR): that
    they were invited and answered (never what), whom they chose, and the news opt-in."""
    invitation = session.scalar(
        select(SurveyInvitation).where(SurveyInvitation.participant_id == person.id)
    )
    chosen = session.scalars(
        select(Participant.first_name)
        .join(ContactChoice, ContactChoice.chosen_id == Participant.id)
        .where(ContactChoice.chooser_id == person.id)
        .order_by(Participant.first_name)
    ).all()
    subscribed = news.find(session, person.email)
    return {
        "survey_invited": invitation is not None,
        "survey_answered": bool(invitation is not None and invitation.answered),
        "stay_in_touch_with": list(chosen),
        "news_about_later_rounds": (
            {"email": subscribed.email, "language": subscribed.language} if subscribed else None
        ),
    }
