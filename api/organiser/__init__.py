"""The organisers' pages: running a round from set-up to purge in the browser.

Everything under /organiser needs a logged-in organiser (see ``auth``); forms also carry
the session's CSRF token. Routes read the request, call one service and show its result.
"""

from fastapi import APIRouter

from api.organiser import (
    export_routes,
    people_routes,
    run_routes,
    session_routes,
    setup_routes,
)

router = APIRouter()
for _part in (session_routes, setup_routes, people_routes, run_routes, export_routes):
    router.include_router(_part.router)

__all__ = ["router"]
