"""The JSON API, for a city's own front end: the same actions, checks and messages as the pages.

Error bodies are ``{"errors": [{"field": ..., "message": ...}]}`` with messages in the
language asked for (``?lang=`` or Accept-Language).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError

from api import error_texts, forms
from api.database import DbSession
from api.error_texts import N_
from api.errors import Reply, json_problems
from api.language import Language
from api.pages import gettext
from api.routes.common import AppSettings, Client
from api.routes.views import moderator_page
from vekl.access import links
from vekl.mail.recipients import language_of
from vekl.registration import online as online_registration
from vekl.registration import self_service
from vekl.settings import Settings
from vekl.store.models import Round
from vekl.validation import RegistrationInput

router = APIRouter(prefix="/api/v1", tags=["api"])

ACCEPTED = N_(
    "Thank you. We have sent an email to the address you gave. Please open the link in it "
    "within 7 days to confirm your registration."
)
LINK_SENT = N_("If this address is registered, we have sent an email with the personal link to it.")


class ProblemOut(BaseModel):
    field: str | None
    message: str


class ProblemsOut(BaseModel):
    errors: list[ProblemOut]


ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ProblemsOut, "description": "Unknown round or link"},
    409: {"model": ProblemsOut, "description": "Not possible now (e.g. registration closed)"},
    422: {"model": ProblemsOut, "description": "Invalid input, one message per field"},
    429: {"model": ProblemsOut, "description": "Too many wrong codes from this client"},
}


class EveningOut(BaseModel):
    starts_at: datetime
    ends_at: datetime


TRANSLATIONS = "The English, Arabic and Ukrainian versions the organisers gave, by language"


class SeriesOut(BaseModel):
    key: str
    label: str = Field(description="In German")
    label_translations: dict[str, str] = Field(default_factory=dict, description=TRANSLATIONS)
    venue_name: str = Field(description="In German")
    venue_name_translations: dict[str, str] = Field(default_factory=dict, description=TRANSLATIONS)
    venue_address: str
    step_free: bool
    evenings: list[EveningOut]


class RoundOut(BaseModel):
    slug: str
    name: str = Field(description="In German")
    name_translations: dict[str, str] = Field(default_factory=dict, description=TRANSLATIONS)
    registration_deadline: datetime | None
    series: list[SeriesOut]


class MessageOut(BaseModel):
    message: str


class GroupOut(BaseModel):
    title: str = Field(description="In the language the person chose for mails")
    series: SeriesOut
    moderators: list[str] = Field(description="First names only")


class StatusOut(BaseModel):
    round: str
    first_name: str
    standing: self_service.Standing
    series: list[str]
    can_change_series: bool
    group: GroupOut | None
    calendar_url: str
    subscription_url: str


class SeriesChange(BaseModel):
    series: list[str]


class LinkRequest(BaseModel):
    email: str


class MemberOut(BaseModel):
    first_name: str
    name: str = Field(
        description="The first name, with the surname's initial where two members share it"
    )
    languages: list[str]
    needs: list[str]


class ModeratedGroupOut(BaseModel):
    title: str = Field(description="In the language of the request")
    series: SeriesOut
    members: list[MemberOut]


class ModeratorOut(BaseModel):
    round: str
    groups: list[ModeratedGroupOut]


def _answer(content: Any, status_code: int = 200) -> Response:
    """The answer, already made: a route that returns a model leaves FastAPI to check it in
    another worker thread, before the request's transaction is committed. When every thread
    is taken by requests waiting for a lock this request holds (SQLite's write lock, a row
    of a registration counter), that check would wait for them, and they for it."""
    return JSONResponse(jsonable_encoder(content), status_code=status_code)


def _series(series: Any) -> SeriesOut:
    return SeriesOut(
        key=series.key,
        label=series.label,
        label_translations=dict(series.label_translations),
        venue_name=series.venue_name,
        venue_name_translations=dict(series.venue_name_translations),
        venue_address=series.venue_address,
        step_free=series.step_free,
        evenings=[EveningOut(starts_at=e.starts_at, ends_at=e.ends_at) for e in series.evenings],
    )


def _round(round: Round) -> RoundOut:
    return RoundOut(
        slug=round.slug,
        name=round.name,
        name_translations=dict(round.name_translations),
        registration_deadline=round.registration_deadline,
        series=[_series(s) for s in round.series],
    )


def _status(found: self_service.Status, settings: Settings, token: str) -> StatusOut:
    group = found.group
    return StatusOut(
        round=found.participant.round.slug,
        first_name=found.participant.first_name,
        standing=found.standing,
        series=[s.key for s in found.participant.series],
        can_change_series=found.can_change_series,
        group=GroupOut(
            title=group.title(language_of(found.participant)),
            series=_series(group.group.series),
            moderators=group.moderator_first_names,
        )
        if group is not None
        else None,
        calendar_url=links.calendar_url(settings, token),
        subscription_url=links.subscription_url(settings, found.feed_token),
    )


@router.get("/rounds", response_model=list[RoundOut], summary="Rounds open for registration")
def open_rounds(session: DbSession) -> Response:
    return _answer([_round(r) for r in online_registration.open_rounds(session)])


@router.post(
    "/rounds/{slug}/registrations",
    status_code=202,
    response_model=MessageOut,
    responses=ERRORS,
    summary="Register; the same answer whether or not the email was registered before",
)
def register(
    session: DbSession,
    settings: AppSettings,
    client: Client,
    lang: Language,
    slug: str,
    body: forms.RegistrationRequest,
) -> Response:
    try:
        data = RegistrationInput.model_validate(forms.request_to_input(body))
    except ValidationError as exc:
        found = error_texts.from_validation(exc.errors(), lang)
        raise Reply(json_problems(found, 422)) from None
    online_registration.register_online(
        session, settings, slug, data, letter_code=body.code, client=client
    )
    return _answer(MessageOut(message=gettext(lang, ACCEPTED)), 202)


@router.post(
    "/link-requests",
    status_code=202,
    response_model=MessageOut,
    responses=ERRORS,
    summary="Send the personal link again; the same answer whether or not the email is known",
)
def link_request(
    session: DbSession, settings: AppSettings, client: Client, lang: Language, body: LinkRequest
) -> Response:
    online_registration.send_link_again(session, settings, body.email, client=client)
    return _answer(MessageOut(message=gettext(lang, LINK_SENT)), 202)


@router.get("/me/{token}", response_model=StatusOut, responses=ERRORS, summary="Status")
def status(session: DbSession, settings: AppSettings, token: str) -> Response:
    return _answer(
        _status(
            self_service.status(session, token, secret_key=settings.secret_key), settings, token
        )
    )


@router.post(
    "/me/{token}/confirm", response_model=StatusOut, responses=ERRORS, summary="Confirm email"
)
def confirm(session: DbSession, settings: AppSettings, token: str) -> Response:
    online_registration.confirm(session, token)
    return _answer(
        _status(
            self_service.status(session, token, secret_key=settings.secret_key), settings, token
        )
    )


@router.put(
    "/me/{token}/series",
    response_model=StatusOut,
    responses=ERRORS,
    summary="Change the series the participant can attend (while registration is open)",
)
def change_series(
    session: DbSession, settings: AppSettings, token: str, body: SeriesChange
) -> Response:
    self_service.change_series(session, token, body.series)
    return _answer(
        _status(
            self_service.status(session, token, secret_key=settings.secret_key), settings, token
        )
    )


@router.post("/me/{token}/withdraw", response_model=StatusOut, responses=ERRORS, summary="Withdraw")
def withdraw(session: DbSession, settings: AppSettings, token: str) -> Response:
    self_service.withdraw(session, settings, token)
    return _answer(
        _status(
            self_service.status(session, token, secret_key=settings.secret_key), settings, token
        )
    )


@router.post(
    "/me/{token}/rejoin",
    response_model=StatusOut,
    responses=ERRORS,
    summary="Take part after all: undo one's own withdrawal while registration is open",
)
def rejoin(session: DbSession, settings: AppSettings, token: str) -> Response:
    self_service.rejoin(session, settings, token)
    return _answer(
        _status(
            self_service.status(session, token, secret_key=settings.secret_key), settings, token
        )
    )


@router.get("/me/{token}/data", responses=ERRORS, summary="Everything stored about the person")
def data(session: DbSession, token: str) -> Response:
    return _answer(self_service.export(session, token))


@router.delete("/me/{token}", status_code=204, responses=ERRORS, summary="Delete the registration")
def delete(session: DbSession, settings: AppSettings, token: str) -> Response:
    self_service.delete(session, settings, token)
    return Response(status_code=204)


@router.get(
    "/moderator/{token}",
    response_model=ModeratorOut,
    responses=ERRORS,
    summary="A moderator's groups: first names, languages and needs",
)
def moderator(session: DbSession, lang: Language, token: str) -> Response:
    found = moderator_page(session, token, lang)
    answer = ModeratorOut(
        round=found.round.slug,
        groups=[
            ModeratedGroupOut(
                title=group.title(lang),
                series=_series(group.group.series),
                members=[
                    MemberOut(
                        first_name=m.first_name,
                        name=m.name,
                        languages=list(m.languages),
                        needs=list(m.needs),
                    )
                    for m in members
                ],
            )
            for group, members in found.groups
        ],
    )
    return _answer(answer)
