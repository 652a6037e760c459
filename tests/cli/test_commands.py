from __future__ import annotations

import re
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from typer.testing import CliRunner

from vekl.cli import app, context
from vekl.store.models import AuditEntry, MailStatus, OutboxMail

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "konstanz-mai"


def test_help_is_available_everywhere(runner: CliRunner) -> None:
    for args in (
        ["--help"],
        ["db", "--help"],
        ["round", "--help"],
        ["import", "--help"],
        ["registrations", "list", "--help"],
        ["demo", "--help"],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args, result.output)
        assert "Usage" in result.output


def test_round_create_import_and_list(runner: CliRunner, cli_env: Path) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    created = runner.invoke(app, ["round", "create", str(EXAMPLE / "round.toml")])
    assert created.exit_code == 0, created.output
    again = runner.invoke(app, ["round", "create", str(EXAMPLE / "round.toml")])
    assert again.exit_code == 1 and "exists already" in again.output
    imported = runner.invoke(
        app,
        ["import", "registrations", str(EXAMPLE / "registrations.csv"), "--round", "konstanz-mai"],
    )
    assert imported.exit_code == 0, imported.output
    assert "60 new" in imported.output
    listed = runner.invoke(
        app, ["registrations", "list", "--round", "konstanz-mai", "--role", "newcomer"]
    )
    assert listed.exit_code == 0
    assert "30 registrations" in listed.output
    shown = runner.invoke(app, ["round", "show", "konstanz-mai"])
    assert "60 confirmed" in shown.output and "Montagabende" in shown.output


def test_a_bad_file_is_refused_whole_with_every_row_named(runner: CliRunner, cli_env: Path) -> None:
    runner.invoke(app, ["db", "upgrade"])
    runner.invoke(app, ["round", "create", str(EXAMPLE / "round.toml")])
    bad = cli_env / "bad.csv"
    bad.write_text(
        "role;first_name;last_name;email;languages;series;consent\n"
        "citizen;Anna;Weber;anna@example.org;de;mon;ja\n"
        "citizen;Ben;Kohl;ben@example.org;xx;mon;ja\n"
        "citizen;Eva;Graf;eva@example.org;de;tue;ja\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["import", "registrations", str(bad), "--round", "konstanz-mai"])
    assert result.exit_code == 2
    assert "line 3, column languages: unknown language code 'xx'" in result.output
    assert "line 4, column series: unknown series 'tue'" in result.output
    listed = runner.invoke(app, ["registrations", "list", "--round", "konstanz-mai"])
    assert "0 registrations" in listed.output


def test_unknown_round_is_an_error(runner: CliRunner, cli_env: Path) -> None:
    runner.invoke(app, ["db", "upgrade"])
    result = runner.invoke(app, ["registrations", "list", "--round", "nope"])
    assert result.exit_code == 1 and "no round 'nope'" in result.output


def test_demo_loads_once(runner: CliRunner, cli_env: Path) -> None:
    first = runner.invoke(app, ["demo"])
    assert first.exit_code == 0, first.output
    assert "60 registrations imported" in first.output
    # The lottery: the invented extract, the fixed public seed, and a response to count.
    assert "3000 people in the invented register extract" in first.output
    assert "public seed '7 19 23 31 42 48 / 5'" in first.output
    assert "12 citizens registered with a letter's code" in first.output
    assert re.search(r"\ntotal +300 +12 +4\.0%", first.output), first.output
    # A specimen of the letters; the print shop's list and the protocol are complete.
    assert "letters (first 20 of 300 letters)" in first.output
    printed = cli_env / "lottery"
    assert len(PdfReader(printed / "welle-1-briefe.pdf").pages) == 2 * 20
    rows = (printed / "welle-1-druckerei.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(rows) == 1 + 300
    assert (printed / "welle-1-protokoll.pdf").stat().st_size > 0
    second = runner.invoke(app, ["demo"])
    assert second.exit_code == 0
    assert "already in this database" in second.output


def test_bad_configuration_is_reported_at_start(
    runner: CliRunner, cli_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VEKL_TIMEZONE", "Europe/Konstanz")
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 2
    assert "VEKL_TIMEZONE" in result.output


def test_mail_retry_refuses_a_sent_mail_and_queues_a_failed_one(
    runner: CliRunner, cli_env: Path
) -> None:
    assert runner.invoke(app, ["demo"]).exit_code == 0
    with context.unit_of_work() as session:
        sent, failed = session.scalars(select(OutboxMail).order_by(OutboxMail.id).limit(2))
        sent.status, failed.status = MailStatus.SENT, MailStatus.FAILED
        ids = sent.id, failed.id
    refused = runner.invoke(app, ["mail", "retry", str(ids[0])])
    assert refused.exit_code == 1
    assert "only failed or expired mails can be tried again" in refused.output
    queued = runner.invoke(app, ["mail", "retry", str(ids[1])])
    assert queued.exit_code == 0, queued.output
    assert runner.invoke(app, ["mail", "retry", "999999"]).exit_code == 1
    with context.unit_of_work() as session:
        assert [session.get_one(OutboxMail, i).status for i in ids] == [
            MailStatus.SENT,
            MailStatus.QUEUED,
        ]
        entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "mail.retry"))
        assert [(e.subject, e.actor.startswith("cli")) for e in entries] == [
            (f"mail:{ids[1]}", True)
        ]


def test_a_round_file_with_a_huge_group_size_is_refused_naming_the_field(
    runner: CliRunner, cli_env: Path
) -> None:
    runner.invoke(app, ["db", "upgrade"])
    text = (EXAMPLE / "round.toml").read_text(encoding="utf-8")
    assert "max_size = 10\n" in text
    huge = cli_env / "huge.toml"
    huge.write_text(text.replace("max_size = 10\n", "max_size = 10000000\n"), encoding="utf-8")
    refused = runner.invoke(app, ["round", "create", str(huge)])
    assert refused.exit_code == 2, refused.output
    assert "max_size: must be at most 100" in refused.output
    largest = cli_env / "largest.toml"
    largest.write_text(text.replace("max_size = 10\n", "max_size = 100\n"), encoding="utf-8")
    assert runner.invoke(app, ["round", "create", str(largest)]).exit_code == 0
