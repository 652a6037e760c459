"""`.ci/run`: PostgreSQL must be there under CI, or the run fails loudly.

The script runs for real under bash, with the system commands it calls (apt-get,
pg_isready, pg_ctlcluster, su, make …) replaced by small scripts on PATH that record
their calls and play one situation each.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / ".ci" / "run"
BASH = shutil.which("bash") or "/bin/bash"
# Real tools the script uses besides those played here.
TOOLS = ("awk", "cat", "dirname", "grep", "sort", "tail", "seq", "touch", "cp", "chmod")

# Each stub appends its command line to $CALLS; the situation lives in files under $STATE.
STUBS = {
    "pg_isready": '[ -e "$STATE/up" ]',
    "pg_lsclusters": 'echo "15 main 5432 down postgres /var/lib/postgresql/15/main log"',
    "pg_ctlcluster": """
case "$*" in
  *status*) [ -e "$STATE/up" ] && exit 0 || exit 3 ;;
  *start*) [ -e "$STATE/start-fails" ] && exit 1
           [ -e "$STATE/never-answers" ] || touch "$STATE/up" ;;
esac""",
    "apt-get": """
case "$*" in
  *update*) [ -e "$STATE/update-fails" ] && exit 100 || exit 0 ;;
  *install*) [ -e "$STATE/install-fails" ] && exit 100
             cp "$PACKAGE/pg_ctlcluster" "$PACKAGE/pg_lsclusters" "$BIN/" ;;
esac""",
    "su": '[ -e "$STATE/createdb-fails" ] && exit 1 || exit 0',
    "sleep": "true",
    "make": 'echo "CI=$CI URL=$VEKL_TEST_DATABASE_URL" >> "$STATE/make"; exit "${MAKE_RC:-0}"',
}


@dataclass
class Outcome:
    code: int
    stderr: str
    calls: list[str]
    make: str


class Machine:
    """A copy of the script in a folder of its own, and a PATH of played commands."""

    def __init__(self, root: Path, *, installed: bool = True) -> None:
        self.state = root / "state"
        self.bin = root / "bin"
        self.package = root / "package"  # what `apt-get install postgresql` puts on PATH
        for folder in (self.state, self.bin, self.package, root / "repo" / ".ci"):
            folder.mkdir(parents=True)
        self.script = root / "repo" / ".ci" / "run"
        shutil.copy(SCRIPT, self.script)
        for tool in TOOLS:
            found = shutil.which(tool)
            assert found, tool
            (self.bin / tool).symlink_to(found)
        for name, body in STUBS.items():
            stub = f'#!{BASH}\necho "{name} $*" >> "$STATE/calls"\n{body}\n'
            self._write(self.package / name, stub)
            if installed or name not in ("pg_ctlcluster", "pg_lsclusters"):
                self._write(self.bin / name, stub)

    @staticmethod
    def _write(path: Path, text: str) -> None:
        path.write_text(text)
        path.chmod(0o755)

    def given(self, *facts: str) -> Machine:
        for fact in facts:
            (self.state / fact).touch()
        return self

    def run(self, **env: str) -> Outcome:
        environment = {
            "PATH": str(self.bin),
            "STATE": str(self.state),
            "BIN": str(self.bin),
            "PACKAGE": str(self.package),
        }
        result = subprocess.run(
            [BASH, str(self.script)],
            env=environment | env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        calls = self.state / "calls"
        make = self.state / "make"
        return Outcome(
            result.returncode,
            result.stderr,
            calls.read_text().splitlines() if calls.exists() else [],
            make.read_text() if make.exists() else "",
        )


def test_the_script_is_valid_bash() -> None:
    subprocess.run([BASH, "-n", str(SCRIPT)], check=True)


def test_a_running_server_goes_straight_to_the_tests_with_ci_set(tmp_path: Path) -> None:
    outcome = Machine(tmp_path).given("up").run()
    assert outcome.code == 0, outcome.stderr
    assert outcome.make == "CI=true URL=postgresql+psycopg://postgres@127.0.0.1:5432/test\n"
    assert not [c for c in outcome.calls if c.startswith(("apt-get", "pg_ctlcluster", "su"))]


def test_a_missing_postgresql_is_installed_started_and_given_its_database(tmp_path: Path) -> None:
    outcome = Machine(tmp_path, installed=False).run(VEKL_TEST_DATABASE_URL="postgresql://x/y")
    assert outcome.code == 0, outcome.stderr
    assert outcome.make == "CI=true URL=postgresql://x/y\n"
    played = ("apt-get", "pg_lsclusters", "pg_ctlcluster", "su")
    steps = [c for c in outcome.calls if c.split()[0] in played]
    assert steps[:5] == [
        "apt-get update -q",
        "apt-get install -y -q postgresql",
        "pg_lsclusters --no-header",
        "pg_ctlcluster 15 main status",
        "pg_ctlcluster --skip-systemctl-redirect 15 main start",
    ]
    assert len(steps) == 6 and steps[5].startswith("su postgres -c psql")
    assert "createdb test" in steps[5]


@pytest.mark.parametrize(
    ("installed", "facts", "message"),
    [
        (False, ["update-fails"], "apt-get update failed"),
        (False, ["install-fails"], "apt-get install postgresql failed"),
        (True, ["start-fails"], "cannot start the PostgreSQL cluster 15/main"),
        (
            True,
            ["never-answers"],
            "PostgreSQL 15/main does not answer on 127.0.0.1:5432 after 30 s",
        ),
        (True, ["createdb-fails"], "cannot create the database 'test'"),
    ],
)
def test_every_failing_step_stops_the_run_loudly(
    tmp_path: Path, installed: bool, facts: list[str], message: str
) -> None:
    outcome = Machine(tmp_path, installed=installed).given(*facts).run()
    assert outcome.code != 0
    assert f"ci: {message}" in outcome.stderr
    assert outcome.make == ""  # the tests never run with PostgreSQL missing


def test_failing_tests_fail_the_run(tmp_path: Path) -> None:
    assert Machine(tmp_path).given("up").run(MAKE_RC="2").code == 2


def test_under_ci_an_unreachable_postgresql_fails_the_tests_instead_of_skipping(
    tmp_path: Path,
) -> None:
    unreachable = "postgresql+psycopg://postgres@127.0.0.1:9/test"
    test = "tests/store/test_models.py::test_naive_timestamps_are_refused"
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test]
    outcomes = {}
    for ci in ("true", ""):
        env = os.environ | {"CI": ci, "VEKL_TEST_DATABASE_URL": unreachable}
        outcomes[ci] = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
        )
    under_ci, outside = outcomes["true"], outcomes[""]
    assert under_ci.returncode == 1, under_ci.stdout
    assert "PostgreSQL is required under CI: cannot reach" in under_ci.stdout
    assert "1 passed, 1 error" in under_ci.stdout and "skipped" not in under_ci.stdout
    assert outside.returncode == 0, outside.stdout
    assert "1 passed, 1 skipped" in outside.stdout
