"""axe-core finds no serious or critical accessibility problem on the participant's pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from .conftest import Server
from .test_participant_flow import _confirmation_path

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


def _serious_violations(page: Any) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(str(node["target"]) for node in v["nodes"][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.fixture
def status_path(server: Server) -> str:
    email = "axe.check@example.org"
    response = httpx.post(
        server.base_url + "/rounds/konstanz-mai/register",
        data={
            "role": "newcomer",
            "first_name": "Dana",
            "last_name": "Check",
            "email": email,
            "languages": ["de", "fa"],
            "series": ["wed"],
            "consent": "yes",
        },
    )
    assert response.status_code in (200, 303)
    return _confirmation_path(server, email).removesuffix("/confirm")


@pytest.mark.parametrize("lang", ["de", "ar"])
def test_registration_and_status_pages_have_no_serious_violations(
    browser: Any, server: Server, status_path: str, lang: str
) -> None:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run npm ci (make test does)")
    # axe is injected as a script, which the pages' own policy rightly forbids.
    context = browser.new_context(viewport={"width": 360, "height": 740}, bypass_csp=True)
    page = context.new_page()
    found: dict[str, list[str]] = {}
    page.goto(f"{server.base_url}/?lang={lang}")
    found["registration form"] = _serious_violations(page)
    page.click("button[type=submit]")
    page.wait_for_selector(".problems")
    found["form with errors"] = _serious_violations(page)
    page.goto(f"{server.base_url}{status_path}?lang={lang}")
    found["status page (pending)"] = _serious_violations(page)
    page.goto(f"{server.base_url}{status_path}/confirm?lang={lang}")
    found["status page"] = _serious_violations(page)
    page.goto(f"{server.base_url}/privacy?lang={lang}")
    found["privacy notice"] = _serious_violations(page)
    context.close()
    assert {name: v for name, v in found.items() if v} == {}
