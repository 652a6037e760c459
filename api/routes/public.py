"""Public pages: the registration form, the privacy notice, "send me my link again"."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote, unquote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from api import error_texts, forms
from api.database import DbSession
from api.errors import Reply, status_of
from api.language import Language
from api.pages import render
from api.routes.common import AppSettings, Client
from notifications.i18n import collation_key
from vekl.errors import InvalidInput
from vekl.reference import AGE_BANDS, DISTRICTS, GENDERS, country_names
from vekl.registration import online as online_registration
from vekl.settings import Settings
from vekl.store.models import Round
from vekl.validation import RegistrationInput, normalise_email

router = APIRouter(tags=["pages"], default_response_class=HTMLResponse)

SENT_TO_COOKIE = "vekl_sent_to"
"""Carries the address a registration's mail went to, to the thank-you page only and briefly:
in the URL it would land in the browser's history and the proxy's access log."""
SENT_TO_MAX_AGE = 600


def _form_page(
    request: Request,
    lang: str,
    round: Round,
    form: forms.RegistrationForm,
    found: list[error_texts.ErrorText] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    found = found or []
    by_field: dict[str, list[str]] = {}
    for problem in found:
        by_field.setdefault(problem.field or "", []).append(problem.message)
    context: dict[str, Any] = {
        "round": round,
        "form": form,
        "problems": found,
        "field_errors": by_field,
        **forms.language_choices(lang, [], form.other_languages),
        "countries": sorted(country_names(lang).items(), key=lambda item: collation_key(item[1])),
        "districts": DISTRICTS,
        "age_bands": AGE_BANDS,
        "genders": GENDERS,
    }
    return render(
        request,
        lang,
        "register.html",
        status_code=status_code,
        switch_path=f"/rounds/{round.slug}",
        **context,
    )


@router.get("/", summary="The registration form of the open round")
def home(session: DbSession, request: Request, lang: Language, code: str = "") -> Response:
    rounds = online_registration.open_rounds(session)
    if not rounds:
        return render(request, lang, "no_round.html")
    if len(rounds) > 1:
        return render(request, lang, "choose_round.html", rounds=rounds, code=code[:40])
    form = forms.RegistrationForm(code=code[:40], preferred_language=lang)
    return _form_page(request, lang, rounds[0], form)


@router.get("/rounds/{slug}", summary="The registration form of one round")
def round_form(
    session: DbSession, request: Request, lang: Language, slug: str, code: str = ""
) -> Response:
    round = online_registration.open_round(session, slug)
    form = forms.RegistrationForm(code=code[:40], preferred_language=lang)
    return _form_page(request, lang, round, form)


@router.post("/rounds/{slug}/register", summary="Register (form)")
def register(
    session: DbSession,
    settings: AppSettings,
    client: Client,
    request: Request,
    lang: Language,
    slug: str,
    form: Annotated[forms.RegistrationForm, Form()],
) -> Response:
    done = RedirectResponse(f"/registered?lang={lang}", status_code=303)
    if form.website.strip():
        # Only bots fill the hidden field; they get the same answer and nothing is stored.
        return _naming(done, form.email, request, settings)
    try:
        data = RegistrationInput.model_validate(forms.form_to_input(form, lang))
    except ValidationError as exc:
        round = online_registration.open_round(session, slug)
        found = error_texts.from_validation(exc.errors(), lang)
        raise Reply(_form_page(request, lang, round, form, found, 422)) from None
    try:
        online_registration.register_online(
            session, settings, slug, data, letter_code=form.code, client=client
        )
    except InvalidInput as exc:
        round = online_registration.open_round(session, slug)
        found = error_texts.from_service(exc.errors, lang)
        raise Reply(_form_page(request, lang, round, form, found, status_of(exc))) from exc
    return _naming(done, data.email, request, settings)


def _naming(done: Response, email: str, request: Request, settings: Settings) -> Response:
    """The answer to a registration, naming the address the mail went to on the next page.

    Every registration gets it, whether the address was new, already registered, or a bot's:
    the thank-you page says what the mail holds in each case. The address is the one mails
    go to (normalised), so typing it another way changes nothing on the page.
    """
    try:
        shown = normalise_email(email)
    except ValueError:
        shown = email.strip()
    done.set_cookie(
        SENT_TO_COOKIE,
        # Quoted: a cookie carries ASCII only, and an address may be international.
        quote(shown[:254], safe="@.+-_"),
        max_age=SENT_TO_MAX_AGE,
        path="/registered",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https" or settings.base_url.startswith("https:"),
    )
    return done


@router.get("/registered", summary="Thank-you page after registering")
def registered(request: Request, lang: Language) -> Response:
    email = unquote(request.cookies.get(SENT_TO_COOKIE, "")[:1000])[:254]
    page = render(request, lang, "registered.html", email=email)
    if email:
        # Shown once: a reload, or the next person at a shared computer, sees no address.
        page.delete_cookie(SENT_TO_COOKIE, path="/registered")
    return page


@router.get("/privacy", summary="The privacy notice")
def privacy(
    session: DbSession, request: Request, lang: Language, round: str | None = None
) -> Response:
    terms = online_registration.privacy_terms(session, round[:64] if round else None)
    return render(request, lang, "privacy.html", terms=terms)


@router.get("/link", summary="Ask for the personal link again")
def link_form(request: Request, lang: Language) -> Response:
    return render(request, lang, "link.html", email="", problems=[])


@router.post("/link", summary="Ask for the personal link again (form)")
def link_request(
    session: DbSession,
    settings: AppSettings,
    client: Client,
    request: Request,
    lang: Language,
    email: Annotated[str, Form()] = "",
) -> Response:
    try:
        online_registration.send_link_again(session, settings, email, client=client)
    except InvalidInput as exc:
        found = error_texts.from_service(exc.errors, lang)
        page = render(
            request,
            lang,
            "link.html",
            status_code=status_of(exc),
            switch_path="/link",
            email=email[:254],
            problems=found,
        )
        raise Reply(page) from exc
    return render(request, lang, "link_sent.html", switch_path="/link")
