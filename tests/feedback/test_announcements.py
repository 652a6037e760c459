"""The organisers' announcement to the news subscribers: each in their language (German where
there is no version in it), once per subscriber, with the link that ends these mails; the
page (write, preview, confirm) and ``vekl feedback news`` through one service."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.feedback.conftest import mails, message
from tests.feedback.conftest import text_of as raw_text
from tests.organiser.conftest import LoggedIn
from vekl.access import tokens
from vekl.cli import app as cli
from vekl.cli import context
from vekl.cli import feedback as feedback_commands
from vekl.errors import Conflict, InvalidInput
from vekl.feedback import announcements, errors, news
from vekl.settings import Settings
from vekl.store.models import AuditEntry, NewsSubscriber, OutboxMail

KIND = announcements.MAIL_KIND
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
# Who asked for news: one per language, one whose language has no catalog (Farsi), and a
# Ukrainian reader, for whom the organisers write no Ukrainian version below.
READERS = {
    "de@example.org": "de",
    "en@example.org": "en",
    "ar@example.org": "ar",
    "uk@example.org": "uk",
    "fa@example.org": "fa",
}
FORM = {
    "subject_de": "Neue Runde im Herbst",
    "text_de": "die nächste Runde beginnt im Oktober.\n<b>Anmeldung</b> ab September.",
    "subject_en": "A new round in autumn",
    "text_en": "the next round starts in October.",
    "subject_ar": "جولة جديدة في الخريف",
    "text_ar": "تبدأ الجولة القادمة في أكتوبر.",
}


def _subscribe(db: Session, settings: Settings, readers: dict[str, str] = READERS) -> None:
    for email, language in readers.items():
        token = news.withdraw_token(settings, email)
        db.add(NewsSubscriber(email=email, language=language, token_hash=tokens.token_hash(token)))
    db.commit()


def text_of(row: OutboxMail) -> str:
    return raw_text(row).replace("\r\n", "\n")


def _by_recipient(db: Session) -> dict[str, OutboxMail]:
    return {row.recipient: row for row in mails(db, KIND)}


def _subject(row: OutboxMail) -> str:
    return str(message(row)["Subject"])


def _audit(db: Session) -> list[AuditEntry]:
    return list(
        db.scalars(select(AuditEntry).where(AuditEntry.action == announcements.AUDIT_ACTION))
    )


# The service, on SQLite and PostgreSQL


def test_each_subscriber_gets_it_once_in_their_language_or_in_german(
    db: Session, settings: Settings
) -> None:
    _subscribe(db, settings)
    announcement = announcements.parse(FORM)
    sent = announcements.send(db, settings, announcement, NOW, "organiser:1")
    db.commit()
    assert sent.by_language == {"de": 3, "en": 1, "ar": 1}
    rows = _by_recipient(db)
    assert set(rows) == set(READERS)
    assert _subject(rows["en@example.org"]) == "A new round in autumn"
    assert _subject(rows["ar@example.org"]) == "جولة جديدة في الخريف"
    # No Ukrainian version, no catalog for Farsi: German, greeting and all.
    for email in ("de@example.org", "uk@example.org", "fa@example.org"):
        assert _subject(rows[email]) == "Neue Runde im Herbst"
        assert text_of(rows[email]).startswith("Hallo,\n\ndie nächste Runde")
    assert message(rows["uk@example.org"])["To"] == "uk@example.org"
    assert all(row.round_id is None and row.participant_id is None for row in rows.values())
    # Posted again: nobody gets it twice, and nothing changes.
    with pytest.raises(Conflict) as refused:
        announcements.send(db, settings, announcements.parse(dict(FORM)), NOW, "organiser:1")
    assert refused.value.message == errors.ALREADY_ANNOUNCED
    db.rollback()
    assert len(mails(db, KIND)) == len(READERS)
    (entry,) = _audit(db)
    assert entry.actor == "organiser:1" and entry.round_id is None
    assert entry.details == {"count": 5, "languages": {"de": 3, "en": 1, "ar": 1}}
    assert entry.subject is None


def test_a_later_subscriber_gets_the_same_announcement_the_others_do_not_again(
    db: Session, settings: Settings
) -> None:
    _subscribe(db, settings, {"de@example.org": "de"})
    announcement = announcements.parse(FORM)
    announcements.send(db, settings, announcement, NOW, "organiser:1")
    db.commit()
    _subscribe(db, settings, {"late@example.org": "en"})
    view = announcements.preview(db, settings, announcement, NOW)
    assert (view.subscribers, view.already, view.to_send) == (2, 1, 1)
    sent = announcements.send(db, settings, announcement, NOW, "organiser:1")
    db.commit()
    assert sent.by_language == {"en": 1}
    assert sorted(_by_recipient(db)) == ["de@example.org", "late@example.org"]
    # A changed text is another announcement: it goes to both.
    changed = announcements.parse({**FORM, "text_de": "die nächste Runde beginnt im November."})
    assert changed.key != announcement.key
    assert announcements.send(db, settings, changed, NOW, "organiser:1").total == 2


def test_the_withdraw_link_in_the_mail_ends_the_news(db: Session, settings: Settings) -> None:
    _subscribe(db, settings, {"uk@example.org": "uk"})
    announcements.send(db, settings, announcements.parse(FORM), NOW, "organiser:1")
    db.commit()
    (row,) = mails(db, KIND)
    found = re.search(r"https://vekl\.example/news/([A-Za-z0-9_-]{43})\n", text_of(row))
    assert found, text_of(row)
    html = message(row).get_body(("html",))
    assert html is not None and f'href="{found.group(0).strip()}"' in str(html.get_content())
    assert news.withdraw(db, found.group(1)) == "uk"
    assert db.scalar(select(func.count()).select_from(NewsSubscriber)) == 0


def test_the_organisers_text_is_escaped_in_the_html_part(db: Session, settings: Settings) -> None:
    _subscribe(db, settings, {"de@example.org": "de"})
    form = {**FORM, "subject_de": 'Herbst & "Treffen" <i>', "text_de": "<script>x</script>\n\nb"}
    announcements.send(db, settings, announcements.parse(form), NOW, "organiser:1")
    (row,) = mails(db, KIND)
    part = message(row).get_body(("html",))
    assert part is not None
    html = str(part.get_content())
    assert "<script>" not in html and "&lt;script&gt;x&lt;/script&gt;" in html
    assert "<i>" not in html
    assert "<p>b</p>" in html  # a blank line starts a paragraph
    assert _subject(row) == 'Herbst & "Treffen" <i>'
    assert "<script>x</script>" in text_of(row)  # the plain text is as typed


@pytest.mark.parametrize(
    ("change", "field", "message_id"),
    [
        ({"subject_de": "  "}, "subject_de", errors.SUBJECT_REQUIRED),
        ({"text_de": ""}, "text_de", errors.TEXT_REQUIRED),
        ({"subject_de": "x" * 201}, "subject_de", errors.SUBJECT_TOO_LONG),
        ({"text_de": "x" * 5001}, "text_de", errors.TEXT_TOO_LONG),
        ({"subject_de": "eins\nzwei"}, "subject_de", errors.SUBJECT_ONE_LINE),
        ({"text_en": ""}, "text_en", errors.SUBJECT_WITHOUT_TEXT),
        ({"subject_ar": ""}, "subject_ar", errors.TEXT_WITHOUT_SUBJECT),
    ],
)
def test_bad_input_names_the_field(change: dict[str, str], field: str, message_id: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        announcements.parse({**FORM, **change})
    assert [(e.field, e.message) for e in refused.value.errors] == [(field, message_id)]


def test_the_longest_subject_and_text_are_taken() -> None:
    parsed = announcements.parse({"subject_de": "x" * 200, "text_de": "y" * 5000})
    assert list(parsed.versions) == ["de"]


def test_the_preview_shows_each_version_and_who_gets_it_and_changes_nothing(
    db: Session, settings: Settings
) -> None:
    _subscribe(db, settings)
    view = announcements.preview(db, settings, announcements.parse(FORM), NOW)
    shown = {s.language: s for s in view.shown}
    assert list(shown) == ["de", "en", "ar"]
    assert (shown["de"].readers, shown["de"].fallback) == (3, 2)
    assert (shown["en"].readers, shown["ar"].readers) == (1, 1)
    assert shown["en"].text.startswith("Hello,\n\nthe next round")
    assert "https://vekl.example/news/VORSCHAU" in shown["ar"].text
    assert "Stadt Konstanz, Amt für Integration" in shown["de"].text  # the controller
    assert (view.subscribers, view.already, view.to_send) == (5, 0, 5)
    assert mails(db, KIND) == [] and _audit(db) == []


def test_nobody_to_write_to_is_refused(db: Session, settings: Settings) -> None:
    with pytest.raises(Conflict) as refused:
        announcements.send(db, settings, announcements.parse(FORM), NOW, "organiser:1")
    assert refused.value.message == errors.NO_SUBSCRIBERS
    assert _audit(db) == []


# The organiser page


def test_the_page_needs_a_login(client: TestClient, db: Session, settings: Settings) -> None:
    _subscribe(db, settings)
    assert client.get("/organiser/news").status_code in (303, 401)
    for step in ("preview", "send", "edit"):
        response = client.post(f"/organiser/news/{step}", data=FORM)
        assert response.status_code in (303, 401, 403)
    assert mails(db, KIND) == []


def test_a_form_without_the_sessions_token_is_refused(
    client: TestClient, db: Session, settings: Settings, team: LoggedIn
) -> None:
    _subscribe(db, settings)
    for token in ({}, {"csrf_token": "forged"}):
        response = client.post("/organiser/news/send", data={**FORM, **token})
        assert response.status_code == 403
    assert mails(db, KIND) == [] and _audit(db) == []


def test_write_preview_confirm_and_a_second_post_sends_nothing_again(
    client: TestClient, db: Session, settings: Settings, team: LoggedIn
) -> None:
    _subscribe(db, settings)
    page = client.get("/organiser/news?lang=de")
    assert page.status_code == 200
    assert "Nachricht an die Abonnent:innen" in page.text
    assert re.search(r"Ukrainisch</th><td>1</td>", page.text)
    preview = client.post("/organiser/news/preview?lang=de", data={**FORM, "csrf_token": team.csrf})
    assert preview.status_code == 200, preview.text
    assert "Jetzt an 5 Abonnent:innen senden" in preview.text
    assert "davon 2 ohne Fassung in ihrer Sprache" in preview.text
    for subject in (FORM["subject_de"], FORM["subject_en"], FORM["subject_ar"]):
        assert subject in preview.text
    assert "&lt;b&gt;Anmeldung&lt;/b&gt;" in preview.text
    assert mails(db, KIND) == []  # nothing sent before the confirmation
    carried = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', preview.text))
    assert carried["csrf_token"] == team.csrf and carried["subject_en"] == FORM["subject_en"]
    # What the browser posts back: the hidden fields, the markup unescaped by the browser.
    confirmed = {**FORM, "csrf_token": team.csrf}
    sent = client.post("/organiser/news/send?lang=de", data=confirmed)
    assert sent.status_code == 303
    assert sent.headers["location"] == "/organiser/news?sent=5&done=news_sent"
    assert len(mails(db, KIND)) == 5
    shown = client.get(sent.headers["location"] + "&lang=de")
    assert "Die Nachricht ist für 5 Abonnent:innen zum Versand vorgemerkt" in shown.text
    again = client.post("/organiser/news/send?lang=de", data=confirmed)
    assert again.status_code == 409
    assert "Diese Nachricht haben alle Abonnent:innen schon erhalten" in again.text
    assert len(mails(db, KIND)) == 5 and len(_audit(db)) == 1
    repeated = client.post("/organiser/news/preview?lang=de", data=confirmed)
    assert "5 Abonnent:innen haben diese Nachricht schon erhalten" in repeated.text
    assert "Jetzt an" not in repeated.text


def test_bad_input_shows_a_german_error_next_to_the_field_and_sends_nothing(
    client: TestClient, db: Session, settings: Settings, team: LoggedIn
) -> None:
    _subscribe(db, settings)
    bad = {**FORM, "subject_de": "", "text_en": "", "csrf_token": team.csrf}
    for step in ("preview", "send"):
        response = client.post(f"/organiser/news/{step}?lang=de", data=bad)
        assert response.status_code == 422
        html = response.text
        assert re.search(
            r'<p class="error" id="error-subject_de">Bitte geben Sie einen deutschen Betreff',
            html,
        )
        assert 'id="subject_de" name="subject_de"' in html and 'aria-invalid="true"' in html
        assert re.search(r'id="error-text_en">Bitte schreiben Sie zu diesem Betreff auch', html)
        assert FORM["text_de"].split("\n")[0] in html  # what was typed stays
        assert '<a href="#subject_de">Deutsch, Betreff</a>' in html
    assert mails(db, KIND) == [] and _audit(db) == []


def test_change_the_text_brings_the_form_back_filled_in(
    client: TestClient, db: Session, team: LoggedIn
) -> None:
    response = client.post("/organiser/news/edit?lang=de", data={**FORM, "csrf_token": team.csrf})
    assert response.status_code == 200
    assert f'value="{FORM["subject_en"]}"' in response.text


def test_the_audit_log_says_it_in_words(
    client: TestClient, db: Session, settings: Settings, team: LoggedIn
) -> None:
    _subscribe(db, settings)
    client.post("/organiser/news/send?lang=de", data={**FORM, "csrf_token": team.csrf})
    log = client.get("/organiser/audit?lang=de").text
    assert "Nachricht an die Abonnent:innen verschickt" in log
    assert "insgesamt 5; Deutsch: 3; Englisch: 1; Arabisch: 1" in log
    assert "de@example.org" not in log and FORM["subject_de"] not in log


# The command


@pytest.fixture
def command(db: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """``vekl`` in the test's transaction, with the command's own error reporting."""

    @contextmanager
    def in_the_test_transaction(factory: object) -> Iterator[Session]:
        try:
            yield db
        except BaseException:
            db.rollback()
            raise
        db.commit()

    monkeypatch.setattr(context, "transaction", in_the_test_transaction)
    monkeypatch.setattr(context, "sessions", lambda: None)
    monkeypatch.setattr(feedback_commands, "settings", lambda: settings)
    return CliRunner()


def test_the_command_previews_asks_and_sends_once(
    db: Session, settings: Settings, command: CliRunner, tmp_path: Path
) -> None:
    _subscribe(db, settings)
    text = tmp_path / "text.txt"
    text.write_text(FORM["text_de"], encoding="utf-8")
    args = ["feedback", "news", "--subject-de", FORM["subject_de"], "--text-de", str(text)]
    refused = command.invoke(cli, args, input="n\n")
    assert "de: 5 subscribers (4 without a version of their own)" in refused.output
    assert refused.exit_code == 1 and "Nothing was sent." in refused.output
    assert mails(db, KIND) == []
    sent = command.invoke(cli, [*args, "--yes"])
    assert sent.exit_code == 0, sent.output
    assert "5 mails queued (de 5)" in sent.output
    assert len(mails(db, KIND)) == 5
    (entry,) = _audit(db)
    assert entry.actor.startswith("cli")
    again = command.invoke(cli, [*args, "--yes"])
    assert again.exit_code == 1 and "already gone to every subscriber" in again.output
    assert len(mails(db, KIND)) == 5


def test_the_command_names_a_missing_german_text_and_changes_nothing(
    db: Session, settings: Settings, command: CliRunner
) -> None:
    _subscribe(db, settings)
    result = command.invoke(
        cli, ["feedback", "news", "--subject-de", "", "--text-de", "-", "--yes"], input=""
    )
    assert result.exit_code == 2
    assert "subject_de" in result.output and "text_de" in result.output
    assert mails(db, KIND) == []
