"""The files in deploy/: the env example configures every setting it names, the units agree."""

from __future__ import annotations

import configparser
from pathlib import Path

import pytest
from pydantic import ValidationError

from vekl.settings import Settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


@pytest.fixture(autouse=True)
def no_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Variables of the environment would win over the file's."""
    for name in Settings.model_fields:
        monkeypatch.delenv(f"VEKL_{name.upper()}", raising=False)


def _example(tmp_path: Path, secret: str) -> Path:
    text = (DEPLOY / "vekl.env.example").read_text()
    copy = tmp_path / "vekl.env"
    copy.write_text(text.replace("VEKL_SECRET_KEY=\n", f"VEKL_SECRET_KEY={secret}\n"))
    return copy


def test_the_env_example_names_only_real_settings(tmp_path: Path) -> None:
    names = [
        line.split("=", 1)[0]
        for line in (DEPLOY / "vekl.env.example").read_text().splitlines()
        if line.startswith("VEKL_")
    ]
    fields = {f"VEKL_{name.upper()}" for name in Settings.model_fields}
    assert names and [n for n in names if n not in fields] == []
    settings = Settings(_env_file=_example(tmp_path, "env-example-secret-0123456789"))
    assert settings.environment == "production"
    assert settings.database_url.startswith("postgresql+psycopg://")
    assert settings.worker_stale_after == 120


def test_the_env_example_refuses_to_start_until_a_secret_is_set(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="VEKL_SECRET_KEY"):
        Settings(_env_file=_example(tmp_path, ""))


def _service(name: str) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(DEPLOY / name)
    return parser["Service"]


def test_the_units_run_web_and_worker_apart_on_one_configuration() -> None:
    web, worker = _service("vekl-web.service"), _service("vekl-worker.service")
    assert " serve --no-worker " in web["ExecStart"]
    assert "--host 127.0.0.1" in web["ExecStart"]
    assert worker["ExecStart"].endswith("/vekl worker")
    assert web["EnvironmentFile"] == worker["EnvironmentFile"] == "/etc/vekl/vekl.env"
    assert web["User"] == worker["User"] == "vekl"
