"""``vekl report`` and ``vekl report-population``: the same service as the pages."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vekl.cli import app as cli

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "konstanz-mai"


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    from vekl.cli import context
    from vekl.settings import get_settings

    monkeypatch.setenv("VEKL_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.setenv("VEKL_ENVIRONMENT", "development")
    get_settings.cache_clear()
    context.sessions.cache_clear()
    runner = CliRunner()
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
    try:
        yield runner
    finally:
        get_settings.cache_clear()
        context.sessions.cache_clear()


def test_report_command(runner: CliRunner, tmp_path: Path) -> None:
    nothing = runner.invoke(cli, ["report"])
    assert nothing.exit_code == 1 and "no round has registrations" in nothing.output
    assert runner.invoke(cli, ["round", "create", str(EXAMPLE / "round.toml")]).exit_code == 0
    empty = runner.invoke(cli, ["report", "--round", "konstanz-mai"])
    assert empty.exit_code == 1
    assert "round 'konstanz-mai' has no registrations to report yet" in empty.output
    unknown = runner.invoke(cli, ["report", "--round", "nirgendwo"])
    assert unknown.exit_code == 1 and "no round 'nirgendwo'" in unknown.output
    imported = runner.invoke(
        cli, ["import", "registrations", str(EXAMPLE / "registrations.csv"), "-r", "konstanz-mai"]
    )
    assert imported.exit_code == 0, imported.output

    shown = runner.invoke(cli, ["report", "--round", "konstanz-mai"])
    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.output)
    assert data["rounds"] == ["konstanz-mai"] and "<5" in shown.output
    out = tmp_path / "bericht.csv"
    written = runner.invoke(cli, ["report", "-r", "konstanz-mai", "-f", "csv", "-o", str(out)])
    assert written.exit_code == 0 and out.read_text().startswith("scope,round,section")
    no_file = runner.invoke(cli, ["report", "-f", "pdf"])
    assert no_file.exit_code == 2 and "a PDF needs --out FILE" in no_file.output
    pdf = tmp_path / "bericht.pdf"
    assert runner.invoke(cli, ["report", "-f", "pdf", "-o", str(pdf)]).exit_code == 0
    assert pdf.read_bytes().startswith(b"%PDF")
    across = runner.invoke(cli, ["report", "-f", "csv"])
    assert across.exit_code == 0 and across.output.startswith("scope,round")
    assert "\nrounds,," in across.output


def test_population_command(runner: CliRunner, tmp_path: Path) -> None:
    assert runner.invoke(cli, ["round", "create", str(EXAMPLE / "round.toml")]).exit_code == 0
    shares = tmp_path / "anteile.csv"
    shares.write_text("dimension,category,share\ngender,f,0.51\ngender,m,0.49\n")
    done = runner.invoke(cli, ["report-population", str(shares), "-r", "konstanz-mai"])
    assert done.exit_code == 0 and "Saved 2 population shares" in done.output
    shares.write_text("dimension,category,share\ngender,f,fifty\n")
    refused = runner.invoke(cli, ["report-population", str(shares), "-r", "konstanz-mai"])
    assert refused.exit_code == 2
    assert "line 2, column share: 'fifty' is not a share" in refused.output
