"""The report pages and files for organisers: HTML with charts, JSON, CSV, PDF."""

from __future__ import annotations

import io
import json
import re

from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.organiser.conftest import LoggedIn
from vekl.store.models import MatchingRun, Participant, Round


def test_the_round_report_page(
    team: LoggedIn, example_round: Round, published: MatchingRun
) -> None:
    page = team.client.get(f"/organiser/rounds/{example_round.slug}/report")
    assert page.status_code == 200, page.text
    assert "Monitoring-Bericht" in page.text
    small = team.client.get(f"/organiser/rounds/{example_round.slug}/report.csv").text
    assert page.text.count("&lt;5") >= small.count(",<5,primary") + 1 > 1
    assert "<svg class='chart'" in page.text
    sizes = {int(size) for size in re.findall(r"font-size='(\d+)'", page.text)}
    assert sizes and min(sizes) >= 12
    assert "Begegnungen" in page.text


def test_the_files(
    team: LoggedIn, example_round: Round, published: MatchingRun, db: Session
) -> None:
    base = f"/organiser/rounds/{example_round.slug}/report"
    as_json = team.client.get(f"{base}.json")
    assert as_json.status_code == 200
    assert as_json.headers["content-type"] == "application/json"
    data = json.loads(as_json.text)
    assert data["rounds"] == [example_round.slug]
    as_csv = team.client.get(f"{base}.csv")
    assert as_csv.text.startswith(
        "scope,round,section,basis,table,row,column,count,display,suppressed"
    )
    pdf = team.client.get(f"{base}.pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    text = "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Monitoring-Bericht" in text
    # Every "<5" cell of the published report is printed as "<5" (and once in the note).
    small = as_csv.text.count(",<5,primary")
    assert small > 0 and text.count("<5") == small + 1
    for person in db.scalars(select(Participant).where(Participant.round_id == example_round.id)):
        assert person.email not in text and person.last_name not in text


def test_across_rounds(team: LoggedIn, example_round: Round) -> None:
    page = team.client.get("/organiser/report")
    assert page.status_code == 200 and "alle Runden" in page.text
    assert team.client.get("/organiser/report.csv").status_code == 200


def test_bad_requests(team: LoggedIn, example_round: Round) -> None:
    missing = team.client.get("/organiser/rounds/nirgendwo/report")
    assert missing.status_code == 404 and "nirgendwo" in missing.text
    fmt = team.client.get(f"/organiser/rounds/{example_round.slug}/report.xml")
    assert fmt.status_code == 422 and "xml" in fmt.text


def test_no_data_yet(team: LoggedIn, client: TestClient) -> None:
    page = team.client.get("/organiser/report")
    assert page.status_code == 404
    assert "Noch keine Runde hat Anmeldungen" in page.text


def test_population_shares_upload(team: LoggedIn, example_round: Round) -> None:
    base = f"/organiser/rounds/{example_round.slug}/report"
    sent = team.post(
        f"{base}/population",
        files={"file": ("anteile.csv", b"dimension;category;share\ngender;f;0.51\n", "text/csv")},
    )
    assert sent.status_code == 303, sent.text
    page = team.client.get(f"{base}?done=population")
    assert "51" in page.text and "Anteil in der Stadt" in page.text
    bad = team.post(
        f"{base}/population",
        files={"file": ("anteile.csv", b"dimension;category;share\ngender;f;2\n", "text/csv")},
    )
    assert bad.status_code == 422 and "Zeile 2" in bad.text


def test_needs_an_organiser(client: TestClient, example_round: Round) -> None:
    response = client.get(f"/organiser/rounds/{example_round.slug}/report.json")
    assert response.status_code in (303, 401)


def test_the_page_of_a_purged_round(
    team: LoggedIn, example_round: Round, published: MatchingRun, db: Session
) -> None:
    from datetime import timedelta

    from vekl.retention import service as retention

    base = f"/organiser/rounds/{example_round.slug}/report"
    before = team.client.get(f"{base}.csv").text
    last = retention.last_evening(db, example_round)
    assert last is not None
    due = last + timedelta(days=example_round.retention_days, minutes=1)
    retention.purge_round(db, example_round, actor="test", now=due)
    db.commit()
    page = team.client.get(base)
    assert page.status_code == 200
    assert "bei der Löschung behaltenen Zählungen" in page.text
    assert team.client.get(f"{base}.csv").text == before


def test_the_csv_turns_no_cell_into_a_formula() -> None:
    # Row names come from what people typed (a district, say): a spreadsheet must show them
    # as text, never run them.
    from datetime import UTC, datetime

    from vekl.monitoring import service
    from vekl.monitoring.schemas import (
        PublishedCell,
        PublishedSection,
        PublishedTable,
        Report,
    )

    cell = PublishedCell(count=7, display="7")
    report = Report(
        scope="round",
        rounds=["konstanz-mai"],
        round_names=["Konstanz, Mai"],
        generated_at=datetime(2027, 6, 1, tzinfo=UTC),
        threshold=5,
        protection=2,
        sections=[
            PublishedSection(
                name="composition",
                tables=[
                    PublishedTable(
                        name="district", rows=["=HYPERLINK(1)"], columns=["count"], cells=[[cell]]
                    )
                ],
            )
        ],
    )
    text = service.as_csv(report)
    assert ",'=HYPERLINK(1),count,7,7," in text
    assert ",=HYPERLINK" not in text


def test_the_page_and_pdf_show_attendance_feedback_and_the_lottery(
    team: LoggedIn, example_round: Round, published: MatchingRun, db: Session
) -> None:
    from tests.monitoring.data import answer_survey, mark_attendance, run_lottery

    mark_attendance(db, example_round)
    answer_survey(db, example_round)
    run_lottery(db, example_round)
    db.commit()
    base = f"/organiser/rounds/{example_round.slug}/report"
    page = team.client.get(base)
    assert page.status_code == 200, page.text
    for text in (
        "Anwesenheit",
        "Montagabende, Abend 1",
        "Mitglieder der Gruppen, die an jedem Abend kamen",
        "Rückmeldungen",
        "Zufriedenheit (1 = gar nicht, 5 = sehr) nach Antwortenden",
        "würde es weiterempfehlen",
        "Briefe und Rücklauf",
        "Welle 1",
    ):
        assert text in page.text, text
    assert page.text.count("<svg class='chart'") >= 12
    pdf = team.client.get(f"{base}.pdf")
    printed = "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Anwesenheit" in printed and "Briefe nach Schicht und Welle" in printed
    assert "Montagabende, Abend 1" in printed and "mon, Abend" not in printed
