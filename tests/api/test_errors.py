"""Unexpected failures end in a friendly page (or JSON body), logged without the request."""

from __future__ import annotations

import logging

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient


def _broken(token: str) -> None:
    raise RuntimeError(f"broken for {token}")


def test_an_unexpected_error_shows_a_friendly_page_and_logs_no_token(
    app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    app.add_api_route("/me/{token}/broken", _broken)
    app.add_api_route("/api/v1/me/{token}/broken", _broken)
    secret = "S" * 43
    with TestClient(app, raise_server_exceptions=False) as client, caplog.at_level(logging.INFO):
        page = client.get(f"/me/{secret}/broken?lang=en")
        api = client.get(f"/api/v1/me/{secret}/broken?lang=en")
    assert page.status_code == 500
    assert "Something went wrong on our side" in page.text
    assert '<html lang="en" dir="ltr">' in page.text
    assert api.status_code == 500
    assert api.json()["errors"][0]["message"].startswith("Something went wrong")
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "vekl.web")
    assert "/me/{token}/broken" in logged
    assert secret not in logged


def test_a_wrong_method_is_explained(client: TestClient) -> None:
    response = client.delete("/privacy?lang=en")
    assert response.status_code == 405
    assert "cannot be used like this" in response.text
