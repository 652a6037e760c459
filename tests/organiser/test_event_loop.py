"""No route holds up the event loop: database work runs in worker threads, never on the loop.

One event loop answers every request of a web process. A route or dependency declared
``async def`` that sends a statement (or checks a grouping, or parses a file) stops every
other request, even for a style sheet, until it is done.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Iterator
from typing import Any, get_type_hints

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response
from starlette.routing import BaseRoute

from api import create_app
from api.database import request_session
from tests.organiser.conftest import LoggedIn, solved_draft
from vekl.settings import Settings
from vekl.store.models import Participant, Round

ROUND = "/organiser/rounds/konstanz-mai"


def _api_routes(routes: Iterable[BaseRoute]) -> Iterator[APIRoute]:
    """Every route, also those of included routers (which FastAPI keeps as one entry each)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        router = getattr(route, "original_router", None)
        yield from _api_routes(getattr(router, "routes", None) or getattr(route, "routes", []))


def _is_async(call: Callable[..., Any] | None) -> bool:
    # A class instance used as a dependency runs its __call__.
    target = call if call is None or inspect.isroutine(call) else type(call).__call__
    return inspect.iscoroutinefunction(target) or inspect.isasyncgenfunction(target)


def _reaches_database(dependant: Dependant) -> bool:
    return any(
        sub.call is request_session or _reaches_database(sub) for sub in dependant.dependencies
    )


def _async_with_database(dependant: Dependant, path: str) -> list[str]:
    found = []
    if _is_async(dependant.call) and _reaches_database(dependant):
        found.append(f"{path}: {getattr(dependant.call, '__name__', dependant.call)}")
    for sub in dependant.dependencies:
        found += _async_with_database(sub, path)
    return found


def test_no_async_route_or_dependency_takes_the_database(settings: Settings) -> None:
    """An ``async def`` route or dependency runs on the loop: it must not get a session,
    nor anything made from one (the signed-in organiser, say)."""
    app: FastAPI = create_app(settings)
    routes = list(_api_routes(app.routes))
    assert len(routes) > 50
    offending = [f for r in routes for f in _async_with_database(r.dependant, r.path)]
    assert offending == []


def test_every_route_returns_a_finished_response(settings: Settings) -> None:
    """A route that returns a model leaves FastAPI to check it in another worker thread
    before the request's transaction commits: in a burst that takes every thread, the
    request holding the lock the others wait for could not finish (tests/api/test_bursts.py)."""
    app: FastAPI = create_app(settings)
    models = [
        f"{route.path}: {answer}"
        for route in _api_routes(app.routes)
        if not (
            inspect.isclass(answer := get_type_hints(route.endpoint).get("return"))
            and issubclass(answer, Response)
        )
    ]
    assert models == []


def test_a_pin_through_the_page_runs_off_the_loop(
    team: LoggedIn, db: Session, example_round: Round
) -> None:
    """The app fixture refuses statements from the event loop's thread (tests/event_loop.py)."""
    run = solved_draft(db, example_round)
    claudia = db.scalar(
        select(Participant).where(Participant.email == "claudia.wagner@example.org")
    )
    assert claudia is not None
    elsewhere = next(g for g in run.groups if g.series.key != "mon")
    refused = team.post(
        f"{ROUND}/runs/{run.id}/pin", {"participant": claudia.id, "group": elsewhere.key}
    )
    assert refused.status_code == 409, refused.text
    assert "Claudia Wagner hat" in refused.text and "nicht gewählt" in refused.text
