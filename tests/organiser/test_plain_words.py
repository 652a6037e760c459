"""Organiser pages in plain words: the audit log, run numbers, the run page's order and
banner, dropouts with undo, and the translations of a round's names."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.dates import open_for_a_month
from tests.organiser.conftest import BERLIN, EXAMPLE, LoggedIn, solved_draft
from vekl.mail import planner as notify
from vekl.registration import csv_import
from vekl.registration import service as registrations
from vekl.rounds import service as rounds
from vekl.runs import publishing
from vekl.runs import service as matching_runs
from vekl.settings import Settings
from vekl.store.models import (
    AuditEntry,
    DropoutCategory,
    MatchingRun,
    OutboxMail,
    Participant,
    RegistrationStatus,
    Round,
    RunStatus,
)

ROUND = "/organiser/rounds/konstanz-mai"


def _placed(db: Session, run: MatchingRun) -> Participant:
    db.refresh(run)
    return run.groups[0].members[0].participant


def test_the_audit_log_says_what_happened_to_whom_in_words(
    team: LoggedIn, db: Session, example_round: Round, settings: Settings
) -> None:
    run = solved_draft(db, example_round)
    publishing.publish(db, example_round.slug, run.id, settings=settings, actor="test")
    db.commit()
    person = _placed(db, run)
    assert team.post(
        f"{ROUND}/dropouts", {"participant": person.id, "reason": "krank", "category": "illness"}
    ).is_redirect
    monday = next(s for s in example_round.series if s.key == "mon")
    added = team.post(
        f"{ROUND}/series/mon/evenings", {"day": "2027-05-31", "start": "18:00", "end": "21:15"}
    )
    assert added.status_code == 303, added.text

    page = team.client.get(f"{ROUND}/audit").text
    for key in ("registration.drop_out", "session.create", "run.publish", "participant:"):
        assert key not in page
    assert "session:" not in page and f"run:{run.id}" not in page
    assert "als abgesagt markiert" in page and person.full_name in page
    assert "vorher: eingeteilt" in page
    assert (
        "Abend hinzugefügt" in page and f"Abend der Reihe {monday.label} am 31.5.2027 18:00" in page
    )
    assert "Gruppen veröffentlicht" in page and "Lauf 1" in page
    assert "team@konstanz.example" in page and "organiser:team@" not in page

    english = team.client.get(f"{ROUND}/audit?lang=en").text
    assert "marked as dropped out" in english and "evening added" in english
    assert f"evening of {monday.label} on" in english and person.full_name in english

    # The log keeps keys only: once the person's data is gone, so is their name.
    db.delete(db.get_one(Participant, person.id))
    db.commit()
    after = team.client.get(f"{ROUND}/audit?lang=de").text
    print([line for line in after.split("<tr>") if person.full_name in line][:3])
    assert person.full_name not in after and "eine gelöschte Anmeldung" in after


def _round(db: Session, slug: str) -> Round:
    spec = rounds.load_round_file(EXAMPLE / "round.toml")
    spec = spec.model_copy(update={"slug": slug, "registration_deadline": open_for_a_month()})
    round = rounds.create_round(db, spec, BERLIN, "test")
    csv_import.import_registrations(db, round, (EXAMPLE / "registrations.csv").read_bytes(), "test")
    db.commit()
    return round


def test_runs_are_numbered_within_their_round(team: LoggedIn, db: Session) -> None:
    first = _round(db, "erste-runde")
    second = _round(db, "zweite-runde")
    a1 = matching_runs.start_run(db, first, actor="test")
    a2 = matching_runs.start_run(db, first, actor="test")
    b1 = matching_runs.start_run(db, second, actor="test")
    a3 = matching_runs.start_run(db, first, actor="test")
    db.commit()
    assert [a1.number, a2.number, a3.number, b1.number] == [1, 2, 3, 1]
    assert b1.id > a2.id  # the id is global; the number is the round's

    listed = team.client.get("/organiser/rounds/zweite-runde/matching").text
    assert "Lauf 1" in listed and f"Lauf {b1.id}" not in listed
    assert f'href="/organiser/rounds/zweite-runde/runs/{b1.id}"' in listed  # URLs keep ids
    shown = team.client.get(f"/organiser/rounds/zweite-runde/runs/{b1.id}").text
    assert "<h1>Lauf 1" in shown
    third = team.client.get(f"/organiser/rounds/erste-runde/runs/{a3.id}?lang=en").text
    assert "<h1>run 3" in third


def test_the_banner_of_a_started_run_goes_when_it_has_ended(
    team: LoggedIn, db: Session, example_round: Round
) -> None:
    running = matching_runs.start_run(db, example_round, actor="test")
    db.commit()
    banner = "Die Gruppenbildung läuft"
    assert banner in team.client.get(f"{ROUND}/runs/{running.id}?done=started").text
    running.status = RunStatus.CANCELLED
    db.commit()
    draft = solved_draft(db, example_round)
    page = team.client.get(f"{ROUND}/runs/{draft.id}?done=started").text
    assert banner not in page
    assert (
        "Die Gruppenbildung wird angehalten"
        not in team.client.get(f"{ROUND}/runs/{draft.id}?done=cancelling").text
    )


def test_the_publish_button_comes_after_the_groups_it_publishes(
    team: LoggedIn, db: Session, example_round: Round
) -> None:
    draft = solved_draft(db, example_round)
    page = team.client.get(f"{ROUND}/runs/{draft.id}").text
    publish = page.index("Veröffentlichen und diese E-Mails senden")
    last_group = max(m.start() for m in re.finditer(r'<section class="card group"', page))
    assert publish > last_group
    assert publish > page.index("Von Hand ändern")


def test_a_dropout_is_recorded_and_undone_on_the_dropouts_page(
    team: LoggedIn, db: Session, example_round: Round, settings: Settings
) -> None:
    run = solved_draft(db, example_round)
    publishing.publish(db, example_round.slug, run.id, settings=settings, actor="test")
    db.commit()
    person = _placed(db, run)
    page = team.client.get(f"{ROUND}/dropouts").text
    form = page[page.index('id="record-dropout"') :]
    reason = re.search(r"<input id=\"dropout-reason\"[^>]*>", form)
    assert reason is not None
    assert 'required aria-required="true"' in reason.group(0)
    label = form[form.index('<label for="dropout-reason"') :]
    label = label[: label.index("</label>")]
    assert '<span class="required" aria-hidden="true">*</span>' in label
    assert "(Pflichtfeld)" in label
    assert f'<option value="{person.id}">{person.full_name}' in form

    missing = team.post(
        f"{ROUND}/dropouts", {"participant": person.id, "reason": " ", "category": "moved"}
    )
    assert missing.status_code == 422
    recorded = team.post(
        f"{ROUND}/dropouts", {"participant": person.id, "reason": "verzogen", "category": "moved"}
    )
    assert recorded.status_code == 303
    assert recorded.headers["location"].startswith(f"{ROUND}/dropouts?mails=")
    db.expire_all()
    assert db.get_one(Participant, person.id).status is RegistrationStatus.WITHDRAWN
    listed = team.client.get(recorded.headers["location"]).text
    assert "Als abgesagt markiert." in listed
    dropped = listed[listed.index('id="dropped-out"') :]
    assert person.full_name in dropped and "vom Orga-Team markiert" in dropped
    assert "verzogen" not in listed  # the reason is shown on the person's page only
    undo = f"{ROUND}/dropouts/{person.id}/undo"
    assert f'action="{undo}"' in dropped

    before = set(db.scalars(select(OutboxMail.id)).all())
    undone = team.post(undo)
    assert undone.status_code == 303, undone.text
    db.expire_all()
    back = db.get_one(Participant, person.id)
    assert back.status is RegistrationStatus.PLACED and back.withdrawn_reason is None
    # Their evenings come back to their calendar.
    again = db.scalars(
        select(OutboxMail.kind).where(
            OutboxMail.recipient == person.email, OutboxMail.id.not_in(before)
        )
    ).all()
    assert again and set(again) == {"invitation"}
    assert (
        "Die Absage wurde rückgängig gemacht." in team.client.get(undone.headers["location"]).text
    )
    assert db.scalar(
        select(AuditEntry.id).where(
            AuditEntry.action == "registration.drop_out_undone",
            AuditEntry.subject == f"participant:{person.id}",
        )
    )
    # Undoing twice is refused, and so is undoing someone's own withdrawal.
    assert team.post(undo).status_code == 409


def test_a_withdrawal_of_the_persons_own_is_not_undone_by_the_organisers(
    team: LoggedIn, db: Session, example_round: Round, settings: Settings
) -> None:
    person = db.scalars(select(Participant).where(Participant.round_id == example_round.id)).first()
    assert person is not None
    registrations.withdraw(
        db,
        example_round,
        person,
        "selbst",
        "web",
        category=DropoutCategory.NOT_GIVEN,
        now=datetime.now(UTC),
    )
    db.commit()
    page = team.client.get(f"{ROUND}/dropouts").text
    assert "hat sich auf der eigenen Seite abgemeldet" in page
    assert f"/dropouts/{person.id}/undo" not in page
    assert team.post(f"{ROUND}/dropouts/{person.id}/undo").status_code == 409


def test_chart_labels_are_drawn_at_twelve_pixels_or_more(
    team: LoggedIn, example_round: Round
) -> None:
    page = team.client.get(f"{ROUND}/registrations").text
    charts = re.findall(r"<svg class='chart'[^>]*>.*?</svg>", page, re.S)
    assert len(charts) >= 3
    for chart in charts:
        opening = re.match(r"<svg[^>]*>", chart)
        assert opening is not None
        view = re.search(r"viewBox='0 0 (\d+) (\d+)'", opening.group(0))
        width = re.search(r" width='(\d+)'", opening.group(0))
        assert view and width
        # Drawn at its own width (never stretched or squeezed into a wider viewBox)...
        assert width.group(1) == view.group(1)
        # ...with text of at least 12 pixels at that width.
        sizes = [float(size) for size in re.findall(r"font-size='([\d.]+)'", chart)]
        assert sizes and min(sizes) >= 12


def test_names_of_a_round_are_entered_per_language(
    team: LoggedIn, db: Session, example_round: Round
) -> None:
    setup = team.client.get(f"{ROUND}/setup").text
    for field in ("name_ar", "label_uk", "venue_name_en"):
        assert f'name="{field}"' in setup
    assert 'value="Вечори понеділка"' in setup  # the example round's translation

    settings_form: dict[str, object] = {
        "name": "Konstanz im Mai",
        "name_en": "Konstanz in May",
        "name_ar": "كونستانس في مايو",
        "name_uk": "",
        "languages_offered": ["de", "en", "ar", "uk"],
        "registration_deadline": example_round.registration_deadline.astimezone(BERLIN)
        .replace(tzinfo=None)
        .isoformat(timespec="minutes")
        if example_round.registration_deadline
        else "",
        "min_size": "6",
        "max_size": "10",
        "newcomer_share_min": "0.4",
        "newcomer_share_max": "0.6",
        "max_same_origin": "2",
        "moderators_per_group": "1",
        "retention_days": "90",
    }
    saved = team.post(f"{ROUND}/settings", settings_form)
    assert saved.status_code == 303, saved.text
    series_form: dict[str, object] = {
        "label": "Montagabende",
        "label_en": "Mondays",
        "label_ar": "أيام الاثنين",
        "label_uk": "",
        "venue_name": "Kulturzentrum",
        "venue_name_ar": "المركز الثقافي",
        "venue_address": "Wessenbergstraße 43, 78462 Konstanz",
        "step_free": "true",
        "rooms": "3",
    }
    edited = team.post(f"{ROUND}/series/mon", series_form)
    assert edited.status_code == 303, edited.text
    db.expire_all()
    round = db.get_one(Round, example_round.id)
    assert round.name_translations == {"en": "Konstanz in May", "ar": "كونستانس في مايو"}
    monday = next(s for s in round.series if s.key == "mon")
    assert monday.label_translations == {"en": "Mondays", "ar": "أيام الاثنين"}
    assert monday.venue_name_translations == {"ar": "المركز الثقافي"}
    assert round.name_in("uk") == "Konstanz im Mai"  # none given: the German
    assert monday.label_in("uk") == "Montagabende"


def test_a_new_translation_alone_sends_nobody_an_update(
    team: LoggedIn, db: Session, example_round: Round, settings: Settings
) -> None:
    run = solved_draft(db, example_round)
    publishing.publish(db, example_round.slug, run.id, settings=settings, actor="test")
    db.commit()
    assert notify.resync_round(db, example_round, settings=settings) == []
    monday = next(s for s in example_round.series if s.key == "mon")
    monday.label_translations = {**monday.label_translations, "ar": "ليالي الاثنين"}
    db.commit()
    assert notify.resync_round(db, example_round, settings=settings) == []
