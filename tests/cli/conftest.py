from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vekl.cli import context
from vekl.settings import get_settings


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Points the command at a fresh SQLite file and forgets cached settings."""
    monkeypatch.setenv("VEKL_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.setenv("VEKL_MAIL_DIR", str(tmp_path / "mail"))
    monkeypatch.setenv("VEKL_ENVIRONMENT", "development")
    monkeypatch.chdir(Path(__file__).resolve().parents[2])
    get_settings.cache_clear()
    context.sessions.cache_clear()
    yield tmp_path
    get_settings.cache_clear()
    context.sessions.cache_clear()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()
