"""What every organiser router needs: language, settings, form reading, error pages."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData, UploadFile

from api import problems
from api.errors import Reply
from api.organiser.i18n import organiser_language
from api.organiser.rendering import PRIVATE_HEADERS, render
from vekl.errors import N_, Conflict, FieldError, InvalidInput, NotFound, ServiceError

Lang = Annotated[str, Depends(organiser_language)]
F = TypeVar("F", bound=Callable[..., Any])

# Uploaded CSV and TOML files larger than this are refused before they are read whole.
MAX_UPLOAD = 5 * 1024 * 1024


def done(path: str, notice: str) -> RedirectResponse:
    """After a change: back to a page, which says what happened (post/redirect/get)."""
    separator = "&" if "?" in path else "?"
    return RedirectResponse(f"{path}{separator}done={notice}", 303, headers=PRIVATE_HEADERS)


def form_values(form: FormData, lists: tuple[str, ...] = ()) -> dict[str, Any]:
    """Form fields as the services' input models take them: empty optional fields are absent."""
    out: dict[str, Any] = {}
    for key in form:
        if key == "csrf_token":
            continue
        if key in lists:
            out[key] = [v for v in form.getlist(key) if isinstance(v, str) and v.strip()]
            continue
        value = form.get(key)
        if isinstance(value, str) and value.strip() != "":
            out[key] = value.strip()
    for key in lists:
        out.setdefault(key, [])
    return out


async def upload_bytes(form: FormData, field: str) -> bytes:
    upload = form.get(field)
    if not isinstance(upload, UploadFile):
        raise InvalidInput([FieldError(field, N_("please choose a file"))])
    raw = await upload.read(MAX_UPLOAD + 1)
    if len(raw) > MAX_UPLOAD:
        raise Conflict(N_("the file is larger than 5 MB"))
    return raw


def _status(exc: ServiceError) -> int:
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, InvalidInput):
        return 422
    return 409


def service_errors(route: F) -> F:
    """Service errors become an organiser page naming every problem; the change rolls back."""

    def page(request: Request, exc: ServiceError) -> Reply:
        lang = organiser_language(request)
        messages = problems.service_texts(lang, exc)
        response = render(
            request,
            lang,
            "error.html",
            status_code=_status(exc),
            messages=[m for m in messages if m] or ["-"],
        )
        return Reply(response)

    if inspect.iscoroutinefunction(route):

        @functools.wraps(route)
        async def wrapped_async(*args: Any, **kwargs: Any) -> Any:
            try:
                return await route(*args, **kwargs)
            except ServiceError as exc:
                raise page(kwargs["request"], exc) from exc

        return wrapped_async  # type: ignore[return-value]

    @functools.wraps(route)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        try:
            return route(*args, **kwargs)
        except ServiceError as exc:
            raise page(kwargs["request"], exc) from exc

    return wrapped  # type: ignore[return-value]
