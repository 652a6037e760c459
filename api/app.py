"""The web app: participant pages, moderator pages and the JSON API, in one FastAPI app.

Each area is a router of its own; organiser pages are added the same way (see ROUTERS).
The app owns its engine and session factory, built from the settings it is given.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable

from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles

from api import errors, organiser
from api.body_limit import BodyLimit
from api.language import COOKIE, COOKIE_MAX_AGE, requested
from api.routes import feedback, health, json_api, moderator, participant, public
from vekl.settings import Settings, get_settings
from vekl.store.db import make_engine, make_sessionmaker

log = logging.getLogger("vekl.web")

ROUTERS = (
    public.router,
    participant.router,
    participant.feeds,
    feedback.router,
    moderator.router,
    json_api.router,
    organiser.router,
    health.router,
)

# Pages are self-contained: own stylesheet, no scripts, no third-party requests.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
_NO_CSP = ("/docs", "/redoc")
HSTS = "max-age=31536000"
"""Sent when the service is reached by https: browsers then never try plain http for a year."""
_PRIVATE = ("/me/", "/moderator/", "/api/v1/me/", "/api/v1/moderator/")


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app. Periodic work (sending mail, purging unconfirmed registrations) is the
    worker's (``vekl.jobs.worker``), which ``vekl serve`` runs in-process unless told not to."""
    config = settings or get_settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            app.state.engine.dispose()

    app = FastAPI(
        title="VEKL – Von/Einander/Kennen/Lernen",
        summary="Registration for the Konstanz dialogue groups, and the participants' pages.",
        version="1",
        lifespan=lifespan,
        # The documentation pages load their scripts from a CDN; production serves neither.
        docs_url=None if config.environment == "production" else "/docs",
        redoc_url=None if config.environment == "production" else "/redoc",
    )
    # Statement parameters stay out of error messages and so out of logs.
    app.state.engine = make_engine(config.database_url, hide_parameters=True)
    app.state.sessions = make_sessionmaker(app.state.engine)
    app.state.settings = config
    app.mount("/static", StaticFiles(packages=[("api", "static")]), name="static")
    for router in ROUTERS:
        # The organiser pages are no public interface; the schema leaves them out.
        app.include_router(router, include_in_schema=router is not organiser.router)
    errors.install(app, error_pages={organiser.PREFIX: organiser.error_page})

    @app.middleware("http")
    async def headers_and_language(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        path = request.url.path
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if not path.startswith(_NO_CSP):
            response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        if config.base_url.startswith("https:"):
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        if path.startswith(_PRIVATE) or "code=" in str(request.url.query):
            response.headers["Cache-Control"] = "no-store"
        chosen = requested(request)
        if chosen is not None and request.cookies.get(COOKIE) != chosen:
            response.set_cookie(
                COOKIE,
                chosen,
                max_age=COOKIE_MAX_AGE,
                httponly=True,
                samesite="lax",
                secure=request.url.scheme == "https" or config.base_url.startswith("https:"),
            )
        # The route's template is logged, never the path: paths and queries carry tokens.
        route = getattr(request.scope.get("route"), "path", "-")
        log.info(
            "%s %s %d %.0fms",
            request.method,
            route,
            response.status_code,
            (time.perf_counter() - started) * 1000,
        )
        return response

    # Added last, so it runs first: bodies are capped before anything reads them.
    app.add_middleware(BodyLimit)
    return app


def served_app() -> FastAPI:
    """The app as ``vekl serve`` runs it: configured from the environment."""
    return create_app(get_settings())
