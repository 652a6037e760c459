"""The lottery's organiser page: upload, plan with preview, draw, response, second wave, deletion.

Every refused form shows the page again with the problem next to its field, in German, and
changes nothing; on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.dates import open_for_a_month
from tests.lottery.conftest import EXTRACT, HEADER, csv_bytes, example_rows
from tests.organiser.conftest import BERLIN, EXAMPLE, LoggedIn
from vekl.lottery import pages as lottery_pages
from vekl.rounds import service as rounds
from vekl.store.models import (
    AuditEntry,
    InvitationCode,
    Lottery,
    LotteryLetter,
    LotteryPerson,
    LotteryWave,
    Round,
    RoundStatus,
)

SEED = "7 13 21 34 41 45"


def _page(slug: str) -> str:
    return f"/organiser/rounds/{slug}/lottery"


def _counts(db: Session) -> tuple[object, ...]:
    """Counts of everything the lottery writes, and the plan kept."""
    db.expire_all()
    counts = [
        db.scalar(select(func.count()).select_from(model)) or 0
        for model in (Lottery, LotteryPerson, LotteryWave, LotteryLetter, InvitationCode)
    ]
    plans = [json.dumps(plan, sort_keys=True) for plan in db.scalars(select(Lottery.plan))]
    return (*counts, *plans)


def _upload(team: LoggedIn, slug: str, raw: bytes) -> Any:
    return team.post(f"{_page(slug)}/extract", files={"file": ("auszug.csv", raw, "text/csv")})


def _plan(team: LoggedIn, slug: str, **values: Any) -> Any:
    data: dict[str, Any] = {
        "places": "30",
        "dimensions": ["age", "gender"],
        "age_bands": "18,30,45,60,75",
        "default_rate": "5",
        **values,
    }
    return team.post(f"{_page(slug)}/plan", data=data)


def _ready(team: LoggedIn, round: Round) -> None:
    assert _upload(team, round.slug, EXTRACT.read_bytes()).status_code == 303
    assert _plan(team, round.slug).status_code == 303


def _cell(html: str, cell_id: str) -> str:
    found = re.search(rf'id="{cell_id}">([^<]*)<', html)
    assert found, cell_id
    return found.group(1)


def test_the_round_page_links_the_lottery(team: LoggedIn, example_round: Round) -> None:
    html = team.client.get(f"/organiser/rounds/{example_round.slug}").text
    assert f'href="{_page(example_round.slug)}"' in html


def test_upload_stores_the_extract_and_shows_its_deadline(
    db: Session, team: LoggedIn, example_round: Round
) -> None:
    response = _upload(team, example_round.slug, EXTRACT.read_bytes())
    assert response.status_code == 303
    assert response.headers["location"].startswith(_page(example_round.slug) + "?done=imported")
    assert response.headers["location"].endswith("done=imported#extract")
    html = team.client.get(response.headers["location"]).text
    assert "Der Registerauszug wurde geprüft und gespeichert." in html
    assert "3000" in html
    assert re.search(r'id="delete-by">[^<]* \d{1,2}\.\d{1,2}\.20\d\d<', html)
    assert db.scalar(select(func.count()).select_from(LotteryPerson)) == 3000


def test_a_bad_extract_names_every_bad_row_and_stores_nothing(
    db: Session, team: LoggedIn, example_round: Round
) -> None:
    rows = example_rows()[:20]
    rows[3][2] = "31.02.1980"
    rows[11][3] = "q"
    rows[15][7] = "7846"
    before = _counts(db)
    response = _upload(team, example_round.slug, csv_bytes(rows, header=HEADER))
    assert response.status_code == 422
    html = response.text
    assert "Zeile 5" in html and "Zeile 13" in html and "Zeile 17" in html
    assert "Geburtsdatum" in html and "Geschlecht" in html and "PLZ" in html
    assert "Es wurde nichts geändert" in html
    assert _counts(db) == before


def test_no_file_is_refused_next_to_the_field(
    db: Session, team: LoggedIn, example_round: Round
) -> None:
    response = team.post(f"{_page(example_round.slug)}/extract", data={})
    assert response.status_code == 422
    assert 'id="error-file"' in response.text
    assert _counts(db)[0] == 0


def test_the_plan_shows_a_preview_per_stratum_before_anything_is_drawn(
    db: Session, team: LoggedIn, example_round: Round
) -> None:
    _ready(team, example_round)
    html = team.client.get(_page(example_round.slug)).text
    letters = int(_cell(html, "plan-letters"))
    assert letters == 30 * 20  # 30 places at 5 %
    assert _cell(html, "plan-expected") == "30,0"
    assert "30-44 · w" in html
    assert 'name="rate:30-44|w"' in html
    assert 'action="/organiser/rounds/konstanz-mai/lottery/draw"' in html
    assert db.scalar(select(func.count()).select_from(LotteryWave)) == 0


def test_a_rate_per_stratum_changes_its_letters(team: LoggedIn, example_round: Round) -> None:
    _ready(team, example_round)
    html = team.client.get(_page(example_round.slug)).text
    rates = dict.fromkeys(re.findall(r'name="(rate:[^"]+)"', html), "5")
    rates["rate:75+|m"] = "2,5"
    assert _plan(team, example_round.slug, **rates).status_code == 303
    html = team.client.get(_page(example_round.slug)).text
    assert 'name="rate:75+|m" aria-label' in html
    assert re.search(r'name="rate:75\+\|m"[^>]*value="2,5"', html)


def test_bad_plan_input_is_named_next_to_its_field_and_changes_nothing(
    db: Session, team: LoggedIn, example_round: Round
) -> None:
    _ready(team, example_round)
    before = _counts(db)
    for values, field, text in [
        ({"places": "viele"}, "places", "ganze Zahl"),
        ({"default_rate": "0"}, "default_rate", "Prozentsatz"),
        ({"default_rate": "150"}, "default_rate", "Prozentsatz"),
        ({"age_bands": "60,30"}, "age_bands", ""),
        ({"places": "3000", "default_rate": "1"}, "strata", "Personen können gezogen werden"),
    ]:
        response = _plan(team, example_round.slug, **values)
        assert response.status_code == 422, values
        assert f'id="error-{field}"' in response.text, values
        assert text in response.text, values
        assert _counts(db) == before, values


def test_draw_with_a_seed_lists_the_wave_with_its_downloads(
    db: Session, team: LoggedIn, example_round: Round
) -> None:
    _ready(team, example_round)
    response = team.post(f"{_page(example_round.slug)}/draw", data={"seed": SEED})
    assert response.status_code == 303
    html = team.client.get(_page(example_round.slug)).text
    base = _page(example_round.slug)
    for link in ("letters", "letters.csv", "protocol.pdf"):
        assert f'href="{base}/waves/1/{link}"' in html
    assert f'href="{base}/letter"' in html
    assert SEED in html
    assert _cell(html, "response-registered") == "0"
    assert db.scalar(select(func.count()).select_from(LotteryLetter)) == 600
    assert (
        db.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "lottery.draw")
        )
        == 1
    )


def test_an_empty_seed_is_refused_next_to_the_field(
    db: Session, team: LoggedIn, example_round: Round
) -> None:
    _ready(team, example_round)
    before = _counts(db)
    response = team.post(f"{_page(example_round.slug)}/draw", data={"seed": "   "})
    assert response.status_code == 422
    assert 'id="error-seed"' in response.text
    assert "öffentlich" in response.text
    assert _counts(db) == before


def _answer(db: Session, round: Round, strata: dict[str, int]) -> None:
    """Mark some letters' codes used, as registrations with them do."""
    for stratum, count in strata.items():
        codes = db.scalars(
            select(InvitationCode)
            .join(LotteryLetter, LotteryLetter.code_hash == InvitationCode.code_hash)
            .where(LotteryLetter.stratum == stratum)
            .limit(count)
        )
        for code in codes:
            code.used_at = code.created_at
    db.commit()


def test_the_response_table_counts_registrations_and_offers_a_second_wave(
    db: Session, team: LoggedIn, example_round: Round
) -> None:
    _ready(team, example_round)
    team.post(f"{_page(example_round.slug)}/draw", data={"seed": SEED})
    letters = {
        key: count
        for key, count in db.execute(
            select(LotteryLetter.stratum, func.count()).group_by(LotteryLetter.stratum)
        )
    }
    # Every stratum answers in full but one, where a single letter is answered.
    reached = {key: count for key, count in letters.items() if key != "30-44|w"}
    _answer(db, example_round, {**reached, "30-44|w": 1})
    html = team.client.get(_page(example_round.slug)).text
    assert _cell(html, "response-registered") == str(1 + sum(reached.values()))
    assert "1 Schichten unter dem Ziel" in html
    assert "<svg class='chart'" in html
    found = re.search(r'name="more:30-44\|w"[^>]*value="(\d+)"', html)
    assert found, html
    assert int(found.group(1)) > 0
    assert 'name="more:18-29|m"' not in html


def test_a_second_wave_never_redraws_and_bad_input_changes_nothing(
    db: Session, team: LoggedIn, example_round: Round
) -> None:
    _ready(team, example_round)
    team.post(f"{_page(example_round.slug)}/draw", data={"seed": SEED})
    first = set(db.scalars(select(LotteryLetter.person_id)))
    before = _counts(db)
    cases: list[tuple[dict[str, object], str]] = [
        ({"more:30-44|w": "20", "seed": ""}, "seed"),
        ({"more:30-44|w": "zwanzig", "seed": "1 2 3"}, "more:30-44|w"),
        ({"more:30-44|w": "", "seed": "1 2 3"}, "strata"),
        ({"more:30-44|w": "100000", "seed": "1 2 3"}, "strata"),
    ]
    for data, field in cases:
        response = team.post(f"{_page(example_round.slug)}/more", data=data)
        assert response.status_code == 422, data
        assert f'id="error-{field}"' in response.text, (data, response.text)
        assert _counts(db) == before, data
    response = team.post(
        f"{_page(example_round.slug)}/more", data={"more:30-44|w": "20", "seed": "1 2 3"}
    )
    assert response.status_code == 303
    db.expire_all()
    waves = {w.number: w.letters for w in db.scalars(select(LotteryWave))}
    assert waves == {1: 600, 2: 20}
    second = db.scalars(
        select(LotteryLetter.person_id).join(LotteryWave).where(LotteryWave.number == 2)
    ).all()
    assert len(second) == 20 and not (set(second) & first)


def test_the_extract_is_deleted_only_with_the_typed_confirmation(
    db: Session, team: LoggedIn, example_round: Round
) -> None:
    _ready(team, example_round)
    team.post(f"{_page(example_round.slug)}/draw", data={"seed": SEED})
    response = team.post(f"{_page(example_round.slug)}/delete-extract", data={"confirm": "ja"})
    assert response.status_code == 422
    assert 'id="error-confirm"' in response.text
    assert db.scalar(select(func.count()).select_from(LotteryPerson)) == 3000
    response = team.post(
        f"{_page(example_round.slug)}/delete-extract", data={"confirm": example_round.slug}
    )
    assert response.status_code == 303
    assert db.scalar(select(func.count()).select_from(LotteryPerson)) == 0
    html = team.client.get(_page(example_round.slug)).text
    assert "kann keine weitere Welle gezogen werden" in html
    assert 'action="/organiser/rounds/konstanz-mai/lottery/more"' not in html


def test_the_next_round_is_offered_the_rates_measured_before(
    db: Session, team: LoggedIn, example_round: Round
) -> None:
    _ready(team, example_round)
    team.post(f"{_page(example_round.slug)}/draw", data={"seed": SEED})
    _answer(db, example_round, {"30-44|w": 6})
    rounds.set_status(db, example_round, RoundStatus.CLOSED, "test")
    letters = db.scalar(
        select(func.count()).select_from(LotteryLetter).where(LotteryLetter.stratum == "30-44|w")
    )
    assert letters
    db.commit()
    spec = rounds.load_round_file(EXAMPLE / "round.toml").model_copy(
        update={"slug": "konstanz-herbst", "registration_deadline": open_for_a_month()}
    )
    rounds.create_round(db, spec, BERLIN, "test")
    db.commit()
    assert _upload(team, "konstanz-herbst", EXTRACT.read_bytes()).status_code == 303
    html = team.client.get(_page("konstanz-herbst")).text
    assert re.search(r'id="use_kept" name="use_kept" value="yes" checked', html)
    assert _plan(team, "konstanz-herbst", use_kept="yes").status_code == 303
    html = team.client.get(_page("konstanz-herbst")).text
    measured = lottery_pages.percent(6 / letters)
    assert re.search(rf'name="rate:30-44\|w"[^>]*value="{re.escape(measured)}"', html), measured
    assert "früher gemessen" in html
    # Without the measured rates the stratum plans with the default again.
    assert _plan(team, "konstanz-herbst").status_code == 303
    html = team.client.get(_page("konstanz-herbst")).text
    assert re.search(r'name="rate:30-44\|w"[^>]*value="5"', html)
