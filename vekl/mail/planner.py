"""Decides who is told what, and queues the mails in the caller's transaction.

The store remembers, per person and evening, what their calendar was last told
(``CalendarEntry``). Every change (publishing, a rematch, a withdrawal, an organiser
moving an evening) is handled the same way: compare what each person's calendar should
hold now with what it was told, and send exactly the difference: an invitation, an
update with a higher SEQUENCE, or a cancellation. Replaying a person's calendar files in
order therefore always leaves the evenings of their current group, and nothing else.
A person moved to another group gets all of it in one mail (``kinds.GroupMoved``) that
says so, with a calendar file per evening.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session, selectinload

from notifications import kinds
from notifications import models as rendered
from notifications.identifiers import make_message_id
from notifications.messages import render_mail
from notifications.models import GroupInfo, Programme, Recipient, RosterMember
from vekl.access import links, tokens
from vekl.calendars.uids import moderator_evening_uid, participant_evening_uid
from vekl.mail import outbox
from vekl.mail.recipients import (
    first_name,
    language_of,
    moderator_recipient,
    participant_recipient,
    programme,
)
from vekl.moderators import members
from vekl.runs.placements import group_label, published_run, run_groups
from vekl.runs.service import Publication
from vekl.settings import Settings, get_settings
from vekl.store.models import (
    CalendarEntry,
    Evening,
    Group,
    MailStatus,
    MatchingRun,
    Moderator,
    OutboxMail,
    Participant,
    RegistrationStatus,
    Round,
    Series,
    WaitlistEntry,
)

# Builds a personal self-service link for a participant, when the application can.
LinkMaker = Callable[[Session, Participant], str | None]


def personal_link(settings: Settings) -> LinkMaker:
    """Every mail to a participant carries their personal link: the same one each time."""

    def make(session: Session, person: Participant) -> str | None:
        token = tokens.link_token(person, settings.secret_key)
        session.flush()
        return links.self_service_url(settings, token)

    return make


def _state(group: Group, evening: Evening, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    series = group.series
    # In UTC: an evening read back from the database is in UTC, one just created may not
    # be, and the same moment must compare equal.
    return {
        "group": group.key,
        "start": evening.starts_at.astimezone(UTC).isoformat(),
        "end": evening.ends_at.astimezone(UTC).isoformat(),
        "venue": f"{series.venue_name}\x1f{series.venue_address}",
        "moderators": sorted(m.name for m in group.moderators),
        **(extra or {}),
    }


def _changes(
    old: Iterable[dict[str, Any]], new: Iterable[dict[str, Any]]
) -> frozenset[kinds.GroupChange]:
    found: set[kinds.GroupChange] = set()
    old_list, new_list = list(old), list(new)
    if {s["group"] for s in old_list} != {s["group"] for s in new_list}:
        found.add(kinds.GroupChange.GROUP)
    if sorted((s["start"], s["end"]) for s in old_list) != sorted(
        (s["start"], s["end"]) for s in new_list
    ):
        found.add(kinds.GroupChange.TIME)
    if {s["venue"] for s in old_list} != {s["venue"] for s in new_list}:
        found.add(kinds.GroupChange.VENUE)
    if [s["moderators"] for s in old_list[:1]] != [s["moderators"] for s in new_list[:1]]:
        found.add(kinds.GroupChange.MODERATOR)
    return frozenset(found) or frozenset({kinds.GroupChange.GROUP})


@dataclass
class Planner:
    """Queues the mails one change implies; one planner per transaction."""

    session: Session
    round: Round
    settings: Settings = field(default_factory=get_settings)
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    link_for: LinkMaker | None = None
    queued: list[OutboxMail] = field(default_factory=list)
    move_reason: kinds.MoveReason = kinds.MoveReason.REGROUPED
    """What a moved person is told of why (set by :meth:`sync_round`)."""

    def __post_init__(self) -> None:
        if self.link_for is None:
            self.link_for = personal_link(self.settings)

    @property
    def programme(self) -> Programme:
        return programme(self.settings)

    # -- building blocks -------------------------------------------------------------

    def _uid(self, holder: Participant | Moderator, evening_id: int) -> str:
        maker = (
            participant_evening_uid if isinstance(holder, Participant) else moderator_evening_uid
        )
        return maker(
            holder.id, evening_id, domain=self.settings.mail_domain, secret=self.settings.secret_key
        )

    def _evening(
        self, holder: Participant | Moderator, series: Series, evening: Evening
    ) -> rendered.Evening:
        return rendered.Evening(
            uid=self._uid(holder, evening.id),
            start=evening.starts_at,
            end=evening.ends_at,
            venue_name=series.venue_name_in(language_of(holder)),
            venue_address=series.venue_address,
            step_free=series.step_free,
        )

    def _info(
        self, holder: Participant | Moderator, group: Group, evenings: list[Evening]
    ) -> GroupInfo:
        moderator = group.moderators[0].name if group.moderators else self.programme.short_name
        lang = language_of(holder)
        return GroupInfo(
            label=group_label(group, lang),
            series_label=group.series.label_in(lang),
            moderator_first_name=first_name(moderator),
            evenings=tuple(self._evening(holder, group.series, e) for e in evenings),
        )

    def _queue(
        self,
        mail: kinds.Mail,
        *,
        kind: str,
        participant: Participant | None = None,
        moderator: Moderator | None = None,
        not_after: datetime | None = None,
        dedupe_key: str | None = None,
    ) -> OutboxMail:
        message = render_mail(
            mail, self.programme, message_id=make_message_id(self.programme.domain), now=self.now
        )
        row = outbox.queue(
            self.session,
            message,
            secret_key=self.settings.secret_key,
            kind=kind,
            round=self.round,
            participant=participant,
            moderator=moderator,
            not_after=not_after,
            dedupe_key=dedupe_key,
        )
        self.queued.append(row)
        return row

    def _link(self, person: Participant) -> str | None:
        return self.link_for(self.session, person) if self.link_for is not None else None

    # -- calendars ------------------------------------------------------------------

    def _entries(self, holder: Participant | Moderator) -> dict[int, CalendarEntry]:
        column = (
            CalendarEntry.participant_id
            if isinstance(holder, Participant)
            else CalendarEntry.moderator_id
        )
        return {
            e.evening_id: e
            for e in self.session.scalars(select(CalendarEntry).where(column == holder.id))
        }

    def sync_holder(
        self,
        holder: Participant | Moderator,
        groups: Sequence[Group],
        *,
        old_groups: Sequence[Group] = (),
        rosters: Mapping[int, tuple[RosterMember, ...]] | None = None,
    ) -> None:
        """Bring one person's calendar from what it was told to the future evenings of
        ``groups`` (a participant has at most one; a moderator one per series they lead)."""
        wanted: dict[int, tuple[Evening, dict[str, Any], Group]] = {}
        for group in groups:
            roster = rosters.get(group.id) if rosters is not None else None
            extra = {"roster": [m.model_dump(mode="json") for m in roster]} if roster else None
            for evening in group.series.evenings:
                if evening.starts_at > self.now:
                    wanted[evening.id] = (evening, _state(group, evening, extra), group)
        entries = self._entries(holder)
        active = {sid: e for sid, e in entries.items() if not e.cancelled}
        added = {sid for sid in wanted if sid not in active}
        changed = {sid for sid in wanted if sid in active and active[sid].state != wanted[sid][1]}
        removed = [
            sid
            for sid, entry in active.items()
            if sid not in wanted and datetime.fromisoformat(entry.state["start"]) > self.now
        ]
        if not (added or changed or removed):
            return
        sequence = max((e.sequence for e in entries.values()), default=-1) + 1
        who: dict[str, Any] = (
            {"participant": holder} if isinstance(holder, Participant) else {"moderator": holder}
        )
        moved_from = self._moved_from(holder, groups, old_groups, active)
        if moved_from is not None:
            # One mail for a person moved to another group, with every calendar change.
            assert isinstance(holder, Participant)
            renewed = added | changed
            self._move(holder, groups[0], moved_from, wanted, active, renewed, removed, sequence)
            for sid in removed:
                active[sid].sequence = sequence
                active[sid].cancelled = True
            for sid in sorted(renewed, key=lambda sid: wanted[sid][0].starts_at):
                evening, state, _ = wanted[sid]
                self._record(holder, entries, evening, state, sequence)
            self.session.flush()
            return
        if removed:
            self._cancel(holder, removed, old_groups, sequence, who)
            for sid in removed:
                active[sid].sequence = sequence
                active[sid].cancelled = True
        for group in groups:
            mine = [(e, state) for e, state, g in wanted.values() if g is group]
            told = [(e, state) for e, state in mine if e.id in added or e.id in changed]
            if not told:
                continue
            before = [entry.state for sid, entry in active.items() if sid not in removed]
            was = {sid: active[sid].state for sid in changed}
            self._invite(holder, group, mine, told, before, sequence, rosters, who, was)
            for evening, state in told:
                self._record(holder, entries, evening, state, sequence)
        self.session.flush()

    def _record(
        self,
        holder: Participant | Moderator,
        entries: dict[int, CalendarEntry],
        evening: Evening,
        state: dict[str, Any],
        sequence: int,
    ) -> None:
        """Remember what this person's calendar was told of ``evening``."""
        entry = entries.get(evening.id)
        if entry is None:
            entry = CalendarEntry(
                uid=self._uid(holder, evening.id),
                evening_id=evening.id,
                state=state,
                participant_id=holder.id if isinstance(holder, Participant) else None,
                moderator_id=holder.id if isinstance(holder, Moderator) else None,
            )
            self.session.add(entry)
            entries[evening.id] = entry
        entry.sequence = sequence
        entry.cancelled = False
        entry.state = state

    def _moved_from(
        self,
        holder: Participant | Moderator,
        groups: Sequence[Group],
        old_groups: Sequence[Group],
        active: Mapping[int, CalendarEntry],
    ) -> Group | None:
        """The group a participant was moved out of, when their calendar still holds its
        future evenings and they are now in another group; else None."""
        if not isinstance(holder, Participant) or len(groups) != 1 or len(old_groups) != 1:
            return None
        new, old = groups[0], old_groups[0]
        if old.key == new.key and old.series_id == new.series_id:
            return None
        held = [
            entry
            for entry in active.values()
            if datetime.fromisoformat(entry.state["start"]) > self.now
            and entry.state.get("group") == old.key
        ]
        return old if held else None

    def _move(
        self,
        holder: Participant,
        group: Group,
        old: Group,
        wanted: Mapping[int, tuple[Evening, dict[str, Any], Group]],
        active: Mapping[int, CalendarEntry],
        told: set[int],
        removed: list[int],
        sequence: int,
    ) -> None:
        """The one mail for a person moved from ``old`` to ``group``: why, their evenings
        now and before, and a calendar file per evening that is added, updated or removed."""
        # The old evenings as the person's calendar holds them (they may have moved since).
        held = sorted(
            (
                (sid, entry)
                for sid, entry in active.items()
                if datetime.fromisoformat(entry.state["start"]) > self.now
            ),
            key=lambda item: item[1].state["start"],
        )
        evenings = []
        for _, entry in held:
            venue_name, _, venue_address = entry.state["venue"].partition("\x1f")
            evenings.append(
                rendered.Evening(
                    uid=entry.uid,
                    start=datetime.fromisoformat(entry.state["start"]),
                    end=datetime.fromisoformat(entry.state["end"]),
                    venue_name=venue_name,
                    venue_address=venue_address,
                    step_free=old.series.step_free,
                )
            )
        moderator = old.moderators[0].name if old.moderators else self.programme.short_name
        lang = language_of(holder)
        previous = GroupInfo(
            label=group_label(old, lang),
            series_label=old.series.label_in(lang),
            moderator_first_name=first_name(moderator),
            evenings=tuple(evenings),
        )
        now_evenings = sorted(
            (e for e, _, g in wanted.values() if g is group), key=lambda e: e.starts_at
        )
        current = self._info(holder, group, now_evenings)
        link = self._link(holder)
        feed = links.subscription_url(
            self.settings, tokens.feed_token(holder, self.settings.secret_key)
        )
        touched = [wanted[sid][0].starts_at for sid in told] + [
            e.start for (sid, _), e in zip(held, evenings, strict=True) if sid in removed
        ]
        self._queue(
            kinds.GroupMoved(
                recipient=participant_recipient(holder),
                group=current,
                previous=previous,
                reason=self.move_reason,
                cancelled=tuple(active[sid].uid for sid in removed),
                requested=tuple(self._uid(holder, sid) for sid in told),
                sequence=sequence,
                feed_url=feed,
                **({"self_service_url": link} if link else {}),
            ),
            kind="group_moved",
            participant=holder,
            not_after=max(touched),
        )

    def _recipient(self, holder: Participant | Moderator) -> Recipient:
        if isinstance(holder, Participant):
            return participant_recipient(holder)
        return moderator_recipient(holder)

    def _cancel(
        self,
        holder: Participant | Moderator,
        removed: list[int],
        old_groups: Sequence[Group],
        sequence: int,
        who: dict[str, Any],
    ) -> None:
        """A cancellation for each evening that leaves this person's calendar (one UID per
        mail); each names all of its series' evenings that are off."""
        rows = {
            e.id: e for e in self.session.scalars(select(Evening).where(Evening.id.in_(removed)))
        }
        by_series: dict[int, list[Evening]] = {}
        for sid in removed:
            by_series.setdefault(rows[sid].series_id, []).append(rows[sid])
        withdrawn = (
            isinstance(holder, Participant) and holder.status == RegistrationStatus.WITHDRAWN
        )
        link = self._link(holder) if isinstance(holder, Participant) else None
        for series_id, gone in by_series.items():
            series = self.session.get_one(Series, series_id)
            evenings = tuple(self._evening(holder, series, e) for e in gone)
            old = next((g for g in old_groups if g.series_id == series_id), None)
            info = (
                self._info(holder, old, gone)
                if old is not None
                else GroupInfo(
                    label=series.label_in(language_of(holder)),
                    series_label=series.label_in(language_of(holder)),
                    moderator_first_name=self.programme.short_name,
                    evenings=evenings,
                )
            )
            reason = (
                kinds.CancellationReason.WITHDRAWN
                if withdrawn
                else kinds.CancellationReason.CANCELLED
            )
            for evening in evenings:
                self._queue(
                    kinds.EveningsCancelled(
                        recipient=self._recipient(holder),
                        group=info,
                        evenings=evenings,
                        calendar_uid=evening.uid,
                        sequence=sequence,
                        reason=reason,
                        **({"self_service_url": link} if link else {}),
                    ),
                    kind="cancellation",
                    not_after=evening.start,
                    **who,
                )

    def _invite(
        self,
        holder: Participant | Moderator,
        group: Group,
        mine: list[tuple[Evening, dict[str, Any]]],
        told: list[tuple[Evening, dict[str, Any]]],
        before: list[dict[str, Any]],
        sequence: int,
        rosters: Mapping[int, tuple[RosterMember, ...]] | None,
        who: dict[str, Any],
        was: Mapping[int, dict[str, Any]] | None = None,
    ) -> None:
        """An invitation, an update or a roster for each of ``told``, the evenings of
        ``group`` (whose future evenings are ``mine``) that are new or changed: one UID per
        mail. ``was`` holds what the calendar was told of each changed evening, so an update
        can name the old time of an evening that moved."""
        recipient = self._recipient(holder)
        info = self._info(holder, group, [e for e, _ in mine])
        link = self._link(holder) if isinstance(holder, Participant) else None
        extra: dict[str, Any] = {"self_service_url": link} if link else {}
        if isinstance(holder, Moderator):
            token = tokens.link_token(holder, self.settings.secret_key)
            extra["moderator_url"] = links.moderator_url(self.settings, token)
        elif before:
            extra["changes"] = _changes(before, [state for _, state in mine])
        elif isinstance(holder, Participant):
            feed = tokens.feed_token(holder, self.settings.secret_key)
            extra["feed_url"] = links.subscription_url(self.settings, feed)
        for evening, state in told:
            uid = self._uid(holder, evening.id)
            mail: kinds.Mail
            if rosters is not None:
                mail = kinds.ModeratorRoster(
                    recipient=recipient,
                    group=info,
                    members=rosters.get(group.id, ()),
                    sequence=sequence,
                    calendar_uid=uid,
                    **extra,
                )
                kind = "roster"
            elif not before:
                mail = kinds.GroupInvitation(
                    recipient=recipient, group=info, sequence=sequence, calendar_uid=uid, **extra
                )
                kind = "invitation"
            else:
                old = (was or {}).get(evening.id)
                moved = old is not None and (old["start"], old["end"]) != (
                    state["start"],
                    state["end"],
                )
                mail = kinds.GroupChanged(
                    recipient=recipient,
                    group=info,
                    sequence=sequence,
                    calendar_uid=uid,
                    moved_from=(
                        (
                            datetime.fromisoformat(old["start"]),
                            datetime.fromisoformat(old["end"]),
                        )
                        if old is not None and moved
                        else None
                    ),
                    **extra,
                )
                kind = "update"
            self._queue(mail, kind=kind, not_after=evening.starts_at, **who)

    def remind(self, group: Group, evening: Evening) -> None:
        """Tell each placed member of ``group`` about ``evening``, once."""
        future = [e for e in group.series.evenings if e.starts_at > self.now]
        for member in group.members:
            person = member.participant
            key = f"reminder:p{person.id}:s{evening.id}"
            if person.status != RegistrationStatus.PLACED or self.session.scalar(
                select(OutboxMail.id).where(OutboxMail.dedupe_key == key)
            ):
                continue
            link = self._link(person)
            self._queue(
                kinds.EveningReminder(
                    recipient=participant_recipient(person),
                    group=self._info(person, group, future),
                    evening=self._evening(person, group.series, evening),
                    **({"self_service_url": link} if link else {}),
                ),
                kind="reminder",
                participant=person,
                not_after=evening.starts_at,
                dedupe_key=key,
            )

    def waiting_list(self, person: Participant) -> None:
        """Tell a person once that they are on the waiting list."""
        key = f"waitlist:r{self.round.id}:p{person.id}"
        if (
            self.session.scalar(select(OutboxMail.id).where(OutboxMail.dedupe_key == key))
            is not None
        ):
            return
        link = self._link(person)
        self._queue(
            kinds.WaitingList(
                recipient=participant_recipient(person),
                **({"self_service_url": link} if link else {}),
            ),
            kind="waiting_list",
            participant=person,
            dedupe_key=key,
        )

    # -- whole round ----------------------------------------------------------------

    def sync_round(
        self, run: MatchingRun | None, previous: MatchingRun | None = None
    ) -> list[OutboxMail]:
        """Everyone's calendar to the grouping of ``run`` (the published one)."""
        groups = run_groups(self.session, run) if run is not None else []
        old_groups = run_groups(self.session, previous) if previous is not None else groups
        placed = {m.participant_id: g for g in groups for m in g.members}
        was = {m.participant_id: g for g in old_groups for m in g.members}
        led: dict[int, list[Group]] = {}
        led_before: dict[int, list[Group]] = {}
        for g in groups:
            for m in g.moderators:
                led.setdefault(m.id, []).append(g)
        for g in old_groups:
            for m in g.moderators:
                led_before.setdefault(m.id, []).append(g)
        rosters = {g.id: _roster(g) for g in groups}
        # A rematch after dropouts says so; naming nobody, since people only read "some".
        self.move_reason = (
            kinds.MoveReason.DROPOUTS
            if any(
                m.participant.status == RegistrationStatus.WITHDRAWN
                for g in old_groups
                for m in g.members
            )
            else kinds.MoveReason.REGROUPED
        )
        people = self.session.scalars(
            select(Participant)
            .where(Participant.round_id == self.round.id)
            .order_by(Participant.id)
        )
        for person in people:
            group = placed.get(person.id) if person.status != RegistrationStatus.WITHDRAWN else None
            old = was.get(person.id)
            self.sync_holder(person, [group] if group else [], old_groups=[old] if old else [])
        for moderator in self.session.scalars(
            select(Moderator).where(Moderator.round_id == self.round.id).order_by(Moderator.id)
        ):
            self.sync_holder(
                moderator,
                led.get(moderator.id, []),
                old_groups=led_before.get(moderator.id, []),
                rosters=rosters,
            )
        if run is not None:
            for entry in self.session.scalars(
                select(WaitlistEntry)
                .where(WaitlistEntry.run_id == run.id)
                .options(selectinload(WaitlistEntry.participant))
            ):
                if entry.participant.status == RegistrationStatus.WAITLISTED:
                    self.waiting_list(entry.participant)
        return self.queued


def roster_member(person: Participant) -> RosterMember:
    """What a moderator learns about a member of their group."""
    return members.roster_member(person)


def _roster(group: Group) -> tuple[RosterMember, ...]:
    return members.roster(m.participant for m in group.members)


def _listed(stored: dict[str, Any]) -> RosterMember:
    return RosterMember.model_validate(stored)


# A mail in these states has not reached anyone and will not without being sent again.
_UNSENT = (MailStatus.QUEUED, MailStatus.FAILED, MailStatus.EXPIRED)


def forget_member(
    session: Session,
    round: Round,
    *,
    member: RosterMember,
    moderator_ids: set[int],
    settings: Settings | None = None,
    now: datetime | None = None,
) -> list[OutboxMail]:
    """After a member of a group deleted their data: their moderators keep none of it.

    Rosters that have not gone out are superseded and their bodies dropped; the calendar
    entries of evenings that have passed forget the member; and the moderators of future
    evenings get their roster as it is now (which also replaces what their entries hold).
    Call it once the person's rows are gone.
    """
    moment = now or datetime.now(UTC)
    if not moderator_ids:
        return []
    # The database removed the person's memberships; groups loaded before still list them.
    session.expire_all()
    session.execute(
        update(OutboxMail)
        .where(
            OutboxMail.moderator_id.in_(moderator_ids),
            OutboxMail.kind == "roster",
            or_(
                OutboxMail.status.in_(_UNSENT),
                and_(OutboxMail.status == MailStatus.SENDING, OutboxMail.started_at.is_(None)),
            ),
        )
        .values(status=MailStatus.SUPERSEDED, payload=None, claim_token=None)
    )
    entries = session.scalars(
        select(CalendarEntry).where(CalendarEntry.moderator_id.in_(moderator_ids))
    )
    for entry in entries:
        roster = list(entry.state.get("roster", []))
        if datetime.fromisoformat(entry.state["start"]) > moment:
            continue
        # The roster lists the member with their surname's initial only where a first
        # name repeats; one entry goes, however it was listed.
        found = next(
            (i for i, m in enumerate(roster) if members.same_member(_listed(m), member)), None
        )
        if found is not None:
            del roster[found]
            entry.state = {**entry.state, "roster": roster}
    session.flush()
    return resync_round(session, round, settings=settings, now=moment)


def publication_mails(
    session: Session,
    publication: Publication,
    *,
    settings: Settings | None = None,
    now: datetime | None = None,
    link_for: LinkMaker | None = None,
) -> list[OutboxMail]:
    """The mails a publish implies: invitations, updates, cancellations, rosters, waiting list."""
    round = session.get_one(Round, publication.run.round_id)
    planner = Planner(
        session, round, settings or get_settings(), now or datetime.now(UTC), link_for
    )
    return planner.sync_round(publication.run, publication.previous)


def resync_round(
    session: Session,
    round: Round,
    *,
    settings: Settings | None = None,
    now: datetime | None = None,
    link_for: LinkMaker | None = None,
) -> list[OutboxMail]:
    """After a withdrawal or an organiser's change to an evening: tell only who is affected."""
    planner = Planner(
        session, round, settings or get_settings(), now or datetime.now(UTC), link_for
    )
    return planner.sync_round(published_run(session, round))


REMINDER_AHEAD = timedelta(hours=36)


def queue_reminders(
    session: Session,
    *,
    settings: Settings | None = None,
    now: datetime | None = None,
    link_for: LinkMaker | None = None,
) -> list[OutboxMail]:
    """A reminder the day before each evening, to every member placed in a published group.

    Run periodically; the dedupe key makes each reminder go out at most once, however
    often this runs, and the mail expires when its evening begins.
    """
    moment = now or datetime.now(UTC)
    queued: list[OutboxMail] = []
    upcoming = session.scalars(
        select(Evening)
        .where(Evening.starts_at > moment, Evening.starts_at <= moment + REMINDER_AHEAD)
        .order_by(Evening.starts_at)
    ).all()
    by_round: dict[int, list[Evening]] = {}
    for evening in upcoming:
        series = session.get_one(Series, evening.series_id)
        by_round.setdefault(series.round_id, []).append(evening)
    for round_id, evenings in by_round.items():
        round = session.get_one(Round, round_id)
        run = published_run(session, round)
        if run is None:
            continue
        planner = Planner(session, round, settings or get_settings(), moment, link_for)
        wanted = {e.id for e in evenings}
        for group in run_groups(session, run):
            for evening in group.series.evenings:
                if evening.id in wanted:
                    planner.remind(group, evening)
        queued += planner.queued
    return queued
