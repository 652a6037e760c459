"""Unexpected failures end in a friendly page (or JSON body), logged without the request."""

from __future__ import annotations

import logging
import traceback

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.errors import without_messages


def _broken(token: str) -> None:
    try:
        {"known": 1}[f"{token}@example.org"]  # a message naming a person
    except KeyError as exc:
        raise RuntimeError(f"broken for {token}") from exc


def _app_log(caplog: pytest.LogCaptureFixture) -> str:
    """What the app logged, formatted with tracebacks (the test client logs URLs itself)."""
    return "\n".join(caplog.handler.format(r) for r in caplog.records if r.name.startswith("vekl"))


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
    assert secret not in _app_log(caplog)


def test_an_unexpected_error_is_logged_with_its_traceback_but_without_messages(
    app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    app.add_api_route("/me/{token}/broken", _broken)
    secret = "T" * 43
    with TestClient(app, raise_server_exceptions=False) as client, caplog.at_level(logging.INFO):
        assert client.get(f"/me/{secret}/broken").status_code == 500
    [record] = [r for r in caplog.records if r.name == "vekl.web" and r.levelno == logging.ERROR]
    assert record.getMessage() == "unexpected RuntimeError in GET /me/{token}/broken"
    logged = _app_log(caplog)
    assert "Traceback (most recent call last)" in logged
    assert 'test_errors.py", line' in logged and "in _broken" in logged
    assert "RuntimeError (message withheld)" in logged
    assert "KeyError (message withheld)" in logged
    assert "direct cause of the following exception" in logged
    assert secret not in logged


def test_a_wrong_method_is_explained(client: TestClient) -> None:
    response = client.delete("/privacy?lang=en")
    assert response.status_code == 405
    assert "cannot be used like this" in response.text


def test_messages_are_withheld_inside_exception_groups_and_chains() -> None:
    anna, ben = (f"{name}@example.org" for name in ("anna", "ben"))

    def fail(hide_context: bool) -> None:
        try:
            raise ValueError(anna)
        except ValueError:
            group = ExceptionGroup(f"group for {ben}", [KeyError(ben), TypeError(anna)])
            if hide_context:
                raise group from None
            raise group  # noqa: B904 (the context is what this test is about)

    for hide_context in (False, True):
        with pytest.raises(ExceptionGroup) as caught:
            fail(hide_context)
        text = "".join(traceback.format_exception(without_messages(caught.value)))
        assert "ExceptionGroup (message withheld)" in text
        assert "KeyError (message withheld)" in text and "TypeError (message withheld)" in text
        assert ("raise ValueError(anna)" in text) is not hide_context  # frames, source lines
        assert ("During handling" in text) is not hide_context
        assert anna not in text and ben not in text
