"""Data retention: a round's personal data goes ``retention_days`` after its last evening.

What stays is a small table of counts (``round_statistics``, with the monitoring report's
aggregates under ``report``: ``docs/adr/0024-report-figures-kept-at-the-purge.md``) and the
anonymous skeleton of the round (rules, series, evenings, group keys, run figures), so the
city can still report how many took part. People and moderators are deleted, with everything
that hangs off them (group places, waiting-list entries, calendar entries, mails, links);
mails of the round and the solver's input and output, which describe people one by one, go
as well.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, selectinload

from vekl.audit import records as audit
from vekl.errors import N_, Conflict, NotFound
from vekl.feedback import service as feedback
from vekl.lottery import response as lottery_response
from vekl.lottery import service as lottery
from vekl.monitoring import service as monitoring
from vekl.runs.placements import published_run
from vekl.store.models import (
    CsvImport,
    Evening,
    Group,
    GroupMember,
    InvitationCode,
    MatchingRun,
    Moderator,
    OutboxMail,
    Participant,
    Round,
    RoundStatistics,
    Series,
)

# The latest and earliest removal dates there are: a day inside what a ``datetime`` can hold,
# so that the date can still be shown in any time zone (offsets are less than a day).
LATEST_REMOVAL = datetime.max.replace(tzinfo=UTC) - timedelta(days=1)
EARLIEST_REMOVAL = datetime.min.replace(tzinfo=UTC) + timedelta(days=1)


def removal_date(last: datetime | None, retention_days: int) -> datetime | None:
    """``retention_days`` after ``last`` (the round's last evening), ``None`` without one.

    A round stored with an evening at the end of the calendar (validation refuses those now,
    but older rows or a hand edit may hold one) keeps the last date a ``datetime`` can show
    instead of overflowing: one such round must not break the privacy notice or the purge of
    all the others. It is never due, as its evening never comes.
    """
    if last is None:
        return None
    try:
        due = last + timedelta(days=retention_days)
    except OverflowError:
        return LATEST_REMOVAL if retention_days >= 0 else EARLIEST_REMOVAL
    return min(max(due, EARLIEST_REMOVAL), LATEST_REMOVAL)


def last_evening(session: Session, round: Round) -> datetime | None:
    return session.scalar(
        select(func.max(Evening.ends_at)).join(Series).where(Series.round_id == round.id)
    )


def purge_due_at(session: Session, round: Round) -> datetime | None:
    """When the round's personal data is to be removed; ``None`` while it has no evenings."""
    return removal_date(last_evening(session, round), round.retention_days)


def is_due(session: Session, round: Round, now: datetime) -> bool:
    due = purge_due_at(session, round)
    return round.purged_at is None and due is not None and due <= now


def due_rounds(session: Session, now: datetime) -> list[Round]:
    candidates = session.scalars(select(Round).where(Round.purged_at.is_(None)).order_by(Round.id))
    return [r for r in candidates if is_due(session, r, now)]


def statistics(session: Session, round: Round) -> dict[str, Any]:
    """Counts that describe the round without describing anyone in it."""
    people = list(
        session.scalars(
            select(Participant)
            .where(Participant.round_id == round.id)
            .options(selectinload(Participant.series))
        )
    )
    run = published_run(session, round)
    placed_in: dict[int, str] = {}
    groups_per_series: Counter[str] = Counter()
    if run is not None:
        for group in session.scalars(
            select(Group)
            .where(Group.run_id == run.id)
            .options(selectinload(Group.members), selectinload(Group.series))
        ):
            groups_per_series[group.series.key] += 1
            for member in group.members:
                placed_in[member.participant_id] = group.series.key
    languages: Counter[str] = Counter()
    for person in people:
        languages.update(person.languages)
    series_keys = [s.key for s in round.series]
    return {
        "registrations": len(people),
        "moderators": session.scalar(
            select(func.count()).select_from(Moderator).where(Moderator.round_id == round.id)
        ),
        "by_role": dict(Counter(p.role.value for p in people)),
        "by_status": dict(Counter(p.status.value for p in people)),
        "by_language": dict(sorted(languages.items())),
        "by_series": {
            key: {
                "could_attend": sum(1 for p in people if key in {s.key for s in p.series}),
                "placed": sum(1 for k in placed_in.values() if k == key),
                "groups": groups_per_series.get(key, 0),
            }
            for key in series_keys
        },
        "placed_by_role": dict(Counter(p.role.value for p in people if p.id in placed_in)),
        # The survey's figures and the mutual stay-in-touch pairs, counted while the
        # choices still exist; the answers themselves stay, without their comments.
        "feedback": feedback.aggregates(session, round),
    }


def purge_round(session: Session, round: Round, *, actor: str, now: datetime) -> dict[str, Any]:
    """Replace the round's personal data by counts; refused before the retention period ends."""
    if round.purged_at is not None:
        raise Conflict(N_("round '%(round)s' was purged already"), round=round.slug)
    if not is_due(session, round, now):
        raise Conflict(
            N_("the retention period of round '%(round)s' has not ended yet"), round=round.slug
        )
    stats = statistics(session, round)
    # The letters' response per stratum, measured for the last time before the codes go.
    lottery_response.keep_rates(session, round, now=now)
    # The monitoring report's counts, kept whole (suppression applies when it is published).
    stats["report"] = monitoring.keep_for_purge(session, round, now)
    session.add(RoundStatistics(round_id=round.id, created_at=now, data=stats))
    people = select(Participant.id).where(Participant.round_id == round.id)
    leaders = select(Moderator.id).where(Moderator.round_id == round.id)
    session.execute(
        delete(OutboxMail).where(
            (OutboxMail.round_id == round.id)
            | OutboxMail.participant_id.in_(people)
            | OutboxMail.moderator_id.in_(leaders)
        ),
        execution_options={"synchronize_session": False},
    )
    # Survey invitations, stay-in-touch choices (returned or not) and the answers' comments.
    # The news opt-in is not the round's: it keeps only an address and a language.
    feedback.forget_personal(session, round)
    session.execute(
        delete(InvitationCode).where(InvitationCode.round_id == round.id),
        execution_options={"synchronize_session": False},
    )
    run_ids = select(MatchingRun.id).where(MatchingRun.round_id == round.id)
    session.execute(
        delete(GroupMember).where(GroupMember.run_id.in_(run_ids)),
        execution_options={"synchronize_session": False},
    )
    # Calendar entries, group places, waiting-list entries and links go with their holders.
    session.execute(
        delete(Participant).where(Participant.round_id == round.id),
        execution_options={"synchronize_session": False},
    )
    session.execute(
        delete(Moderator).where(Moderator.round_id == round.id),
        execution_options={"synchronize_session": False},
    )
    # Imports quote their files (the rows they skipped or refused); their uploads and jobs
    # go with them.
    session.execute(
        delete(CsvImport).where(CsvImport.round_id == round.id),
        execution_options={"synchronize_session": False},
    )
    session.execute(
        update(MatchingRun)
        .where(MatchingRun.round_id == round.id)
        .values(problem={}, solution=None, progress=None, error=None),
        execution_options={"synchronize_session": False},
    )
    # A register extract still stored goes too; its letters keep code hash, stratum, wave.
    lottery.delete_if_present(session, round, actor=actor, now=now)
    round.purged_at = now
    session.flush()
    session.expire_all()
    audit.record(
        session,
        actor,
        "round.purge",
        round=round,
        subject=round.slug,
        registrations=stats["registrations"],
    )
    return stats


def kept_statistics(session: Session, round: Round) -> dict[str, Any] | None:
    row = session.get(RoundStatistics, round.id)
    return row.data if row is not None else None


def purge(session: Session, slug: str, actor: str, now: datetime) -> dict[str, Any]:
    """The purge button: the round named, if its retention period has ended."""
    round = session.scalar(select(Round).where(Round.slug == slug))
    if round is None:
        raise NotFound(N_("no round '%(round)s'"), round=slug)
    return purge_round(session, round, actor=actor, now=now)
