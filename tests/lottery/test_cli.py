"""``vekl lottery``: import, plan, draw, status, delete-extract, and ``vekl purge``."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from tests.dates import open_for_a_month
from tests.lottery.conftest import EXAMPLE, EXTRACT, csv_bytes, example_rows
from vekl.cli import app, context
from vekl.rounds import service as rounds
from vekl.settings import get_settings
from vekl.store.models import (
    AuditEntry,
    InvitationCode,
    LotteryLetter,
    LotteryPerson,
    RoundStatus,
)

ROUND = "konstanz-mai"


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """The command on a fresh SQLite file with a round that takes registrations."""
    monkeypatch.setenv("VEKL_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.setenv("VEKL_MAIL_DIR", str(tmp_path / "mail"))
    monkeypatch.setenv("VEKL_ENVIRONMENT", "development")
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    context.sessions.cache_clear()
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    toml = (EXAMPLE / "round.toml").read_text(encoding="utf-8")
    deadline = open_for_a_month().replace(tzinfo=None).isoformat(timespec="seconds")
    toml = re.sub(r"(?m)^registration_deadline = .*$", f"registration_deadline = {deadline}", toml)
    (tmp_path / "round.toml").write_text(toml, encoding="utf-8")
    created = runner.invoke(app, ["round", "create", str(tmp_path / "round.toml")])
    assert created.exit_code == 0, created.output
    yield runner
    get_settings.cache_clear()
    context.sessions.cache_clear()


def _count(model: type) -> int:
    with context.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_import_plan_draw_status_and_delete(cli: CliRunner, tmp_path: Path) -> None:
    imported = cli.invoke(app, ["lottery", "import", str(EXTRACT), "-r", ROUND])
    assert imported.exit_code == 0, imported.output
    assert "Imported 3000 people" in imported.output

    planned = cli.invoke(
        app,
        [
            *("lottery", "plan", "-r", ROUND, "--places", "6", "--strata", "age,gender"),
            *("--stratum-rate", "18-29|w=2.5%", "--json"),
        ],
    )
    assert planned.exit_code == 0, planned.output
    plan = json.loads(planned.output)
    assert plan["dimensions"] == ["age", "gender"]
    assert plan["rates"] == {"18-29|w": 0.025}
    letters = plan["letters"]

    table = cli.invoke(app, ["lottery", "plan", "-r", ROUND, "--places", "6"])
    assert table.exit_code == 0, table.output
    assert "18-29|w|Altstadt" in table.output and "total" in table.output

    protocol = tmp_path / "protocol.json"
    drawn = cli.invoke(
        app, ["lottery", "draw", "-r", ROUND, "--seed", "3 1 4 1 5", "--protocol", str(protocol)]
    )
    assert drawn.exit_code == 0, drawn.output
    written = json.loads(protocol.read_text(encoding="utf-8"))
    assert written["seed"] == "3 1 4 1 5" and written["wave"] == 1
    assert f"{written['letters']} letters drawn" in drawn.output
    assert written["letters"] != letters or written["letters"] > 0

    status = cli.invoke(app, ["lottery", "status", "-r", ROUND])
    assert status.exit_code == 0, status.output
    assert "Wave 1" in status.output and "to be deleted by" in status.output

    refused = cli.invoke(app, ["lottery", "delete-extract", "-r", ROUND], input="wrong\n")
    assert refused.exit_code == 1
    assert _count(LotteryPerson) == 3000
    deleted = cli.invoke(app, ["lottery", "delete-extract", "-r", ROUND], input=f"{ROUND}\n")
    assert deleted.exit_code == 0, deleted.output
    assert "3000 people" in deleted.output
    assert _count(LotteryPerson) == 0
    assert _count(LotteryLetter) == written["letters"]
    after = cli.invoke(app, ["lottery", "status", "-r", ROUND])
    assert "deleted" in after.output and "(confirmed)" in after.output


def test_a_bad_extract_is_named_row_by_row_in_german_or_english(
    cli: CliRunner, tmp_path: Path
) -> None:
    rows = example_rows()[:5]
    rows[1][2] = "1980-13-01"
    rows[3][7] = "784"
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes(rows))
    german = cli.invoke(app, ["lottery", "import", str(bad), "-r", ROUND])
    assert german.exit_code == 2
    assert "Nichts wurde geändert" in german.output
    assert "Zeile 3, Spalte Geburtsdatum: muss ein Datum als TT.MM.JJJJ sein" in german.output
    assert "Zeile 5, Spalte PLZ: muss aus fünf Ziffern bestehen" in german.output
    english = cli.invoke(app, ["lottery", "import", str(bad), "-r", ROUND, "--lang", "en"])
    assert english.exit_code == 2
    assert "line 3, column Geburtsdatum: must be a date as DD.MM.YYYY" in english.output
    assert "line 5, column PLZ: must be five digits" in english.output
    assert _count(LotteryPerson) == 0


def test_an_empty_seed_is_refused(cli: CliRunner) -> None:
    cli.invoke(app, ["lottery", "import", str(EXTRACT), "-r", ROUND])
    cli.invoke(app, ["lottery", "plan", "-r", ROUND, "--places", "3"])
    typed = cli.invoke(app, ["lottery", "draw", "-r", ROUND], input="\n")
    assert typed.exit_code == 2
    assert "Startwert" in typed.output
    given = cli.invoke(app, ["lottery", "draw", "-r", ROUND, "--seed", " ", "--lang", "en"])
    assert given.exit_code == 2 and "seed" in given.output
    assert _count(LotteryLetter) == 0
    prompted = cli.invoke(app, ["lottery", "draw", "-r", ROUND], input="17 4 33\n")
    assert prompted.exit_code == 0, prompted.output
    assert _count(LotteryLetter) > 0


def test_a_second_wave_with_an_unknown_stratum_is_refused(cli: CliRunner) -> None:
    cli.invoke(app, ["lottery", "import", str(EXTRACT), "-r", ROUND])
    cli.invoke(app, ["lottery", "plan", "-r", ROUND, "--places", "3", "--strata", "age"])
    cli.invoke(app, ["lottery", "draw", "-r", ROUND, "--seed", "1"])
    first = _count(LotteryLetter)
    unknown = cli.invoke(
        app, ["lottery", "draw", "-r", ROUND, "--seed", "2", "--more", "17-29=4", "--lang", "en"]
    )
    assert unknown.exit_code == 2
    assert "unknown stratum '17-29'" in unknown.output
    assert _count(LotteryLetter) == first
    more = cli.invoke(app, ["lottery", "draw", "-r", ROUND, "--seed", "2", "--more", "18-29=4"])
    assert more.exit_code == 0, more.output
    assert _count(LotteryLetter) == first + 4


def test_purge_deletes_an_extract_past_its_deadline(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli.invoke(app, ["lottery", "import", str(EXTRACT), "-r", ROUND])
    kept = cli.invoke(app, ["purge"])
    assert kept.exit_code == 0 and _count(LotteryPerson) == 3000
    # An extract imported with a deadline of one day, seen two days later.
    with context.unit_of_work() as session:
        from datetime import timedelta

        from vekl.store.models import Lottery

        lottery = session.scalars(select(Lottery)).one()
        assert lottery.extract_delete_by is not None
        lottery.extract_delete_by -= timedelta(days=61)
    purged = cli.invoke(app, ["purge"])
    assert purged.exit_code == 0, purged.output
    assert "deleted the register extract of konstanz-mai (3000 people)" in purged.output
    assert _count(LotteryPerson) == 0
    with context.unit_of_work() as session:
        actions = set(session.scalars(select(AuditEntry.action)))
    assert "lottery.delete_extract" in actions


def test_letters_protocol_and_wording_from_the_command_line(cli: CliRunner, tmp_path: Path) -> None:
    from pypdf import PdfReader

    small = tmp_path / "extract.csv"
    small.write_bytes(csv_bytes(example_rows()[:400]))
    assert cli.invoke(app, ["lottery", "import", str(small), "-r", ROUND]).exit_code == 0
    planned = cli.invoke(
        app, ["lottery", "plan", "-r", ROUND, "--places", "1", "--strata", "none", "--rate", "0.25"]
    )
    assert planned.exit_code == 0, planned.output
    assert cli.invoke(app, ["lottery", "draw", "-r", ROUND, "--seed", "9"]).exit_code == 0

    body = tmp_path / "body.txt"
    body.write_text(
        "liebe Konstanzerin, lieber Konstanzer,\n\nkommen Sie vorbei.", encoding="utf-8"
    )
    sample = tmp_path / "sample.pdf"
    changed = cli.invoke(
        app, ["lottery", "letter-text", "-r", ROUND, "--body", str(body), "--sample", str(sample)]
    )
    assert changed.exit_code == 0, changed.output
    assert "(the round's own wording)" in changed.output
    assert "kommen Sie vorbei." in PdfReader(sample).pages[0].extract_text()

    out = tmp_path / "print"
    written = cli.invoke(app, ["lottery", "letters", "-r", ROUND, "--wave", "1", "--out", str(out)])
    assert written.exit_code == 0, written.output
    pdf = out / f"{ROUND}-welle-1-briefe.pdf"
    listing = out / f"{ROUND}-welle-1-druckerei.csv"
    assert len(PdfReader(pdf).pages) == 2 * 4
    assert "kommen Sie vorbei." in PdfReader(pdf).pages[0].extract_text()
    assert len(listing.read_text(encoding="utf-8-sig").splitlines()) == 1 + 4
    again = cli.invoke(app, ["lottery", "letters", "-r", ROUND, "--wave", "1", "--out", str(out)])
    assert again.exit_code == 1 and "exists already" in again.output

    protocol = tmp_path / "protocol.pdf"
    made = cli.invoke(
        app, ["lottery", "protocol", "-r", ROUND, "--wave", "1", "--out", str(protocol)]
    )
    assert made.exit_code == 0, made.output
    assert "vekl lottery draw --round konstanz-mai --seed 9" in " ".join(
        page.extract_text() for page in PdfReader(protocol).pages
    )

    reset = cli.invoke(app, ["lottery", "letter-text", "-r", ROUND, "--default"])
    assert reset.exit_code == 0 and "(the default wording)" in reset.output

    assert cli.invoke(app, ["lottery", "delete-extract", "-r", ROUND, "--yes"]).exit_code == 0
    refused = cli.invoke(
        app, ["lottery", "letters", "-r", ROUND, "--wave", "1", "--out", str(tmp_path / "late")]
    )
    assert refused.exit_code == 1
    assert "können nicht mehr gedruckt werden" in refused.output


def _use_codes(strata: dict[str, int]) -> None:
    """Registrations with some letters' codes (as the registration form marks them)."""
    with context.unit_of_work() as session:
        for stratum, count in strata.items():
            codes = session.scalars(
                select(InvitationCode)
                .join(LotteryLetter, LotteryLetter.code_hash == InvitationCode.code_hash)
                .where(LotteryLetter.stratum == stratum)
                .limit(count)
            )
            for code in codes:
                code.used_at = code.created_at


def test_status_shows_the_response_and_the_second_wave_it_needs(cli: CliRunner) -> None:
    cli.invoke(app, ["lottery", "import", str(EXTRACT), "-r", ROUND])
    cli.invoke(app, ["lottery", "plan", "-r", ROUND, "--places", "10", "--strata", "gender"])
    cli.invoke(app, ["lottery", "draw", "-r", ROUND, "--seed", "9 9 9"])
    with context.unit_of_work() as session:
        letters = dict(
            session.execute(
                select(LotteryLetter.stratum, func.count()).group_by(LotteryLetter.stratum)
            ).all()
        )
    _use_codes({"w": letters["w"], "m": 1})
    status = cli.invoke(app, ["lottery", "status", "-r", ROUND])
    assert status.exit_code == 0, status.output
    lines = {line.split()[0]: line.split() for line in status.output.splitlines() if line}
    assert lines["w"][1:4] == [str(letters["w"]), str(letters["w"]), "100.0%"]
    assert lines["m"][2] == "1" and "yes" in lines["m"]
    more = int(lines["m"][-1])
    assert more == -(-(letters["m"] * 0.05 - 1) // (1 / letters["m"]))
    assert f"--more 'm={more}'" in status.output
    second = cli.invoke(
        app, ["lottery", "draw", "-r", ROUND, "--seed", "8 8", "--more", f"m={more}"]
    )
    assert second.exit_code == 0, second.output
    again = cli.invoke(app, ["lottery", "status", "-r", ROUND])
    assert "wave 2" in again.output


def test_plan_offers_the_rates_measured_in_an_earlier_round(cli: CliRunner, tmp_path: Path) -> None:
    cli.invoke(app, ["lottery", "import", str(EXTRACT), "-r", ROUND])
    cli.invoke(app, ["lottery", "plan", "-r", ROUND, "--places", "10", "--strata", "gender"])
    cli.invoke(app, ["lottery", "draw", "-r", ROUND, "--seed", "9 9 9"])
    _use_codes({"w": 20})
    with context.unit_of_work() as session:
        lottery_round = rounds.get_round(session, ROUND)
        rounds.set_status(session, lottery_round, RoundStatus.CLOSED, "test")
    toml = (tmp_path / "round.toml").read_text(encoding="utf-8")
    (tmp_path / "later.toml").write_text(toml.replace(ROUND, "konstanz-herbst"), encoding="utf-8")
    assert cli.invoke(app, ["round", "create", str(tmp_path / "later.toml")]).exit_code == 0
    cli.invoke(app, ["lottery", "import", str(EXTRACT), "-r", "konstanz-herbst"])
    plan = [*("lottery", "plan", "-r", "konstanz-herbst", "--places", "10", "--strata", "gender")]
    used = cli.invoke(app, [*plan, "--json"])
    assert used.exit_code == 0, used.output
    assert set(json.loads(used.output)["rates"]) == {"w"}
    shown = cli.invoke(app, plan)
    assert "Rates measured in earlier rounds were used for 1 strata" in shown.output
    assert re.search(r"\n  w +\d+\.\d% \(20 of \d+ letters, 1 round\)", shown.output)
    plain = cli.invoke(app, [*plan, "--no-kept-rates", "--json"])
    assert json.loads(plain.output)["rates"] == {}
