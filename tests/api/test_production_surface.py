"""What the app shows of itself: HSTS over https, no documentation pages in production, and a
schema without the organiser pages."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api import create_app
from vekl.settings import Settings

SECRET = "surface-test-secret-0123456789"


def _client(tmp_path: Path, **changes: str) -> TestClient:
    url = f"sqlite:///{tmp_path / 'surface.sqlite3'}"
    values: dict[str, str] = {
        "environment": "test",
        "database_url": url,
        "secret_key": SECRET,
        "base_url": "https://vekl.example",
        "controller_name": "Stadt Konstanz",
        "controller_address": "Kanzleistraße 15, 78462 Konstanz",
        "contact_email": "dialog@konstanz.example",
        **changes,
    }
    return TestClient(create_app(Settings(**values)), base_url=values["base_url"])  # type: ignore[arg-type]


def test_https_answers_carry_hsts(tmp_path: Path) -> None:
    with _client(tmp_path) as client:
        page = client.get("/openapi.json")
        assert page.headers["strict-transport-security"] == "max-age=31536000"
    with _client(tmp_path, base_url="http://localhost:8000") as client:
        assert "strict-transport-security" not in client.get("/openapi.json").headers


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_documentation_pages_are_off_in_production(tmp_path: Path, path: str) -> None:
    with _client(tmp_path, environment="production") as client:
        assert client.get(path).status_code == 404
        assert client.get("/openapi.json").status_code == 200
    with _client(tmp_path) as client:
        assert client.get(path).status_code == 200


def test_the_schema_leaves_the_organiser_pages_out(tmp_path: Path) -> None:
    with _client(tmp_path) as client:
        paths = client.get("/openapi.json").json()["paths"]
        assert "/api/v1/rounds/{slug}/registrations" in paths
        assert not [p for p in paths if p.startswith("/organiser")]
        # Left out of the schema, the pages are still there.
        assert client.get("/organiser/login").status_code == 200
