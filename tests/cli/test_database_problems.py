"""A wrong VEKL_DATABASE_URL ends every command with one line on stderr, never a traceback.

The commands run as an operator runs them: the installed ``vekl`` in a process of its own,
configured by the environment. The line names the database with its password masked and
says what is wrong; ``vekl serve`` and ``vekl worker`` refuse to start.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from tests.databases import PG_URL, postgres_unavailable
from vekl.cli import app, context, serve
from vekl.jobs.worker import Worker
from vekl.settings import get_settings

VEKL = Path(sys.executable).parent / "vekl"
PASSWORD = "Geheim-Pass-42"


@pytest.fixture(scope="module")
def closed_port() -> Iterator[int]:
    """A port on 127.0.0.1 that is taken but not listening: connecting there is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", 0))
        yield int(holder.getsockname()[1])


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _local_postgres(**parts: str) -> str:
    """The test server's URL with some parts changed (it trusts local connections)."""
    if not PG_URL:
        postgres_unavailable("VEKL_TEST_DATABASE_URL is not set")
    return make_url(PG_URL).set(**parts).render_as_string(hide_password=False)  # type: ignore[arg-type]


def vekl(url: str, *args: str, folder: Path) -> subprocess.CompletedProcess[str]:
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith("VEKL_")
    }
    environment.update(
        VEKL_DATABASE_URL=url,
        VEKL_ENVIRONMENT="development",
        VEKL_MAIL_DIR=str(folder / "mail"),
        # A narrow terminal must not break the line.
        COLUMNS="40",
    )
    return subprocess.run(
        [str(VEKL), *args],
        env=environment,
        cwd=folder,  # no .env of the project's
        capture_output=True,
        text=True,
        timeout=60,
    )


def assert_one_line(done: subprocess.CompletedProcess[str], expected: str, status: int) -> None:
    shown = done.stdout + done.stderr
    assert done.returncode == status, shown
    assert done.stderr.splitlines() == [expected], shown
    assert "Traceback" not in shown
    assert PASSWORD not in shown


EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "konstanz-mai"
# Every command that uses the database, with arguments it accepts.
COMMANDS = [
    ["db", "upgrade"],
    ["db", "downgrade", "base"],
    ["db", "current"],
    ["round", "create", str(EXAMPLE / "round.toml")],
    ["round", "show", "konstanz-mai"],
    ["round", "list"],
    ["import", "registrations", str(EXAMPLE / "registrations.csv"), "-r", "konstanz-mai"],
    ["import", "moderators", str(EXAMPLE / "moderators.csv"), "-r", "konstanz-mai"],
    ["registrations", "list", "-r", "konstanz-mai"],
    ["registrations", "withdraw", "1", "-r", "konstanz-mai", "--reason-category", "other"],
    ["registrations", "purge-pending"],
    ["mail", "send"],
    ["mail", "status"],
    ["mail", "retry", "1"],
    ["runs", "list", "-r", "konstanz-mai"],
    ["runs", "show", "1"],
    ["match", "-r", "konstanz-mai"],
    ["rematch", "-r", "konstanz-mai"],
    ["codes", "generate", "-r", "konstanz-mai", "-n", "1", "-o", "codes.csv"],
    ["moderators", "links", "-r", "konstanz-mai"],
    ["admin", "set-password", "team@konstanz.example"],
    ["purge"],
    ["purge", "--dry-run"],
    ["demo"],
    ["worker"],
    ["serve", "--port", "0"],
]


def closed_url(port: int) -> str:
    return f"postgresql+psycopg://vekl:{PASSWORD}@127.0.0.1:{port}/vekl"


def refused(port: int) -> str:
    return (
        f"vekl: cannot reach the database at postgresql+psycopg://vekl:***@127.0.0.1:{port}"
        "/vekl: connection refused"
    )


@pytest.fixture
def in_process(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[CliRunner]:
    """The command in this process, its settings from the environment; a web app or worker
    that would start anyway fails the test instead of running."""

    def started(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("started although the database cannot be used")

    monkeypatch.setattr(serve, "_run", started)
    monkeypatch.setattr(Worker, "run", started)
    monkeypatch.setenv("VEKL_ENVIRONMENT", "development")
    monkeypatch.setenv("VEKL_MAIL_DIR", str(tmp_path / "mail"))
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    context.sessions.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()
    context.sessions.cache_clear()


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_every_command_names_a_closed_port_in_one_line(
    args: list[str], closed_port: int, in_process: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VEKL_DATABASE_URL", closed_url(closed_port))
    done = in_process.invoke(app, args, input="lange-genug-und-geheim\n" * 2)
    assert done.exit_code == 1, done.output
    assert done.stderr.splitlines() == [refused(closed_port)], done.output
    assert PASSWORD not in done.output
    assert "VEKL web app" not in done.stdout and "VEKL worker" not in done.stdout


@pytest.mark.slow
@pytest.mark.parametrize(
    "args",
    [["db", "upgrade"], ["worker"], ["serve"]],
    ids=" ".join,
)
def test_the_installed_command_names_a_closed_port_in_one_line(
    args: list[str], closed_port: int, tmp_path: Path
) -> None:
    if args == ["serve"]:
        args = ["serve", "--port", str(_free_port())]
    done = vekl(closed_url(closed_port), *args, folder=tmp_path)
    assert_one_line(done, refused(closed_port), 1)
    assert "VEKL web app" not in done.stdout and "VEKL worker" not in done.stdout


@pytest.mark.slow
def test_a_database_that_does_not_exist(tmp_path: Path) -> None:
    url = _local_postgres(database="vekl_no_such_database")
    masked = make_url(url).render_as_string(hide_password=True)
    done = vekl(url, "db", "current", folder=tmp_path)
    assert_one_line(
        done,
        f'vekl: cannot reach the database at {masked}: database "vekl_no_such_database" '
        "does not exist",
        1,
    )


def test_a_user_that_does_not_exist(in_process: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    url = _local_postgres(username="vekl_no_such_user", password=PASSWORD)
    masked = make_url(url).render_as_string(hide_password=True)
    assert "***" in masked
    monkeypatch.setenv("VEKL_DATABASE_URL", url)
    for args in (["db", "upgrade"], ["purge", "--dry-run"], ["worker"]):
        done = in_process.invoke(app, args)
        assert done.exit_code == 1, done.output
        assert done.stderr.splitlines() == [
            f'vekl: cannot reach the database at {masked}: role "vekl_no_such_user" does not exist'
        ]
        assert PASSWORD not in done.output


@pytest.mark.slow
def test_a_sqlite_file_in_a_missing_folder(tmp_path: Path) -> None:
    missing = tmp_path / "not-there" / "vekl.sqlite3"
    url = f"sqlite:///{missing}"
    assert_one_line(
        vekl(url, "serve", "--port", str(_free_port()), folder=tmp_path),
        f"vekl: cannot reach the database at {url}: the folder {missing.parent} does not exist",
        1,
    )
    assert not missing.parent.exists()


def test_a_sqlite_file_in_a_missing_folder_for_every_command(
    in_process: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = tmp_path / "not-there" / "vekl.sqlite3"
    url = f"sqlite:///{missing}"
    monkeypatch.setenv("VEKL_DATABASE_URL", url)
    for args in (["db", "upgrade"], ["purge", "--dry-run"], ["round", "list"], ["worker"]):
        done = in_process.invoke(app, args)
        assert done.exit_code == 1, done.output
        assert done.stderr.splitlines() == [
            f"vekl: cannot reach the database at {url}: the folder {missing.parent} does not exist"
        ]


MALFORMED = [
    (f"postgresql+psycopg://vekl:{PASSWORD}@127.0.0.1:port/vekl", "not a database URL"),
    (f"vekl:{PASSWORD}@127.0.0.1/vekl", "not a database URL"),
    (
        f"postgresql+nosuchdriver://vekl:{PASSWORD}@127.0.0.1/vekl",
        "unknown kind of database or driver 'postgresql+nosuchdriver'",
    ),
    (
        f"mysql://vekl:{PASSWORD}@127.0.0.1/vekl",
        "names a mysql database, but VEKL works with PostgreSQL and SQLite",
    ),
]


def configuration_line(problem: str) -> str:
    return (
        f"vekl: configuration: VEKL_DATABASE_URL: {problem} (expected for example "
        "postgresql+psycopg://user:password@host:5432/name or sqlite:///path/to/file.sqlite3)"
    )


@pytest.mark.slow
def test_the_installed_command_refuses_a_malformed_url(tmp_path: Path) -> None:
    url, problem = MALFORMED[0]
    assert_one_line(vekl(url, "round", "list", folder=tmp_path), configuration_line(problem), 2)


@pytest.mark.parametrize(("url", "problem"), MALFORMED, ids=["port", "no scheme", "driver", "kind"])
def test_a_malformed_url_or_unknown_driver_is_a_configuration_error(
    url: str, problem: str, in_process: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VEKL_DATABASE_URL", url)
    for args in (["db", "upgrade"], ["serve", "--port", "0"]):
        done = in_process.invoke(app, args)
        assert done.exit_code == 2, done.output
        assert done.stderr.splitlines() == [configuration_line(problem)]
        assert PASSWORD not in done.output


def test_a_driver_that_is_not_installed(
    in_process: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VEKL_DATABASE_URL", f"postgresql+psycopg2://vekl:{PASSWORD}@127.0.0.1/vekl")
    done = in_process.invoke(app, ["round", "list"])
    assert done.exit_code == 1, done.output
    assert done.stderr.splitlines() == [
        "vekl: cannot use the database at postgresql+psycopg2://vekl:***@127.0.0.1/vekl: "
        "its driver 'psycopg2' is not installed"
    ]
