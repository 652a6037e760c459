"""The whole round from the command line: match, publish, send, withdraw, rematch."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from vekl.cli import app

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "konstanz-mai"


def run(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_match_publish_send_withdraw_rematch(runner: CliRunner, cli_env: Path) -> None:
    run(runner, "db", "upgrade")
    run(runner, "round", "create", str(EXAMPLE / "round.toml"))
    run(runner, "import", "moderators", str(EXAMPLE / "moderators.csv"), "-r", "konstanz-mai")
    run(runner, "import", "registrations", str(EXAMPLE / "registrations.csv"), "-r", "konstanz-mai")

    # Nothing to publish before a draft exists, nothing to rematch before a publish.
    assert runner.invoke(app, ["match", "-r", "konstanz-mai", "--publish"]).exit_code == 1
    assert runner.invoke(app, ["rematch", "-r", "konstanz-mai"]).exit_code == 1

    output = run(runner, "match", "-r", "konstanz-mai", "-t", "3")
    assert "Draft run 1 stored" in output
    assert re.search(r"Run 1: solver (optimal|feasible), \d+ placed", output)
    assert "Draft" not in run(runner, "runs", "list", "-r", "konstanz-mai").splitlines()[0]

    published = run(runner, "match", "-r", "konstanz-mai", "--publish")
    queued = int(re.search(r"(\d+) mails queued", published).group(1))  # type: ignore[union-attr]
    assert queued >= 60
    sent = run(runner, "mail", "send")
    assert f"{queued} sent" in sent
    assert len(list((cli_env / "mail").glob("*.eml"))) == queued
    assert f"{queued} sent" in run(runner, "mail", "status")

    listed = run(runner, "registrations", "list", "-r", "konstanz-mai", "--status", "placed")
    first_id = re.search(r"│\s*(\d+)\s*│", listed).group(1)  # type: ignore[union-attr]
    withdrawn = run(
        runner,
        "registrations",
        "withdraw",
        first_id,
        "-r",
        "konstanz-mai",
        "--reason-category",
        "moved",
    )
    assert "3 mails queued" in withdrawn  # a cancellation for each of their three evenings

    output = run(runner, "rematch", "-r", "konstanz-mai", "-t", "3")
    assert f"p{first_id}: left" in output
    assert "Draft run 2 stored" in output
    run(runner, "rematch", "-r", "konstanz-mai", "--publish")
    run(runner, "mail", "send")
    status = run(runner, "mail", "status")
    assert "0 queued" in status and "0 failed" in status and "Needs attention" not in status
