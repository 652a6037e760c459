"""The address a lottery letter's QR code opens: the round's form, the code filled in."""

from __future__ import annotations

from fastapi.testclient import TestClient

from vekl.lottery import letters as printing
from vekl.settings import Settings
from vekl.store.models import Round


def test_the_qr_target_opens_the_rounds_form_with_the_code_filled_in(
    client: TestClient, settings: Settings, open_round: Round
) -> None:
    url = printing.code_url(settings, open_round, "K7QX-M3PD-W9TA")
    assert url == "https://vekl.example/rounds/konstanz-mai?code=K7QX-M3PD-W9TA"
    page = client.get(url.removeprefix(settings.base_url))
    assert page.status_code == 200
    assert 'name="code" value="K7QX-M3PD-W9TA"' in page.text
    assert 'action="/rounds/konstanz-mai/register?' in page.text


def test_a_code_in_the_address_is_escaped_on_the_form(
    client: TestClient, open_round: Round
) -> None:
    page = client.get('/rounds/konstanz-mai?code="><script>')
    assert 'value="&#34;&gt;&lt;script&gt;"' in page.text
