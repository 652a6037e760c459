"""The organisers' dropout forms ask why from the fixed list: required, refused with a German
message next to the field when missing or unknown (and nothing changes), stored with the
dropout, cleared by its undo, and in the round's export."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.organiser.conftest import LoggedIn
from vekl.exports import service as exports
from vekl.registration import service as registrations
from vekl.store.models import (
    AuditEntry,
    DropoutCategory,
    Participant,
    RegistrationStatus,
    Round,
)

ROUND = "/organiser/rounds/konstanz-mai"


def _someone(db: Session, round: Round) -> Participant:
    return registrations.list_registrations(db, round, status=RegistrationStatus.CONFIRMED)[0]


def _unchanged(db: Session, person: Participant) -> None:
    db.expire_all()
    again = db.get_one(Participant, person.id)
    assert again.status is RegistrationStatus.CONFIRMED
    assert again.dropout_category is None and again.withdrawn_reason is None
    assert (
        db.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(
                AuditEntry.subject == f"participant:{person.id}",
                AuditEntry.action == "registration.drop_out",
            )
        )
        == 0
    )


def test_the_forms_offer_every_category_and_none_chosen(
    team: LoggedIn, db: Session, example_round: Round
) -> None:
    person = _someone(db, example_round)
    for path, field in (
        (f"{ROUND}/dropouts", "dropout-category"),
        (f"{ROUND}/registrations/{person.id}", "category"),
    ):
        page = team.client.get(path).text
        select_html = re.search(
            rf'<select id="{field}" name="category"[^>]*>(.*?)</select>', page, re.S
        )
        assert select_html is not None, path
        assert "required" in select_html.group(0)
        values = re.findall(r'<option value="(\w*)"', select_html.group(1))
        assert values == ["", *(c.value for c in DropoutCategory)]
        assert '<option value="" selected>' in select_html.group(1)
        assert "nicht gekommen" in select_html.group(1) or "war nicht da" in select_html.group(1)
        label = page[page.index(f'<label for="{field}"') :]
        assert "(Pflichtfeld)" in label[: label.index("</label>")]


@pytest.mark.parametrize(
    ("category", "message"),
    [
        ("", "bitte wählen, warum die Person absagt"),
        ("bored", "unbekannter Grund „bored“"),
        ("NO_SHOW", "unbekannter Grund"),
    ],
)
def test_a_missing_or_unknown_category_is_refused_next_to_the_field(
    team: LoggedIn, db: Session, example_round: Round, category: str, message: str
) -> None:
    person = _someone(db, example_round)
    posted = {"participant": person.id, "reason": "hat angerufen", "category": category}
    refused = team.post(f"{ROUND}/dropouts", posted)
    assert refused.status_code == 422
    error = re.search(r'<p class="error" id="error-dropout-category">([^<]*)</p>', refused.text)
    assert error is not None and message in error.group(1)
    assert 'aria-invalid="true" aria-describedby="error-dropout-category"' in refused.text
    assert 'value="hat angerufen"' in refused.text  # what was typed stays
    _unchanged(db, person)

    on_page = team.post(f"{ROUND}/registrations/{person.id}/drop-out", posted)
    assert on_page.status_code == 422
    error = re.search(r'<p class="error" id="error-category">([^<]*)</p>', on_page.text)
    assert error is not None and message in error.group(1)
    _unchanged(db, person)


def test_a_missing_reason_and_category_are_both_named(
    team: LoggedIn, db: Session, example_round: Round
) -> None:
    person = _someone(db, example_round)
    refused = team.post(f"{ROUND}/dropouts", {"participant": person.id, "reason": " "})
    assert refused.status_code == 422
    assert 'id="error-dropout-category"' in refused.text
    assert (
        'id="error-dropout-reason"' in refused.text and "bitte einen Grund angeben" in refused.text
    )
    _unchanged(db, person)


def test_the_chosen_category_is_stored_undone_and_exported(
    team: LoggedIn, db: Session, example_round: Round
) -> None:
    person = _someone(db, example_round)
    recorded = team.post(
        f"{ROUND}/dropouts",
        {"participant": person.id, "reason": "Schichtdienst", "category": "time"},
    )
    assert recorded.status_code == 303
    db.expire_all()
    stored = db.get_one(Participant, person.id)
    assert stored.status is RegistrationStatus.WITHDRAWN
    assert stored.dropout_category is DropoutCategory.TIME
    assert stored.withdrawn_reason == "Schichtdienst"
    exported = exports.round_export(db, example_round.slug)
    [row] = [p for p in exported["registrations"] if p["id"] == person.id]
    assert row["dropout_category"] == "time"

    assert team.post(f"{ROUND}/dropouts/{person.id}/undo").status_code == 303
    db.expire_all()
    stored = db.get_one(Participant, person.id)
    assert stored.status is not RegistrationStatus.WITHDRAWN
    assert stored.dropout_category is None

    on_page = team.post(
        f"{ROUND}/registrations/{person.id}/drop-out", {"reason": "krank", "category": "illness"}
    )
    assert on_page.status_code == 303
    db.expire_all()
    assert db.get_one(Participant, person.id).dropout_category is DropoutCategory.ILLNESS
