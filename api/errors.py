"""How errors become responses: a page for people, a JSON body for the API.

Service errors are mapped in one place so every route answers the same way: ``STATUS``
gives the HTTP status of each kind of error for the public pages, the JSON API and the
organiser pages alike; only the body differs by area. A route that shows its own form again
with the problems (raising ``Reply``) takes the status from the same table. Anything
unexpected is logged with its traceback (but without the request's data or the exception's
message) and answered with a friendly page; the tests make sure no input gets there.
A database that cannot be used (it does not answer, the connection broke, every pooled
connection stayed busy) is answered with 503 and a plain message, and logged in one line
naming the database (password masked) with the traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import timedelta

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException

from api import error_texts
from api.language import page_language
from api.pages import gettext, render
from vekl.access.guesses import TooManyGuesses
from vekl.access.organisers import LoginLocked, LoginRejected
from vekl.errors import Conflict, InvalidInput, NotFound, ServiceError
from vekl.store import problems

log = logging.getLogger("vekl.web")

API_PREFIX = "/api/"
# Seconds a client is asked to wait when the database cannot be used.
UNAVAILABLE_RETRY_AFTER = 30

# The status of every service error, by its class; the most specific class listed wins.
STATUS: dict[type[ServiceError], int] = {
    ServiceError: 400,
    LoginRejected: 401,
    NotFound: 404,
    Conflict: 409,
    InvalidInput: 422,
    TooManyGuesses: 429,
    LoginLocked: 429,
}

# An area's own page for a service error (the organiser pages have one): request, status, error.
ErrorPage = Callable[[Request, int, ServiceError], Response]


def status_of(exc: ServiceError) -> int:
    for kind in type(exc).__mro__:
        if issubclass(kind, ServiceError) and kind in STATUS:
            return STATUS[kind]
    return STATUS[ServiceError]


class Reply(Exception):
    """A route's finished answer to a failed action, raised so the transaction rolls back."""

    def __init__(self, response: Response) -> None:
        super().__init__("reply")
        self.response = response


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX)


def json_problems(found: list[error_texts.ErrorText], status_code: int) -> JSONResponse:
    return JSONResponse(
        {"errors": [{"field": p.field, "message": p.message} for p in found]},
        status_code=status_code,
    )


def _problems(
    request: Request, lang: str, found: list[error_texts.ErrorText], status_code: int
) -> Response:
    """The problems as the API's JSON body or, for people, as the error page."""
    if _is_api(request):
        return json_problems(found, status_code)
    return render(
        request,
        lang,
        "error.html",
        status_code=status_code,
        message="; ".join(p.message for p in found),
        # A dead personal link is the usual way here: offer to send the current one.
        offer_link=status_code == 404,
    )


def _respond(request: Request, status_code: int, message: str) -> Response:
    lang = page_language(request)
    return _problems(
        request, lang, [error_texts.ErrorText(None, gettext(lang, message))], status_code
    )


async def _reply(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Reply)
    return exc.response


def _area_page(request: Request) -> ErrorPage | None:
    pages: Mapping[str, ErrorPage] = getattr(request.app.state, "error_pages", {})
    path = request.url.path
    for prefix, page in pages.items():
        if path == prefix or path.startswith(prefix.rstrip("/") + "/"):
            return page
    return None


def _public_answer(request: Request, status_code: int, exc: ServiceError) -> Response:
    lang = page_language(request)
    if isinstance(exc, TooManyGuesses) and exc.scope.startswith("registration"):
        return _respond(request, status_code, error_texts.TOO_MANY_REGISTRATIONS)
    if isinstance(exc, TooManyGuesses):
        return _respond(request, status_code, error_texts.TOO_MANY_GUESSES)
    if isinstance(exc, NotFound):
        return _respond(request, status_code, error_texts.NOT_FOUND)
    if isinstance(exc, InvalidInput):
        return _problems(request, lang, error_texts.from_service(exc.errors, lang), status_code)
    known = exc.message if exc.message in error_texts.SERVICE_MESSAGES else error_texts.INVALID
    return _respond(request, status_code, known)


def retry_after(response: Response, exc: ServiceError) -> Response:
    """Errors that end with a wait say how long, in seconds."""
    wait = getattr(exc, "retry_after", None)
    if isinstance(wait, timedelta):
        response.headers["Retry-After"] = str(int(wait.total_seconds()) + 1)
    return response


async def _service_error(request: Request, exc: Exception) -> Response:
    """Every service error a route lets through; the request's transaction was rolled back."""
    assert isinstance(exc, ServiceError)
    status_code = status_of(exc)
    area = _area_page(request)
    if area is not None:
        response = area(request, status_code, exc)
    else:
        response = _public_answer(request, status_code, exc)
    return retry_after(response, exc)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    lang = page_language(request)
    return _problems(request, lang, error_texts.from_validation(exc.errors(), lang), 422)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return _respond(request, 404, error_texts.NOT_FOUND)
    if exc.status_code == 405:
        return _respond(request, 405, error_texts.NOT_ALLOWED)
    return _respond(request, exc.status_code, error_texts.INVALID)


class MessageWithheld(Exception):
    """Stands in for an exception in the log: its type and frames are kept, its message not."""


def _type_name(exc: BaseException) -> str:
    kind = type(exc)
    if kind.__module__ == "builtins":
        return kind.__qualname__
    return f"{kind.__module__}.{kind.__qualname__}"


def without_messages(exc: BaseException, _seen: set[int] | None = None) -> BaseException:
    """A copy of ``exc`` and its chain for the log, with every message withheld.

    Messages may carry personal data (a database's "Key (email)=(…) already exists",
    a validation error's input, a token); frames and types do not. The copy keeps the
    original tracebacks, causes and contexts, so the log still shows where it went wrong.
    """
    seen = _seen if _seen is not None else set()
    seen.add(id(exc))
    label = f"{_type_name(exc)} (message withheld)"
    copy: BaseException
    if isinstance(exc, BaseExceptionGroup):
        copy = BaseExceptionGroup(label, [without_messages(e, seen) for e in exc.exceptions])
    else:
        copy = MessageWithheld(label)
    copy = copy.with_traceback(exc.__traceback__)
    if exc.__cause__ is not None and id(exc.__cause__) not in seen:
        copy.__cause__ = without_messages(exc.__cause__, seen)
    if exc.__context__ is not None and id(exc.__context__) not in seen:
        copy.__context__ = without_messages(exc.__context__, seen)
    copy.__suppress_context__ = exc.__suppress_context__
    return copy


async def _unexpected(request: Request, exc: Exception) -> Response:
    # The route template, not the path: paths hold tokens, which never go into a log;
    # neither do the request's query and body, nor the exception's message.
    route = getattr(request.scope.get("route"), "path", "?")
    log.error(
        "unexpected %s in %s %s",
        _type_name(exc),
        request.method,
        route,
        exc_info=without_messages(exc),
    )
    return _respond(request, 500, error_texts.UNEXPECTED)


async def _database_error(request: Request, exc: Exception) -> Response:
    """A database that cannot be used now: 503; any other database error goes on to the
    handler of unexpected errors, as if this one were not there."""
    if not problems.is_unavailable(exc):
        raise exc
    route = getattr(request.scope.get("route"), "path", "?")
    url: str = request.app.state.settings.database_url
    log.error(
        "%s %s: %s",
        request.method,
        route,
        problems.describe(exc, url),
        exc_info=without_messages(exc),
    )
    response = _respond(request, 503, error_texts.UNAVAILABLE)
    response.headers["Retry-After"] = str(UNAVAILABLE_RETRY_AFTER)
    return response


def install(app: FastAPI, error_pages: Mapping[str, ErrorPage] | None = None) -> None:
    """The handlers; ``error_pages`` gives areas (by path prefix) their own service error page."""
    app.state.error_pages = dict(error_pages or {})
    app.add_exception_handler(Reply, _reply)
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(SQLAlchemyError, _database_error)
    app.add_exception_handler(problems.DatabaseUnavailable, _database_error)
    app.add_exception_handler(Exception, _unexpected)
