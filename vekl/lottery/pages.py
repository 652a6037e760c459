"""The lottery as the organiser pages use it: one call per page or form, by the round's name.

Each function reads the form's text as typed (numbers with a decimal comma, rates in per
cent), names every wrong field, and calls the same services as ``vekl lottery``; a refused
action raises before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from vekl.errors import N_, FieldError, InvalidInput
from vekl.lottery import errors, queries, response, sampling, service
from vekl.lottery.schemas import DEFAULT_AGE_BANDS, DEFAULT_RATE, DIMENSION_ORDER, Plan, Status
from vekl.rounds import service as rounds
from vekl.settings import Settings
from vekl.store.models import Lottery, Round

NOT_A_NUMBER = N_("must be a whole number, like 30")
NOT_A_PERCENTAGE = N_("must be a percentage above 0 and at most 100, like 5 or 2,5")
NOT_AGE_BANDS = N_("must be ages separated by commas, like 18,30,45,60,75")
NOT_CONFIRMED = N_("type the round's short name '%(round)s' to confirm")
RATE_FIELD = "rate:"
MORE_FIELD = "more:"


@dataclass
class LotteryPage:
    """What the lottery page shows: the extract, the plan, the waves, the response."""

    round: Round
    status: Status | None
    answers: response.Response | None
    offered: dict[str, response.OfferedRate]
    kept: dict[str, tuple[int, int]]
    plan_form: dict[str, Any] = field(default_factory=dict)
    lottery: Lottery | None = None
    """The stored row (its times, for the page to show in local time), if any."""

    @property
    def plan(self) -> Plan | None:
        return self.status.plan if self.status else None

    @property
    def can_import(self) -> bool:
        return self.status is None or not self.status.waves

    @property
    def can_draw(self) -> bool:
        return bool(self.status and not self.status.deleted_at and self.plan and self.plan.strata)

    @property
    def extract_stored(self) -> bool:
        return bool(self.status and self.status.extract_sha256 and not self.status.deleted_at)


def _plan_form(page_plan: Plan | None, offered: dict[str, response.OfferedRate]) -> dict[str, Any]:
    """The plan form's values: the plan's, else the defaults with the kept rates."""
    if page_plan is not None:
        return {
            "places": str(page_plan.places),
            "dimensions": [d.value for d in page_plan.dimensions],
            "age_bands": ",".join(str(a) for a in page_plan.age_bands),
            "default_rate": percent(page_plan.default_rate),
            "use_kept": "",
            "rates": {s.stratum: percent(s.rate) for s in page_plan.strata},
        }
    return {
        "places": "",
        "dimensions": [d.value for d in DIMENSION_ORDER],
        "age_bands": ",".join(str(a) for a in DEFAULT_AGE_BANDS),
        "default_rate": percent(DEFAULT_RATE),
        "use_kept": "yes" if offered else "",
        "rates": {},
    }


def percent(rate: float) -> str:
    """0.025 as "2,5" (per cent, German decimal comma, no needless digits)."""
    return f"{rate * 100:.4g}".replace(".", ",")


def page(session: Session, slug: str) -> LotteryPage:
    round = rounds.get_round(session, slug)
    offered = response.offered_rates(session, round)
    lottery = queries.lottery_of(session, round)
    if lottery is None or lottery.extract_sha256 is None:
        return LotteryPage(
            round,
            None,
            None,
            offered,
            response.kept_rates(session, round),
            _plan_form(None, offered),
        )
    state = service.status(session, round)
    return LotteryPage(
        round,
        state,
        response.response(session, round),
        offered,
        response.kept_rates(session, round),
        _plan_form(state.plan, offered),
        lottery,
    )


def import_extract(
    session: Session, slug: str, raw: bytes, *, actor: str, now: datetime, settings: Settings
) -> int:
    """Check and store an uploaded extract; returns its rows."""
    round = rounds.get_round(session, slug)
    stored = service.import_extract(
        session, round, raw, actor=actor, now=now, extract_days=settings.lottery_extract_days
    )
    return stored.extract_rows


def _whole(value: str, name: str, problems: list[FieldError]) -> int | None:
    try:
        return int(value.strip())
    except ValueError:
        problems.append(FieldError(name, NOT_A_NUMBER))
        return None


def _percentage(value: str, name: str, problems: list[FieldError]) -> float | None:
    text = value.strip().removesuffix("%").strip().replace(",", ".")
    try:
        number = float(text)
    except ValueError:
        number = -1.0
    if not 0 < number <= 100:
        problems.append(FieldError(name, NOT_A_PERCENTAGE))
        return None
    return number / 100


def _plan_input(values: dict[str, Any], current: Plan | None) -> tuple[dict[str, Any], bool]:
    """The plan form as the service's input; every wrong field named at once."""
    problems: list[FieldError] = []
    data: dict[str, Any] = {"dimensions": list(values.get("dimensions", []))}
    places = _whole(str(values.get("places", "")), "places", problems)
    if places is not None:
        data["places"] = places
    bands_text = str(values.get("age_bands", "")).replace(";", ",").replace(" ", "")
    try:
        data["age_bands"] = [int(a) for a in bands_text.split(",") if a]
    except ValueError:
        problems.append(FieldError("age_bands", NOT_AGE_BANDS))
    default = _percentage(str(values.get("default_rate", "")), "default_rate", problems)
    if default is not None:
        data["default_rate"] = default
    # Rates typed per stratum belong to the strata shown: with other strata they are new.
    same_strata = current is not None and (
        [d.value for d in current.dimensions] == data["dimensions"]
        and list(current.age_bands) == data.get("age_bands")
    )
    rates: dict[str, float] = {}
    if same_strata:
        for name, typed in values.items():
            if name.startswith(RATE_FIELD) and str(typed).strip():
                rate = _percentage(str(typed), name, problems)
                if rate is not None:
                    rates[name.removeprefix(RATE_FIELD)] = rate
    data["rates"] = rates
    if problems:
        raise InvalidInput(problems)
    return data, values.get("use_kept") == "yes"


def plan(
    session: Session,
    slug: str,
    values: dict[str, Any],
    *,
    actor: str,
    now: datetime,
    settings: Settings,
) -> Plan:
    """Plan (or plan again) from the form; the preview is the plan kept."""
    round = rounds.get_round(session, slug)
    lottery = queries.lottery_of(session, round)
    current = service.current_plan(lottery) if lottery is not None else None
    data, use_kept = _plan_input(values, current)
    checked = service.parse_plan(data)
    offered = response.offered_rates(session, round) if use_kept else {}
    return service.plan(
        session,
        round,
        checked,
        secret=settings.secret_key,
        actor=actor,
        now=now,
        exclusion_years=settings.lottery_exclusion_years,
        offered={key: kept.rate for key, kept in offered.items()},
    )


def draw(
    session: Session,
    slug: str,
    seed: str,
    more: dict[str, str] | None,
    *,
    actor: str,
    now: datetime,
    settings: Settings,
) -> int:
    """Draw the first wave (``more`` is ``None``) or a later one; returns the wave's number.

    ``more`` holds the second-wave form's letters per stratum as typed; empty ones are
    left out, and a later wave never draws anyone drawn before.
    """
    round = rounds.get_round(session, slug)
    extra: dict[str, int] | None = None
    if more is not None:
        problems: list[FieldError] = []
        extra = {}
        for key, typed in more.items():
            if not typed.strip() or typed.strip() == "0":
                continue
            count = _whole(typed, MORE_FIELD + key, problems)
            if count is not None and count < 0:
                problems.append(FieldError(MORE_FIELD + key, NOT_A_NUMBER))
            elif count:
                extra[key] = count
        if not sampling.normal_seed(seed):
            problems.append(FieldError("seed", errors.SEED_REQUIRED))
        if not extra and not problems:
            problems.append(FieldError("strata", errors.NO_LETTERS))
        if problems:
            raise InvalidInput(problems)
    wave = service.draw(
        session,
        round,
        seed,
        secret=settings.secret_key,
        actor=actor,
        now=now,
        exclusion_years=settings.lottery_exclusion_years,
        more=extra,
    )
    return wave.number


def delete_extract(session: Session, slug: str, typed: str, *, actor: str, now: datetime) -> int:
    """Delete the extract once the organiser typed the round's short name to confirm."""
    round = rounds.get_round(session, slug)
    if typed.strip() != round.slug:
        raise InvalidInput([FieldError("confirm", NOT_CONFIRMED, None, {"round": round.slug})])
    return service.delete_extract(session, round, actor=actor, now=now, reason="confirmed")
