"""Files the parsers cannot take are refused with a message, not a traceback."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from tests.organiser.test_hostile_uploads import deep_toml, long_cell_file
from vekl.cli import app

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "konstanz-mai"


def test_the_command_line_refuses_both_without_a_traceback(
    runner: CliRunner, cli_env: Path
) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    deep = cli_env / "deep.toml"
    deep.write_bytes(deep_toml())
    refused = runner.invoke(app, ["round", "create", str(deep)])
    assert refused.exit_code == 2, refused.output
    assert "not valid TOML: nested too deeply" in " ".join(refused.output.split())
    assert runner.invoke(app, ["round", "create", str(EXAMPLE / "round.toml")]).exit_code == 0
    long = cli_env / "long.csv"
    long.write_bytes(long_cell_file())
    result = runner.invoke(app, ["import", "registrations", str(long), "--round", "konstanz-mai"])
    assert result.exit_code == 2, result.output
    assert "line 3, column (row): cannot be read as CSV" in " ".join(result.output.split())
    listed = runner.invoke(app, ["registrations", "list", "--round", "konstanz-mai"])
    assert "0 registrations" in listed.output
