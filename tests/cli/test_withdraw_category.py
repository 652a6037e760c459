"""`vekl registrations withdraw --reason-category`: the allowed values in the help, an
unknown or missing one refused before anything changes, the chosen one stored."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from vekl.cli import app
from vekl.store.models import DropoutCategory

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "konstanz-mai"


def _stored(cli_env: Path, participant_id: int) -> tuple[str, str | None]:
    engine = create_engine(f"sqlite:///{cli_env / 'cli.sqlite3'}")
    with engine.connect() as connection:
        row = connection.execute(
            text("SELECT status, dropout_category FROM participants WHERE id = :id"),
            {"id": participant_id},
        ).one()
    engine.dispose()
    return row[0], row[1]


def test_the_help_lists_the_categories(runner: CliRunner) -> None:
    result = runner.invoke(app, ["registrations", "withdraw", "--help"], terminal_width=200)
    assert result.exit_code == 0
    flat = " ".join(result.output.split())
    assert "--reason-category" in flat
    for category in DropoutCategory:
        assert category.value in flat


def test_the_category_is_validated_and_stored(runner: CliRunner, cli_env: Path) -> None:
    for args in (
        ["db", "upgrade"],
        ["round", "create", str(EXAMPLE / "round.toml")],
        ["import", "registrations", str(EXAMPLE / "registrations.csv"), "-r", "konstanz-mai"],
    ):
        assert runner.invoke(app, args).exit_code == 0
    withdraw = ["registrations", "withdraw", "1", "-r", "konstanz-mai"]

    missing = runner.invoke(app, withdraw)
    assert missing.exit_code == 2 and "--reason-category" in missing.output
    unknown = runner.invoke(app, [*withdraw, "--reason-category", "bored"])
    assert unknown.exit_code == 2 and "bored" in unknown.output
    assert _stored(cli_env, 1) == ("confirmed", None)

    done = runner.invoke(app, [*withdraw, "--reason-category", "not_interested"])
    assert done.exit_code == 0, done.output
    assert _stored(cli_env, 1) == ("withdrawn", "not_interested")
