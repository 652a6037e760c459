"""The lottery's actions: import an extract, plan, draw, delete the extract, report.

Services flush and never commit; a refused action raises before it writes anything, so the
caller's rollback leaves the store as it was.
"""

from __future__ import annotations

import hmac
import secrets
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from importlib import metadata
from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete, insert, update
from sqlalchemy.orm import Session

from vekl.audit import records as audit
from vekl.errors import AT_LEAST, Conflict, FieldError, InvalidInput, NotFound, field_errors
from vekl.lottery import errors, extract, letter_jobs, queries, sampling
from vekl.lottery.schemas import (
    Candidate,
    Dimension,
    Plan,
    PlanInput,
    Status,
    StratumStatus,
)
from vekl.registration import letter_codes
from vekl.store.base import Base
from vekl.store.models import (
    InvitationCode,
    Lottery,
    LotteryExclusion,
    LotteryLetter,
    LotteryPerson,
    LotteryWave,
    Round,
)

SEED_LONGEST = 200
PEOPLE = Base.metadata.tables["lottery_people"]
INSERT_CHUNK = 5000


def software_version() -> str:
    try:
        return metadata.version("vekl")
    except metadata.PackageNotFoundError:  # pragma: no cover - always installed here
        return "unknown"


def exclusion_hash(secret: str, person_key: str) -> str:
    """The keyed hash kept of someone who got a letter (name, birth date and address)."""
    return hmac.digest(
        secret.encode(), b"lottery-exclusion\x1f" + person_key.encode(), "sha256"
    ).hex()


def _exclusion_since(now: datetime, years: int) -> datetime:
    return now - timedelta(days=round(365.25 * years))


def _recent(session: Session, now: datetime, years: int) -> set[str]:
    """Everyone who got a letter within ``years`` (none with 0 years)."""
    if years <= 0:
        return set()
    return queries.recent_exclusions(session, _exclusion_since(now, years))


def _lottery(session: Session, round: Round) -> Lottery:
    found = queries.lottery_of(session, round)
    if found is None or found.extract_sha256 is None:
        raise NotFound(errors.NO_EXTRACT, round=round.slug)
    return found


def _with_extract(session: Session, round: Round) -> Lottery:
    lottery = _lottery(session, round)
    if lottery.extract_deleted_at is not None:
        raise Conflict(errors.EXTRACT_DELETED, round=round.slug)
    return lottery


# -- import ---------------------------------------------------------------------------------


def import_extract(
    session: Session,
    round: Round,
    raw: bytes,
    *,
    actor: str,
    now: datetime,
    extract_days: int,
) -> Lottery:
    """Check the extract whole, then store it; a file with any bad row stores nothing.

    A new extract replaces one from which nothing has been drawn yet (and its plan).
    """
    checked = extract.check(raw, now.date())
    lottery = queries.lottery_of(session, round)
    if lottery is not None and lottery.waves:
        raise Conflict(errors.ALREADY_DRAWN, round=round.slug)
    if lottery is None:
        lottery = Lottery(round_id=round.id)
        session.add(lottery)
        session.flush()
    else:
        session.execute(
            delete(LotteryPerson).where(LotteryPerson.lottery_id == lottery.id),
            execution_options={"synchronize_session": False},
        )
    rows = [dict(person.row(), lottery_id=lottery.id) for person in checked.people]
    for start in range(0, len(rows), INSERT_CHUNK):
        # A Core insert of plain rows: the ORM's bulk path costs several times as much here.
        session.execute(insert(PEOPLE), rows[start : start + INSERT_CHUNK])
    lottery.extract_sha256 = checked.sha256
    lottery.extract_rows = len(rows)
    lottery.extract_has_districts = checked.has_districts
    lottery.extract_imported_at = now
    lottery.extract_imported_by = actor
    lottery.extract_delete_by = now + timedelta(days=extract_days)
    lottery.extract_deleted_at = None
    lottery.extract_deleted_by = None
    lottery.extract_deletion = None
    lottery.plan = None
    session.flush()
    audit.record(
        session,
        actor,
        "lottery.import",
        round=round,
        subject=round.slug,
        sha256=checked.sha256,
        rows=len(rows),
        delete_by=lottery.extract_delete_by.isoformat(),
    )
    return lottery


# -- plan -----------------------------------------------------------------------------------


def parse_plan(data: dict[str, Any]) -> PlanInput:
    try:
        return PlanInput.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(field_errors(exc, top_level=True)) from None


def _strata(
    people: list[queries.PersonKeys],
    dimensions: tuple[Dimension, ...],
    bands: tuple[int, ...],
    reference: date,
) -> dict[int, str | None]:
    """Each person's stratum (people of one birth date, gender and district share it)."""
    known: dict[tuple[date, str, str | None], str | None] = {}
    strata: dict[int, str | None] = {}
    for person in people:
        traits = (person.birth_date, person.gender, person.district)
        if traits not in known:
            known[traits] = sampling.stratum_of(
                *traits, dimensions=dimensions, bands=bands, reference=reference
            )
        strata[person.id] = known[traits]
    return strata


def _excluded(people: list[queries.PersonKeys], recent: set[str], secret: str) -> set[int]:
    if not recent:
        return set()
    return {p.id for p in people if exclusion_hash(secret, p.person_key) in recent}


def plan(
    session: Session,
    round: Round,
    data: PlanInput,
    *,
    secret: str,
    actor: str,
    now: datetime,
    exclusion_years: int,
    offered: Mapping[str, float] | None = None,
) -> Plan:
    """Allocate the letters per stratum and keep the plan; refused once a draw was made.

    A stratum's rate is the one typed in for it, else the rate ``offered`` for it (measured
    in earlier rounds, :func:`vekl.lottery.response.offered_rates`), else the default rate;
    offered rates of strata this extract does not have are left aside. The plan records
    every rate that is not the default.

    Refused as well, naming each stratum: a rate for a stratum the extract does not have,
    a stratum with letters but nobody who can be drawn, more letters than people.
    """
    lottery = _with_extract(session, round)
    if lottery.waves:
        raise Conflict(errors.ALREADY_DRAWN, round=round.slug)
    if Dimension.DISTRICT in data.dimensions and not lottery.extract_has_districts:
        raise InvalidInput([FieldError("dimensions", errors.NO_DISTRICTS)])
    assert lottery.extract_imported_at is not None
    reference = data.reference_date or lottery.extract_imported_at.date()
    people = queries.people(session, lottery)
    strata = _strata(people, data.dimensions, data.age_bands, reference)
    excluded = _excluded(
        people,
        _recent(session, now, exclusion_years),
        secret,
    )
    population = Counter(s for s in strata.values() if s is not None)
    eligible = Counter(
        s for person_id, s in strata.items() if s is not None and person_id not in excluded
    )
    known = sorted(population)
    problems = [
        FieldError(
            "rates", errors.UNKNOWN_STRATUM, None, {"stratum": key, "known": ", ".join(known)}
        )
        for key in sorted(data.rates)
        if key not in population
    ]
    if not population:
        problems.append(FieldError("age_bands", errors.NO_LETTERS))
    if problems:
        raise InvalidInput(problems)
    suggested = {key: rate for key, rate in (offered or {}).items() if 0 < rate <= 1}
    rates = {key: data.rates.get(key, suggested.get(key, data.default_rate)) for key in population}
    allocation = sampling.allocate(population, eligible, data.places, rates)
    for row in allocation:
        if row.letters > 0 and row.eligible == 0:
            problems.append(
                FieldError("strata", errors.EMPTY_STRATUM, None, {"stratum": row.stratum})
            )
        elif row.letters > row.eligible:
            problems.append(
                FieldError(
                    "strata",
                    errors.TOO_FEW_PEOPLE,
                    None,
                    {"stratum": row.stratum, "letters": row.letters, "available": row.eligible},
                )
            )
    if problems:
        raise InvalidInput(problems)
    result = Plan(
        places=data.places,
        dimensions=data.dimensions,
        age_bands=data.age_bands,
        reference_date=reference,
        default_rate=data.default_rate,
        rates={key: rate for key, rate in rates.items() if rate != data.default_rate},
        strata=allocation,
        too_young=sum(1 for s in strata.values() if s is None),
        excluded=len(excluded),
        extract_sha256=lottery.extract_sha256 or "",
    )
    lottery.plan = result.as_dict()
    session.flush()
    audit.record(
        session,
        actor,
        "lottery.plan",
        round=round,
        subject=round.slug,
        places=result.places,
        letters=result.letters,
        strata=len(result.strata),
    )
    return result


def current_plan(lottery: Lottery) -> Plan | None:
    return Plan.from_dict(lottery.plan) if lottery.plan else None


# -- draw -----------------------------------------------------------------------------------


def _wanted_more(more: dict[str, int], known: list[str]) -> dict[str, int]:
    problems: list[FieldError] = []
    for key, count in sorted(more.items()):
        if key not in known:
            problems.append(
                FieldError(
                    "strata",
                    errors.UNKNOWN_STRATUM,
                    None,
                    {"stratum": key, "known": ", ".join(known)},
                )
            )
        elif count < 1:
            problems.append(FieldError(key, AT_LEAST, None, {"min": 1}))
    if not more:
        problems.append(FieldError("strata", errors.NO_LETTERS))
    if problems:
        raise InvalidInput(problems)
    return dict(more)


def draw(
    session: Session,
    round: Round,
    seed: str,
    *,
    secret: str,
    actor: str,
    now: datetime,
    exclusion_years: int,
    more: dict[str, int] | None = None,
) -> LotteryWave:
    """Draw a wave of letters: the first from the plan, a later one for ``more`` letters.

    Nobody drawn before, nobody of a household that has a letter and nobody who got a
    letter within ``exclusion_years`` is drawn. Each letter gets a code (only its hash is
    stored, in ``invitation_codes`` as well), and the wave keeps its protocol.
    """
    typed = sampling.normal_seed(seed or "")
    if not typed:
        raise InvalidInput([FieldError("seed", errors.SEED_REQUIRED)])
    if len(typed) > SEED_LONGEST:
        raise InvalidInput([FieldError("seed", errors.TOO_LONG, None, {"max": SEED_LONGEST})])
    lottery = _with_extract(session, round)
    letter_codes.ensure_registering(round, now)
    planned = current_plan(lottery)
    if planned is None:
        raise Conflict(errors.NO_PLAN, round=round.slug)
    number = len(lottery.waves) + 1
    known = [s.stratum for s in planned.strata]
    if number == 1:
        if more:
            raise InvalidInput([FieldError("strata", errors.FIRST_WAVE_FOLLOWS_PLAN)])
        wanted = {s.stratum: s.letters for s in planned.strata if s.letters > 0}
        if not wanted:
            raise InvalidInput([FieldError("strata", errors.NO_LETTERS)])
    else:
        if not more:
            raise Conflict(errors.FIRST_WAVE_DRAWN, round=round.slug)
        wanted = _wanted_more(more, known)

    people = queries.people(session, lottery)
    strata = _strata(people, planned.dimensions, planned.age_bands, planned.reference_date)
    drawn_ids = queries.drawn_people_ids(session, lottery)
    by_id = {p.id: p for p in people}
    households_taken = {by_id[i].household_key for i in drawn_ids if i in by_id}
    recent = _recent(session, now, exclusion_years)
    excluded = _excluded(people, recent, secret) - drawn_ids
    candidates = [
        Candidate(p.id, p.person_key, p.household_key, stratum)
        for p in people
        if (stratum := strata[p.id]) is not None
        and p.id not in excluded
        and p.id not in drawn_ids
        and p.household_key not in households_taken
    ]
    available = Counter(c.stratum for c in candidates)
    problems: list[FieldError] = []
    for key, letters in sorted(wanted.items()):
        if available[key] == 0:
            problems.append(FieldError("strata", errors.EMPTY_STRATUM, None, {"stratum": key}))
        elif letters > available[key]:
            problems.append(
                FieldError(
                    "strata",
                    errors.TOO_FEW_PEOPLE,
                    None,
                    {"stratum": key, "letters": letters, "available": available[key]},
                )
            )
    if problems:
        raise InvalidInput(problems)
    chosen = sampling.select(candidates, wanted, typed, households_taken=households_taken)
    drawn_per_stratum = Counter(c.stratum for c in chosen)
    short = [
        FieldError(
            "strata",
            errors.HOUSEHOLDS_TAKEN,
            None,
            {"stratum": key, "drawn": drawn_per_stratum[key], "letters": letters},
        )
        for key, letters in sorted(wanted.items())
        if drawn_per_stratum[key] < letters
    ]
    if short:
        raise InvalidInput(short)

    version = software_version()
    protocol = _protocol(
        round=round,
        lottery=lottery,
        planned=planned,
        number=number,
        seed=typed,
        version=version,
        now=now,
        exclusion_years=exclusion_years,
        excluded=[by_id[i].person_key for i in excluded],
        drawn_before=[by_id[i].person_key for i in drawn_ids if i in by_id],
        wanted=wanted,
        available=available,
        chosen=chosen,
    )
    wave = LotteryWave(
        lottery_id=lottery.id,
        number=number,
        seed=typed,
        software_version=version,
        drawn_at=now,
        drawn_by=actor,
        letters=len(chosen),
        protocol=protocol,
    )
    session.add(wave)
    session.flush()
    _write_letters(session, round, lottery, wave, chosen, secret=secret, now=now)
    session.execute(
        insert(LotteryExclusion),
        [{"key_hash": exclusion_hash(secret, c.person_key), "drawn_at": now} for c in chosen],
    )
    session.flush()
    session.expire(lottery, ["waves"])
    audit.record(
        session,
        actor,
        "lottery.draw",
        round=round,
        subject=round.slug,
        wave=number,
        seed=typed,
        letters=len(chosen),
        extract_sha256=lottery.extract_sha256,
        selection_sha256=protocol["selection_sha256"],
        software_version=version,
    )
    return wave


def _write_letters(
    session: Session,
    round: Round,
    lottery: Lottery,
    wave: LotteryWave,
    chosen: list[Candidate],
    *,
    secret: str,
    now: datetime,
) -> None:
    """One letter and one invitation code per drawn person; codes are derived, never stored."""
    code_secrets: dict[str, str] = {}
    while len(code_secrets) < len(chosen):
        fresh: dict[str, str] = {}
        for _ in range(len(chosen) - len(code_secrets)):
            code_secret = secrets.token_hex(32)
            code = letter_codes.derived_code(secret, code_secret)
            fresh[letter_codes.code_hash(code, secret)] = code_secret
        for taken in queries.taken_codes(session, fresh):
            del fresh[taken]
        for digest, code_secret in fresh.items():
            code_secrets.setdefault(digest, code_secret)
    hashes = list(code_secrets.items())[: len(chosen)]
    session.execute(
        insert(LotteryLetter),
        [
            {
                "lottery_id": lottery.id,
                "wave_id": wave.id,
                "position": position,
                "stratum": candidate.stratum,
                "code_hash": digest,
                "code_secret": code_secret,
                "person_id": candidate.person_id,
            }
            for position, (candidate, (digest, code_secret)) in enumerate(
                zip(chosen, hashes, strict=True), 1
            )
        ],
    )
    session.execute(
        insert(InvitationCode),
        [{"round_id": round.id, "code_hash": digest, "created_at": now} for digest, _ in hashes],
    )


def _protocol(
    *,
    round: Round,
    lottery: Lottery,
    planned: Plan,
    number: int,
    seed: str,
    version: str,
    now: datetime,
    exclusion_years: int,
    excluded: list[str],
    drawn_before: list[str],
    wanted: dict[str, int],
    available: Counter[str],
    chosen: list[Candidate],
) -> dict[str, Any]:
    """Everything an observer needs to re-run the wave, and nothing that names a person."""
    drawn = Counter(c.stratum for c in chosen)
    return {
        "format": "vekl-lottery-protocol/1",
        "round": round.slug,
        "wave": number,
        "drawn_at": now.astimezone(UTC).isoformat(),
        "software": {"name": "vekl", "version": version},
        "algorithm": sampling.ALGORITHM,
        "seed": seed,
        "extract": {"sha256": lottery.extract_sha256, "rows": lottery.extract_rows},
        "strata": {
            "dimensions": [d.value for d in planned.dimensions],
            "age_bands": list(planned.age_bands),
            "reference_date": planned.reference_date.isoformat(),
        },
        "plan": {
            "places": planned.places,
            "default_rate": planned.default_rate,
            "rates": dict(sorted(planned.rates.items())),
        },
        "exclusions": {
            "years": exclusion_years,
            "people": len(excluded),
            "person_keys_sha256": sampling.keys_digest(excluded),
        },
        "drawn_before": {
            "people": len(drawn_before),
            "person_keys_sha256": sampling.keys_digest(drawn_before),
        },
        "allocation": [
            {
                "stratum": key,
                "letters": wanted[key],
                "available": available[key],
                "drawn": drawn[key],
            }
            for key in sorted(wanted)
        ],
        "letters": len(chosen),
        "selection_sha256": sampling.selection_digest(c.person_key for c in chosen),
    }


# -- deletion -------------------------------------------------------------------------------


def delete_extract(
    session: Session,
    round: Round,
    *,
    actor: str,
    now: datetime,
    reason: str = "confirmed",
) -> int:
    """Delete the extract's people; the letters keep their code hash, stratum and wave.

    ``reason`` is "confirmed" (the organisers confirmed the letters are out) or "deadline".
    Returns how many people were deleted.
    """
    lottery = _lottery(session, round)
    if lottery.extract_deleted_at is not None:
        raise Conflict(errors.EXTRACT_DELETED, round=round.slug)
    return _delete(session, round, lottery, actor=actor, now=now, reason=reason)


def _delete(
    session: Session, round: Round, lottery: Lottery, *, actor: str, now: datetime, reason: str
) -> int:
    session.execute(
        update(LotteryLetter)
        .where(LotteryLetter.lottery_id == lottery.id)
        .values(person_id=None, code_secret=None),
        execution_options={"synchronize_session": False},
    )
    result = session.execute(
        delete(LotteryPerson).where(LotteryPerson.lottery_id == lottery.id),
        execution_options={"synchronize_session": False},
    )
    deleted = int(getattr(result, "rowcount", 0) or 0)
    # Rendered letters name the same people; a rendering under way stores nothing.
    letter_jobs.forget_lottery(session, lottery)
    lottery.extract_deleted_at = now
    lottery.extract_deleted_by = actor
    lottery.extract_deletion = reason
    session.flush()
    audit.record(
        session,
        actor,
        "lottery.delete_extract",
        round=round,
        subject=round.slug,
        reason=reason,
        rows=deleted,
        sha256=lottery.extract_sha256,
        letters=sum(w.letters for w in lottery.waves),
    )
    return deleted


def delete_if_present(session: Session, round: Round, *, actor: str, now: datetime) -> int:
    """Delete a round's extract if it is still stored (the round's own purge)."""
    lottery = queries.lottery_of(session, round)
    if lottery is None or lottery.extract_sha256 is None or lottery.extract_deleted_at:
        return 0
    return _delete(session, round, lottery, actor=actor, now=now, reason="purge")


def purge_due(
    session: Session, *, actor: str, now: datetime, exclusion_years: int
) -> tuple[list[tuple[str, int]], int]:
    """Delete every extract past its deadline, and exclusion hashes older than the years;
    rendered letters past their time go too.

    Returns (round, people deleted) per extract and the number of exclusion hashes deleted.
    """
    letter_jobs.forget_expired(session, now)
    deleted = [
        (round.slug, _delete(session, round, lottery, actor=actor, now=now, reason="deadline"))
        for lottery, round in queries.lotteries_due(session, now)
    ]
    result = session.execute(
        delete(LotteryExclusion).where(
            LotteryExclusion.drawn_at < _exclusion_since(now, exclusion_years)
        ),
        execution_options={"synchronize_session": False},
    )
    return deleted, int(getattr(result, "rowcount", 0) or 0)


# -- status ---------------------------------------------------------------------------------


def status(session: Session, round: Round) -> Status:
    lottery = _lottery(session, round)
    letters = queries.letters_by_stratum(session, lottery)
    registered = queries.registered_by_stratum(session, lottery)
    planned = current_plan(lottery)
    planned_keys = {s.stratum for s in planned.strata} if planned else set()
    keys = sorted(planned_keys | {key for key, _ in letters})
    strata = []
    for key in keys:
        row = StratumStatus(key, registered=registered.get(key, 0))
        for (stratum, number), count in letters.items():
            if stratum == key:
                row.letters_by_wave[number] = count
        strata.append(row)

    def when(moment: datetime | None) -> str | None:
        return moment.isoformat() if moment else None

    return Status(
        round=round.slug,
        extract_rows=lottery.extract_rows,
        extract_sha256=lottery.extract_sha256,
        imported_at=when(lottery.extract_imported_at),
        delete_by=when(lottery.extract_delete_by),
        deleted_at=when(lottery.extract_deleted_at),
        deletion=lottery.extract_deletion,
        plan=planned,
        waves=[
            {
                "number": w.number,
                "letters": w.letters,
                "seed": w.seed,
                "drawn_at": w.drawn_at.isoformat(),
                "software_version": w.software_version,
            }
            for w in lottery.waves
        ],
        strata=strata,
    )


def protocol(session: Session, round: Round, wave: int | None = None) -> dict[str, Any]:
    lottery = _lottery(session, round)
    waves = [w for w in lottery.waves if wave is None or w.number == wave]
    if not waves:
        raise NotFound(errors.NO_WAVE, round=round.slug, wave=wave or 1)
    return dict(waves[-1].protocol)
