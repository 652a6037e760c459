"""The set-up, registration, mail and export pages, through the app as an organiser uses them."""

from __future__ import annotations

import csv
import io
import json
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.organiser.conftest import EXAMPLE, LoggedIn, solved_draft
from vekl.registration import letter_codes
from vekl.runs import publishing
from vekl.settings import Settings
from vekl.store.models import (
    AuditEntry,
    InvitationCode,
    MailStatus,
    OutboxMail,
    Participant,
    Round,
    RoundStatus,
)

ROUND = "/organiser/rounds/konstanz-mai"


def test_a_round_is_set_up_from_the_form(team: LoggedIn, db: Session) -> None:
    created = team.post(
        "/organiser/rounds",
        {
            "slug": "konstanz-herbst",
            "name": "Konstanz, Herbst",
            "languages_offered": ["de", "en"],
            "registration_deadline": "2027-09-01T23:59",
            "min_size": "5",
            "max_size": "8",
            "newcomer_share_min": "0.3",
            "newcomer_share_max": "0.7",
            "max_same_origin": "2",
            "moderators_per_group": "1",
            "retention_days": "60",
        },
    )
    assert created.status_code == 303, created.text
    base = "/organiser/rounds/konstanz-herbst"
    added = team.post(
        f"{base}/series",
        {
            "key": "tue",
            "label": "Dienstagabende",
            "venue_name": "Bürgersaal",
            "venue_address": "Salmannsweilerstraße 1, 78462 Konstanz",
            "step_free": "true",
            "rooms": "2",
        },
    )
    assert added.status_code == 303, added.text
    evening = team.post(
        f"{base}/series/tue/evenings", {"day": "2027-10-05", "start": "18:00", "end": "21:00"}
    )
    assert evening.status_code == 303, evening.text
    round = db.scalar(select(Round).where(Round.slug == "konstanz-herbst"))
    assert round is not None
    assert (round.min_size, round.max_size, round.retention_days) == (5, 8, 60)
    assert round.registration_deadline is not None
    assert round.registration_deadline.hour == 21  # 23:59 in Konstanz is 21:59 UTC in summer
    assert [s.key for s in round.series] == ["tue"]
    assert len(round.series[0].evenings) == 1
    wrong = team.post(
        f"{base}/series/tue/evenings", {"day": "2027-10-12", "start": "21:00", "end": "18:00"}
    )
    assert wrong.status_code == 422
    assert "der Abend muss nach seinem Beginn enden" in wrong.text
    # The form's fields are checked by the series' input model; each wrong one is named.
    bad = team.post(
        f"{base}/series/tue",
        {"label": "", "venue_name": "Bürgersaal", "venue_address": "x", "rooms": "0"},
    )
    # They are shown next to their fields in the series' own form, with what was typed.
    assert bad.status_code == 422
    assert '<p class="error" id="error-s-tue-label">ist erforderlich</p>' in bad.text
    assert '<p class="error" id="error-s-tue-rooms">muss mindestens 1 sein</p>' in bad.text
    assert 'value="0" aria-invalid="true" aria-describedby="error-s-tue-rooms"' in bad.text
    assert "label:" not in bad.text and "rooms:" not in bad.text
    late = team.post(f"{base}/series/tue/evenings", {"day": "2027-13-01", "start": "18:00"})
    assert late.status_code == 422
    assert 'id="error-new-tue-day">muss ein Datum' in late.text
    assert '<p class="error" id="error-new-tue-end">ist erforderlich</p>' in late.text
    assert round.series[0].label == "Dienstagabende" and len(round.series[0].evenings) == 1


def test_settings_are_checked_and_saved(team: LoggedIn, example_round: Round) -> None:
    bad = team.post(
        f"{ROUND}/settings",
        {"name": "x", "languages_offered": ["de"], "min_size": "9", "max_size": "4"},
    )
    assert bad.status_code == 422
    assert "muss mindestens so groß sein wie die kleinste Gruppe" in bad.text
    good = team.post(
        f"{ROUND}/settings",
        {
            "name": "Konstanz, Mai (neu)",
            "languages_offered": ["de", "uk"],
            "working_languages": ["de"],
            "min_size": "5",
            "max_size": "9",
        },
    )
    assert good.status_code == 303
    assert example_round.name == "Konstanz, Mai (neu)"
    assert example_round.working_languages == ["de"]


def test_csv_import_reports_every_bad_row_in_the_pages_language(
    team: LoggedIn, example_round: Round, db: Session
) -> None:
    lines = (EXAMPLE / "registrations.csv").read_text(encoding="utf-8").splitlines()
    broken = lines[0] + "\n" + lines[1].replace("de|en", "de|xx") + "\n"
    broken += lines[2].replace(";wed;", ";tue;").replace("@", "@@") + "\n"
    response = team.post(
        f"{ROUND}/import/registrations",
        files={"file": ("people.csv", broken.encode(), "text/csv")},
    )
    assert response.status_code == 422
    assert "Zeile 2, Spalte languages: unbekanntes Sprachkürzel &#39;xx&#39;" in response.text
    assert "Zeile 3, Spalte series: unbekannte Reihe &#39;tue&#39;" in response.text
    assert "Zeile 3, Spalte email: keine gültige E-Mail-Adresse" in response.text
    assert "line 2" not in response.text and "unknown" not in response.text
    english = team.post(
        f"{ROUND}/import/registrations?lang=en",
        files={"file": ("people.csv", broken.encode(), "text/csv")},
    )
    assert english.status_code == 422
    assert "line 2, column languages: unknown language code &#39;xx&#39;" in english.text
    assert "line 3, column series: unknown series &#39;tue&#39;" in english.text
    again = team.post(
        f"{ROUND}/import/registrations?lang=de",
        files={"file": ("people.csv", (EXAMPLE / "registrations.csv").read_bytes(), "text/csv")},
    )
    assert again.status_code == 200
    assert "0 neu" in again.text and "60 unverändert" in again.text


def test_letter_codes_come_as_a_download_and_are_kept_only_hashed(
    team: LoggedIn, example_round: Round, db: Session
) -> None:
    response = team.post(f"{ROUND}/codes", {"count": "5"})
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["code", "url"] and len(rows) == 6
    codes = [row[0] for row in rows[1:]]
    assert all(letter_codes.format_problem(letter_codes.normalise(c)) is None for c in codes)
    stored = db.scalars(select(InvitationCode.code_hash)).all()
    assert len(stored) == 5 and not set(codes) & set(stored)


def test_registration_status_can_be_closed_and_opened(team: LoggedIn, example_round: Round) -> None:
    # Closing first says what it means; nothing changes until it is confirmed.
    asked = team.post(f"{ROUND}/status?lang=en", {"status": "closed"})
    assert asked.status_code == 200 and "Closing registration means:" in asked.text
    assert "form, check and publish groups while registration is open" in asked.text
    assert example_round.status is RoundStatus.OPEN
    closed = team.post(f"{ROUND}/status", {"status": "closed", "confirm": "yes"})
    assert closed.status_code == 303
    assert example_round.status is RoundStatus.CLOSED  # type: ignore[comparison-overlap]
    refused = team.post(f"{ROUND}/status", {"status": "published"})
    assert refused.status_code == 422
    assert team.post(f"{ROUND}/status", {"status": "open"}).status_code == 303
    assert example_round.status is RoundStatus.OPEN  # changed by the request


def test_the_registrations_page_counts_filters_and_draws(
    team: LoggedIn, example_round: Round
) -> None:
    page = team.client.get(f"{ROUND}/registrations")
    assert page.status_code == 200
    assert "Insgesamt 60 Anmeldungen." in page.text
    assert page.text.count("<svg class='chart'") == 6
    # Each chart's numbers are also there as text.
    assert page.text.count("<details class='chart-data'>") == 6
    filtered = team.client.get(f"{ROUND}/registrations?role=newcomer&series=wed")
    shown = int(filtered.text.split(" angezeigt.")[0].rsplit(">", 1)[-1])
    people = [
        p
        for p in example_round.participants
        if p.role.value == "newcomer" and "wed" in {s.key for s in p.series}
    ]
    assert shown == len(people) > 0


def test_a_registration_is_corrected_with_the_usual_checks(
    team: LoggedIn, example_round: Round, db: Session
) -> None:
    person = db.scalar(select(Participant).where(Participant.email == "claudia.wagner@example.org"))
    assert person is not None
    path = f"{ROUND}/registrations/{person.id}"
    form: dict[str, object] = {
        "role": "citizen",
        "first_name": "Claudia",
        "last_name": "Wagner-Lang",
        "email": "claudia.wagner@example.org",
        "languages_text": "de en",
        "series": ["mon", "sat"],
        "needs": ["step_free"],
        "priority": "0",
    }
    assert team.post(path, form).status_code == 303
    assert person.last_name == "Wagner-Lang"
    assert [s.key for s in person.series] == ["mon", "sat"]
    bad = team.post(path, {**form, "languages_text": "de zz"})
    assert bad.status_code == 422 and "zz" in bad.text
    assert db.scalar(
        select(AuditEntry).where(
            AuditEntry.action == "registration.update",
            AuditEntry.subject == f"participant:{person.id}",
        )
    )


def test_rosters_sign_in_sheets_and_the_round_export(
    team: LoggedIn, db: Session, example_round: Round, settings: Settings
) -> None:
    run = solved_draft(db, example_round)
    publishing.publish(db, example_round.slug, run.id, settings=settings, actor="test")
    db.commit()
    group = run.groups[0]
    names = {m.participant.last_name for m in group.members}
    roster = team.client.get(f"{ROUND}/groups/{group.key}/roster.csv")
    assert roster.status_code == 200 and roster.headers["cache-control"] == "no-store"
    rows = list(csv.DictReader(io.StringIO(roster.content.decode("utf-8-sig")), delimiter=";"))
    assert {r["last_name"] for r in rows} == names
    series_rows = team.client.get(f"{ROUND}/series/{group.series.key}/roster.csv")
    assert len(series_rows.text.splitlines()) - 1 == sum(
        len(g.members) for g in run.groups if g.series_id == group.series_id
    )
    printable = team.client.get(f"{ROUND}/groups/{group.key}/roster")
    assert all(name in printable.text for name in names)
    evening = group.series.evenings[0]
    sheet = team.client.get(f"{ROUND}/evenings/{evening.id}/sign-in")
    assert sheet.status_code == 200
    assert sheet.text.count('class="sheet"') == sum(
        1 for g in run.groups if g.series_id == group.series_id
    )
    export = team.client.get(f"{ROUND}/export.json")
    data = json.loads(export.text)
    assert len(data["registrations"]) == 60
    assert {g["key"] for g in data["groups"]} == {g.key for g in run.groups}
    assert data["published_run"] == run.id


def test_the_mail_page_shows_failures_and_retries_them(
    team: LoggedIn, db: Session, example_round: Round, settings: Settings
) -> None:
    run = solved_draft(db, example_round)
    publishing.publish(db, example_round.slug, run.id, settings=settings, actor="test")
    mail = db.scalars(select(OutboxMail).order_by(OutboxMail.id)).first()
    assert mail is not None
    mail.status = MailStatus.FAILED
    mail.attempts = 3
    mail.last_error = "550 5.1.1 mailbox unavailable"
    db.commit()
    page = team.client.get(f"{ROUND}/mail")
    assert "550 5.1.1 mailbox unavailable" in page.text
    assert team.post(f"{ROUND}/mail/{mail.id}/retry").status_code == 303
    assert mail.status is MailStatus.QUEUED and mail.attempts == 0
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "mail.retry")).one()
    assert entry.actor == "organiser:team@konstanz.example" and entry.subject == f"mail:{mail.id}"


def test_a_mail_still_queued_is_not_offered_again_and_its_retry_is_refused(
    team: LoggedIn, db: Session, example_round: Round, settings: Settings
) -> None:
    run = solved_draft(db, example_round)
    publishing.publish(db, example_round.slug, run.id, settings=settings, actor="test")
    mail, sent = db.scalars(select(OutboxMail).order_by(OutboxMail.id).limit(2))
    mail.attempts = 1
    mail.last_error = "421 4.7.0 try again later"
    sent.status = MailStatus.SENT
    db.commit()
    page = team.client.get(f"{ROUND}/mail")
    assert "421 4.7.0 try again later" in page.text
    assert f"/mail/{mail.id}/retry" not in page.text
    for refused in (mail, sent):
        answer = team.post(f"{ROUND}/mail/{refused.id}/retry")
        assert answer.status_code == 409
        assert "nur fehlgeschlagene oder abgelaufene E-Mails" in answer.text
    db.expire_all()
    assert (mail.status, mail.attempts) == (MailStatus.QUEUED, 1)
    assert (sent.status, sent.attempts) == (MailStatus.SENT, 0)
    assert db.scalars(select(AuditEntry).where(AuditEntry.action == "mail.retry")).all() == []


def test_the_audit_log_page_lists_what_organisers_did(team: LoggedIn, example_round: Round) -> None:
    team.post(f"{ROUND}/status", {"status": "closed", "confirm": "yes"})
    page = team.client.get(f"{ROUND}/audit")
    assert "Status der Runde geändert" in page.text and "team@konstanz.example" in page.text
    assert "vorher: Anmeldung offen; jetzt: Anmeldung geschlossen" in page.text
    assert "Anmeldungen aus einer Datei importiert" in page.text
    assert "round.status" not in page.text and "registrations.import" not in page.text


def test_german_is_the_default_and_english_can_be_chosen(team: LoggedIn) -> None:
    german = team.client.get("/organiser/")
    assert 'lang="de"' in german.text and "Runden" in german.text
    english = team.client.get("/organiser/?lang=en")
    assert 'lang="en"' in english.text and "Rounds" in english.text


def test_moderator_links_are_shown_once_and_open_the_moderators_pages(
    team: LoggedIn, example_round: Round
) -> None:
    response = team.post(f"{ROUND}/moderators/links")
    assert response.status_code == 200
    found = sorted(
        set(re.findall(r"https://vekl\.example(/moderator/[A-Za-z0-9_-]{43})", response.text))
    )
    assert len(found) == len(example_round.moderators) == 8
    team.client.cookies.clear()
    assert team.client.get(found[0]).status_code == 200
    again = team.client.get(f"{ROUND}/moderators")
    assert again.status_code == 303  # logged out by clearing the cookies: no links without login


def test_the_moderators_page_says_that_moderators_get_their_link_by_mail(
    team: LoggedIn, example_round: Round
) -> None:
    page = team.client.get(f"{ROUND}/moderators?lang=de")
    assert page.status_code == 200
    assert "Moderierende bekommen den Link zu ihrer Seite per E-Mail" in page.text
    assert "„Meinen persönlichen Link noch einmal schicken“" in page.text
    assert "Neue persönliche Links für alle Moderierenden erzeugen" in page.text


def test_organiser_pages_speak_in_words_and_german_numbers(
    team: LoggedIn, db: Session, example_round: Round
) -> None:
    run = solved_draft(db, example_round)
    page = team.client.get(f"{ROUND}/runs/{run.id}").text
    assert "feasible" not in page and "optimal" not in page
    assert "gültige Einteilung gefunden" in page or "beste mögliche Einteilung" in page
    assert run.imbalance is not None
    assert f"{run.imbalance:.3f}".replace(".", ",") in page
    assert f"{run.imbalance:.3f}" not in page
    listed = team.client.get(f"{ROUND}/matching").text
    assert f"{run.imbalance:.3f}".replace(".", ",") in listed
    person = db.scalars(
        select(Participant).where(
            Participant.round_id == example_round.id, Participant.gender == "f"
        )
    ).first()
    assert person is not None
    shown = team.client.get(f"{ROUND}/registrations/{person.id}").text
    assert "aus einer Datei importiert (Papierformular)" in shown
    assert '<option value="f" selected>weiblich</option>' in shown
