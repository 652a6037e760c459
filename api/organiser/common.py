"""What every organiser router needs: language, settings, form reading, the error page."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData, UploadFile

from api import error_texts
from api.errors import Reply, status_of
from api.organiser.auth import signed_in
from api.organiser.i18n import organiser_language
from api.organiser.rendering import PRIVATE_HEADERS, render
from api.organiser.rule_texts import breach_texts
from vekl.errors import N_, Conflict, FieldError, InvalidInput, ServiceError
from vekl.runs.edits import EditRefused
from vekl.validation import invalid_input

Lang = Annotated[str, Depends(organiser_language)]
M = TypeVar("M", bound=BaseModel)

# Uploaded CSV and TOML files larger than this are refused before they are read whole.
MAX_UPLOAD = 5 * 1024 * 1024
# A round file is a few kilobytes; it is read and its round created within the request.
MAX_ROUND_FILE = 64 * 1024


def done(path: str, notice: str, anchor: str | None = None) -> RedirectResponse:
    """After a change: back to a page, which says what happened (post/redirect/get), at
    ``anchor`` (the part of the page just changed) where given."""
    separator = "&" if "?" in path else "?"
    fragment = f"#{anchor}" if anchor else ""
    return RedirectResponse(
        f"{path}{separator}done={notice}{fragment}", 303, headers=PRIVATE_HEADERS
    )


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


def upload_bytes(form: FormData, field: str, *, limit: int = MAX_UPLOAD) -> bytes:
    """The uploaded file's bytes; called from a plain route, so reading it blocks no one."""
    upload = form.get(field)
    if not isinstance(upload, UploadFile):
        raise InvalidInput([FieldError(field, N_("please choose a file"))])
    upload.file.seek(0)
    raw = upload.file.read(limit + 1)
    if len(raw) > limit:
        if limit == MAX_UPLOAD:
            raise Conflict(N_("the file is larger than 5 MB"))
        raise Conflict(N_("the file is larger than %(max)s KB"), max=limit // 1024)
    return raw


def parse_form(model: type[M], values: dict[str, Any]) -> M:
    """The form's values as a service's input model; every wrong field is named, with the
    problems between fields (the model's ``related_problems``) even when a field is wrong."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        problem = invalid_input(exc)
        related = getattr(model, "related_problems", None)
        if callable(related):
            problem.errors += [e for e in related(values) if e not in problem.errors]
        raise problem from None


def field_problems(lang: str, problem: InvalidInput) -> dict[str, list[str]]:
    """Each field's problems in ``lang``, for showing them next to the fields of a form."""
    found: dict[str, list[str]] = {}
    for error in problem.errors:
        text = error_texts.translate(lang, error.message, error.params)
        if text not in found.setdefault(error.field, []):
            found[error.field].append(text)
    return found


def form_again(
    request: Request,
    lang: str,
    template: str,
    problem: InvalidInput,
    posted: Mapping[str, object],
    *,
    form: str | None = None,
    problems: dict[str, list[str]] | None = None,
    **context: object,
) -> Reply:
    """A refused form's page once more, with what was typed and every problem next to its
    field (``problems``, or each field's own); raise it, so the transaction rolls back (the
    services refuse before writing).

    A page with one form takes ``posted`` and ``problems``; on a page with several,
    ``form`` names the refused one, and the page takes all three as ``refused``."""
    found = field_problems(lang, problem) if problems is None else problems
    if form is None:
        context.update(posted=posted, problems=found)
    else:
        context.update(refused={"form": form, "posted": posted, "problems": found})
    page = render(request, lang, template, status_code=status_of(problem), **context)
    return Reply(page)


def error_page(request: Request, status_code: int, exc: ServiceError) -> Response:
    """A service error as an organiser page naming every problem (the change was rolled back)."""
    lang = organiser_language(request)
    if isinstance(exc, EditRefused):
        messages = breach_texts(lang, exc.breaches)
    else:
        messages = error_texts.service_texts(lang, exc)
    return render(
        request,
        lang,
        "error.html",
        status_code=status_code,
        me=signed_in(request),
        messages=[m for m in messages if m] or ["-"],
    )
