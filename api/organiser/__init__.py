"""The organisers' pages: running a round from set-up to purge in the browser.

Everything under /organiser needs a logged-in organiser (see ``auth``); forms also carry
the session's CSRF token. Routes read the request, call one service and show its result;
a service error becomes ``error_page`` (installed by the app for everything under PREFIX).
"""

from fastapi import APIRouter

from api.organiser import (
    attendance_routes,
    export_routes,
    feedback_routes,
    lottery_download_routes,
    lottery_routes,
    people_routes,
    report_routes,
    run_routes,
    session_routes,
    setup_routes,
)
from api.organiser.auth import PREFIX
from api.organiser.common import error_page

router = APIRouter()
for _part in (
    session_routes,
    setup_routes,
    people_routes,
    run_routes,
    attendance_routes,
    export_routes,
    feedback_routes,
    lottery_download_routes,
    lottery_routes,
    report_routes,
):
    router.include_router(_part.router)

__all__ = ["PREFIX", "error_page", "router"]
