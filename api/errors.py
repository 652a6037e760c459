"""How errors become responses: a page for people, a JSON body for the API.

Service errors are mapped in one place so every route answers the same way. Anything
unexpected is logged with its traceback (but without the request's data or the exception's
message) and answered with a friendly page; the tests make sure no input gets there.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from api import problems
from api.language import page_language
from api.pages import gettext, render
from vekl.access.guesses import TooManyGuesses
from vekl.errors import Conflict, InvalidInput, NotFound, ServiceError

log = logging.getLogger("vekl.web")

API_PREFIX = "/api/"


class Reply(Exception):
    """A route's finished answer to a failed action, raised so the transaction rolls back."""

    def __init__(self, response: Response) -> None:
        super().__init__("reply")
        self.response = response


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX)


def json_problems(found: list[problems.Problem], status_code: int) -> JSONResponse:
    return JSONResponse(
        {"errors": [{"field": p.field, "message": p.message} for p in found]},
        status_code=status_code,
    )


def _problems(
    request: Request, lang: str, found: list[problems.Problem], status_code: int
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
    )


def _respond(request: Request, status_code: int, message: str) -> Response:
    lang = page_language(request)
    return _problems(request, lang, [problems.Problem(None, gettext(lang, message))], status_code)


async def _reply(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Reply)
    return exc.response


async def _service_error(request: Request, exc: Exception) -> Response:
    lang = page_language(request)
    if isinstance(exc, TooManyGuesses):
        response = _respond(request, 429, problems.TOO_MANY_GUESSES)
        response.headers["Retry-After"] = str(int(exc.retry_after.total_seconds()) + 1)
        return response
    if isinstance(exc, NotFound):
        return _respond(request, 404, problems.NOT_FOUND)
    if isinstance(exc, InvalidInput):
        return _problems(request, lang, problems.from_service(exc.errors, lang), 422)
    known = str(exc) if str(exc) in problems.SERVICE_MESSAGES else problems.INVALID
    return _respond(request, 409 if isinstance(exc, Conflict) else 400, known)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    lang = page_language(request)
    return _problems(request, lang, problems.from_validation(exc.errors(), lang), 422)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return _respond(request, 404, problems.NOT_FOUND)
    if exc.status_code == 405:
        return _respond(request, 405, problems.NOT_ALLOWED)
    return _respond(request, exc.status_code, problems.INVALID)


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
    return _respond(request, 500, problems.UNEXPECTED)


def install(app: FastAPI) -> None:
    app.add_exception_handler(Reply, _reply)
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
