"""Letter codes, the purge of unconfirmed registrations, and the web-side commands."""

from __future__ import annotations

import csv
import math
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from api import create_app
from tests.dates import open_for_a_month
from vekl.access import guesses
from vekl.cli import app as cli
from vekl.cli import context
from vekl.errors import InvalidInput
from vekl.jobs.worker import Worker
from vekl.registration import letter_codes
from vekl.registration import online as online_registration
from vekl.rounds import service as rounds
from vekl.settings import Settings, get_settings
from vekl.store import migrate
from vekl.store.db import make_sessionmaker, transaction
from vekl.store.models import GuessCounter, InvitationCode, Participant, Role, Round, RoundStatus
from vekl.validation import RegistrationInput

from .conftest import EXAMPLE, SECRET, citizen_form, newcomer_form, settle


def test_codes_are_readable_and_carry_at_least_50_bits() -> None:
    code = letter_codes.new_code()
    assert len(code) == 12
    assert not set(code) & set("0O1ILZ")
    assert re_grouped(letter_codes.grouped(code))
    random_bits = letter_codes.RANDOM_LENGTH * math.log2(len(letter_codes.ALPHABET))
    assert random_bits >= 50
    assert letter_codes.format_problem(code) is None


def re_grouped(text: str) -> bool:
    return re.fullmatch(r"[2-9A-Y]{4}-[2-9A-Y]{4}-[2-9A-Y]{4}", text) is not None


@pytest.mark.parametrize("position", range(12))
def test_every_single_mistyped_character_is_caught(position: int) -> None:
    code = letter_codes.new_code()
    for char in letter_codes.ALPHABET:
        if char != code[position]:
            typo = code[:position] + char + code[position + 1 :]
            assert letter_codes.format_problem(typo) == letter_codes.CODE_TYPO


def test_codes_are_stored_only_as_keyed_hashes(db: Session, open_round: Round) -> None:
    codes = letter_codes.generate(db, open_round, 20, secret=SECRET, actor="test")
    assert len(set(codes)) == 20
    stored = set(db.scalars(select(InvitationCode.code_hash)))
    assert len(stored) == 20
    for code in codes:
        plain = letter_codes.normalise(code)
        assert plain not in " ".join(stored)
        assert letter_codes.code_hash(plain, SECRET) in stored
        assert letter_codes.code_hash(plain, "another-secret-key-0000") not in stored


def test_guess_counters_add_up_and_expire(db: Session) -> None:
    now = datetime(2027, 3, 1, 12, 7, tzinfo=UTC)
    client = guesses.client_key("2001:db8::1", SECRET)
    assert client == guesses.client_key("2001:db8::ffff", SECRET), "one /64 is one client"
    assert client != guesses.client_key("192.0.2.1", SECRET)
    for _ in range(3):
        guesses.count(db, "letter_code", client, now)
    assert guesses.attempts(db, "letter_code", client, now) == 3
    assert guesses.attempts(db, "letter_code", client, now + timedelta(minutes=20)) == 0
    guesses.purge_expired(db, now + timedelta(hours=1))
    assert db.scalar(select(func.count()).select_from(GuessCounter)) == 0


def test_unconfirmed_registrations_are_deleted_after_a_week_and_free_their_code(
    client: TestClient, db: Session, codes: list[str]
) -> None:
    client.post("/rounds/konstanz-mai/register", data=citizen_form(codes[0]))
    client.post("/rounds/konstanz-mai/register", data=newcomer_form())
    people = list(db.scalars(select(Participant).order_by(Participant.id)))
    assert len(people) == 2
    people[1].status = people[1].status.CONFIRMED
    settle(db)
    now = datetime.now(UTC)
    assert online_registration.purge_pending(db, now + timedelta(days=6)) == 0
    assert online_registration.purge_pending(db, now + timedelta(days=8)) == 1
    assert [p.email for p in db.scalars(select(Participant))] == ["olena.melnyk@example.org"]
    code = db.scalars(select(InvitationCode).where(InvitationCode.used_at.is_not(None))).all()
    assert code == [], "the letter's code can be used again"
    again = client.post(
        "/rounds/konstanz-mai/register", data=citizen_form(codes[0]), follow_redirects=False
    )
    assert again.status_code == 303


@pytest.fixture
def cli_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("VEKL_DATABASE_URL", f"sqlite:///{tmp_path / 'web-cli.sqlite3'}")
    monkeypatch.setenv("VEKL_ENVIRONMENT", "development")
    monkeypatch.setenv("VEKL_BASE_URL", "https://anmeldung.konstanz.example")
    monkeypatch.delenv("VEKL_SECRET_KEY", raising=False)
    get_settings.cache_clear()
    context.sessions.cache_clear()
    runner = CliRunner()
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
    # Open for a month from today, whatever day the test runs on.
    deadline = open_for_a_month().strftime("%Y-%m-%dT%H:%M:%SZ")
    round_file = tmp_path / "round.toml"
    round_file.write_text(
        re.sub(
            r"(?m)^registration_deadline.*$",
            f"registration_deadline = {deadline}",
            (EXAMPLE / "round.toml").read_text(),
        )
    )
    assert runner.invoke(cli, ["round", "create", str(round_file)]).exit_code == 0
    yield tmp_path
    get_settings.cache_clear()
    context.sessions.cache_clear()


def test_the_codes_command_writes_a_mail_merge_file(cli_database: Path) -> None:
    runner = CliRunner()
    out = cli_database / "letters.csv"
    result = runner.invoke(
        cli, ["codes", "generate", "--round", "konstanz-mai", "--count", "5", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig"), delimiter=";"))
    assert len(rows) == 5
    for row in rows:
        assert re_grouped(row["code"])
        assert row["url"] == f"https://anmeldung.konstanz.example/?code={row['code']}"
    again = runner.invoke(
        cli, ["codes", "generate", "--round", "konstanz-mai", "--count", "5", "--out", str(out)]
    )
    assert again.exit_code == 1 and "not overwriting" in again.output
    with context.sessions()() as session:
        assert session.scalar(select(func.count()).select_from(InvitationCode)) == 5
    # A round that no longer takes registrations gets no codes nobody could use.
    with context.unit_of_work() as session:
        session.scalars(select(Round)).one().status = RoundStatus.CLOSED
    late = cli_database / "late.csv"
    refused = runner.invoke(
        cli, ["codes", "generate", "--round", "konstanz-mai", "--count", "5", "--out", str(late)]
    )
    assert refused.exit_code == 1 and "no longer takes registrations" in refused.output
    assert not late.exists()
    with context.sessions()() as session:
        assert session.scalar(select(func.count()).select_from(InvitationCode)) == 5


def test_moderator_links_and_purge_commands(cli_database: Path) -> None:
    runner = CliRunner()
    imported = runner.invoke(
        cli,
        ["import", "moderators", str(EXAMPLE / "moderators.csv"), "--round", "konstanz-mai"],
    )
    assert imported.exit_code == 0, imported.output
    links = runner.invoke(cli, ["moderators", "links", "--round", "konstanz-mai"])
    assert links.exit_code == 0, links.output
    assert "https://anmeldung.konstanz.example/moderator/" in links.output
    purge = runner.invoke(cli, ["registrations", "purge-pending"])
    assert purge.exit_code == 0 and "Removed 0" in purge.output
    assert runner.invoke(cli, ["serve", "--help"]).exit_code == 0


def test_the_worker_purges_unconfirmed_registrations(tmp_path: Path) -> None:
    """The worker's hourly step runs the same purge in a transaction of its own."""
    url = f"sqlite:///{tmp_path / 'housekeeping.sqlite3'}"
    migrate.upgrade(url)
    settings = Settings(
        environment="test", database_url=url, secret_key=SECRET, mail_dir=tmp_path / "mail"
    )
    app = create_app(settings)
    with transaction(app.state.sessions) as session:
        spec = rounds.load_round_file(EXAMPLE / "round.toml")
        round = rounds.create_round(session, spec, ZoneInfo("Europe/Berlin"), "test")
        for age, email in ((8, "old@example.org"), (1, "new@example.org")):
            session.add(
                Participant(
                    round_id=round.id,
                    role=Role.NEWCOMER,
                    first_name="P",
                    last_name="Q",
                    email=email,
                    languages=["de"],
                    created_at=datetime.now(UTC) - timedelta(days=age),
                )
            )
    worker = Worker(app.state.sessions, app.state.settings, name="test")
    assert worker.run_once() is False  # nothing queued: mail, then the first housekeeping
    with app.state.sessions() as session:
        assert list(session.scalars(select(Participant.email))) == ["new@example.org"]
    app.state.engine.dispose()


def test_one_code_sent_twice_at_once_registers_one_person(engine: Engine) -> None:
    """Two different people racing with the same letter code: exactly one gets in."""
    if engine.dialect.name != "postgresql":
        pytest.skip("a real race needs PostgreSQL's row locks; SQLite serialises writers")
    config = Settings(environment="test", database_url="postgresql://unused", secret_key=SECRET)
    sessions = make_sessionmaker(engine)
    with transaction(sessions) as setup:
        spec = rounds.load_round_file(EXAMPLE / "round.toml").model_copy(
            update={"slug": "code-race", "registration_deadline": open_for_a_month()}
        )
        round_id = rounds.create_round(setup, spec, ZoneInfo("Europe/Berlin"), "test").id
        [code] = letter_codes.generate(
            setup, setup.get_one(Round, round_id), 1, secret=SECRET, actor="test"
        )
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt(email: str) -> None:
        form = RegistrationInput.model_validate(
            {
                "role": "citizen",
                "first_name": "Racer",
                "last_name": "Test",
                "email": email,
                "languages": ["de"],
                "series": ["mon"],
                "consent": True,
            }
        )
        try:
            with transaction(sessions) as session:
                barrier.wait()
                online_registration.register_online(
                    session, config, "code-race", form, letter_code=code, client=email
                )
            outcomes.append("stored")
        except InvalidInput as exc:
            outcomes.append(exc.errors[0].message)

    threads = [threading.Thread(target=attempt, args=(f"racer{i}@example.org",)) for i in range(2)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert sorted(outcomes) == sorted(["stored", letter_codes.CODE_USED])
        with sessions() as check:
            stored = check.scalar(select(func.count()).where(Participant.round_id == round_id))
        assert stored == 1
    finally:
        with transaction(sessions) as cleanup:
            cleanup.execute(delete(Round).where(Round.id == round_id))
