"""Withdrawing on the personal page with an optional reason from the fixed list: asked
without JavaScript (radio buttons, "no answer" chosen), in every language, stored as the
category, cleared when the person takes part after all, and in their data download."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from vekl.registration import service as registrations
from vekl.store.models import DropoutCategory, Participant, RegistrationStatus, Round

from .conftest import link_in, mails, newcomer_form


def _registered(client: TestClient, db: Session, email: str) -> tuple[Participant, str]:
    client.post("/rounds/konstanz-mai/register", data=newcomer_form(email=email))
    confirm = link_in(mails(db, "registration_confirmation", to=email)[-1])
    client.post(confirm)
    person = db.scalars(select(Participant).filter_by(email=email)).one()
    assert person.status is RegistrationStatus.CONFIRMED
    return person, confirm.removesuffix("/confirm")


def _choices(page: str) -> list[tuple[str, bool]]:
    radios = re.findall(
        r'<input type="radio" id="reason-\w+" name="reason" value="(\w+)"([^>]*)>', page
    )
    return [(value, "checked" in rest) for value, rest in radios]


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("de", ("Möchten Sie uns sagen, warum? (freiwillig)", "Keine Angabe", "Ich ziehe weg")),
        ("ar", ("هل تودون إخبارنا بالسبب؟ (اختياري)", "بلا إجابة", "سبب آخر")),
        ("uk", ("Чи можете Ви сказати нам, чому? (за бажанням)", "Без відповіді", "Інша причина")),
        ("en", ("Would you tell us why? (optional)", "No answer", "Another reason")),
    ],
)
def test_the_page_asks_why_with_no_answer_chosen(
    client: TestClient, db: Session, open_round: Round, lang: str, words: tuple[str, ...]
) -> None:
    _, path = _registered(client, db, "olena.melnyk@example.org")
    page = client.get(f"{path}/withdraw?lang={lang}").text
    choices = _choices(page)
    values = [value for value, _ in choices]
    assert sorted(values) == sorted(c.value for c in registrations.SELF_CATEGORIES)
    assert values[0] == "not_given"  # first, and chosen
    assert [value for value, checked in choices if checked] == ["not_given"]
    assert "no_show" not in page  # not having come is the organisers' finding
    legend, no_answer, _ = words
    assert legend in page and no_answer in page
    # A plain form: the radio buttons are inside the form the button sends.
    form = page[page.index('<form method="post"') : page.index("</form>")]
    assert 'name="reason"' in form and 'type="submit"' in form


def test_withdrawing_with_a_reason_stores_its_category(
    client: TestClient, db: Session, open_round: Round
) -> None:
    person, path = _registered(client, db, "olena.melnyk@example.org")
    done = client.post(
        f"{path}/withdraw?lang=ar", data={"reason": "illness"}, follow_redirects=False
    )
    assert done.status_code == 303
    db.refresh(person)
    assert person.status is RegistrationStatus.WITHDRAWN
    assert person.dropout_category is DropoutCategory.ILLNESS
    assert person.withdrawn_reason == "withdrawn by the participant"  # who, as before
    exported = json.loads(client.get(f"{path}/data.json").text)
    assert exported["registration"]["dropout_category"] == "illness"

    # Taking part after all clears it with the rest of the withdrawal.
    client.post(f"{path}/rejoin?lang=de")
    db.refresh(person)
    assert person.status is not RegistrationStatus.WITHDRAWN
    assert person.dropout_category is None and person.withdrawn_reason is None


@pytest.mark.parametrize(
    ("sent", "lang"),
    [
        ({}, "de"),
        ({"reason": "not_given"}, "ar"),
        ({"reason": "no_show"}, "de"),
        ({"reason": "x" * 900}, "uk"),
    ],
)
def test_withdrawing_without_a_reason_of_theirs_is_not_given(
    client: TestClient, db: Session, open_round: Round, sent: dict[str, str], lang: str
) -> None:
    person, path = _registered(client, db, "olena.melnyk@example.org")
    done = client.post(f"{path}/withdraw?lang={lang}", data=sent, follow_redirects=False)
    assert done.status_code == 303
    db.refresh(person)
    assert person.status is RegistrationStatus.WITHDRAWN
    assert person.dropout_category is DropoutCategory.NOT_GIVEN
