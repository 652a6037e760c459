"""Every kind of mail in every language, escaping, and strictness about missing data."""

from __future__ import annotations

import csv
import io
import re

import jinja2
import pytest
from pydantic import ValidationError

from notifications.kinds import MAIL_ADAPTER, EveningReminder, GroupInvitation, Mail
from notifications.messages import render_parts
from notifications.models import Recipient, RosterMember
from notifications.roster import roster_csv, told_apart
from notifications.templating import render
from tests.notifications.samples import (
    BERLIN,
    CONFIRM_URL,
    LANGUAGES,
    MAIL_KINDS,
    MODERATOR_URL,
    NOW,
    PROGRAMME,
    RECIPIENTS,
    SELF_SERVICE_URL,
    all_mails,
    evening,
    group,
    roster,
)

GREETING = {
    "de": "Hallo Anna,",
    "en": "Hello John,",
    "ar": "مرحبًا ليلى،",
    "uk": "Добрий день, Олена!",
}
DIRECTION = {"de": "ltr", "en": "ltr", "ar": "rtl", "uk": "ltr"}
SUBJECTS = {
    ("de", "registration_confirmation"): "Bitte bestätigen Sie Ihre Anmeldung",
    ("de", "waiting_list"): "Sie stehen auf der Warteliste",
    ("de", "group_invitation"): "Ihre Einladung in die Gruppe „Seerhein“ – 16. Mai 2026",
    ("de", "group_changed"): "Änderung in Ihrer Gruppe „Seerhein“ – 23. Mai 2026",
    ("de", "evenings_cancelled"): "Abgesagt: Abende der Gruppe „Seerhein“ – 30. Mai 2026",
    ("de", "evening_reminder"): "Erinnerung: Ihr Abend am Samstag, 23. Mai 2026",
    ("de", "moderator_roster"): "Teilnehmende der Gruppe „Seerhein“ – 16. Mai 2026",
    ("de", "moderator_link"): "Ihr Link für die Moderation",
    ("de", "self_service_link"): "Ihr persönlicher Link",
    ("uk", "group_invitation"): "Запрошення до групи «Seerhein» – 16 травня 2026\u202fр.",
    ("ar", "group_invitation"): "دعوتكم إلى مجموعة «Seerhein» – 16 مايو 2026",
    ("en", "evening_reminder"): "Reminder: your evening on Saturday, 23 May 2026",
}


def mail_of(kind: str, lang: str) -> Mail:
    return next(mail for mail in all_mails(RECIPIENTS[lang]) if mail.kind == kind)


@pytest.mark.parametrize("kind", MAIL_KINDS)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_kind_renders_in_every_language(kind: str, lang: str) -> None:
    parts = render_parts(mail_of(kind, lang), PROGRAMME, now=NOW)
    assert parts.language == lang
    assert parts.subject and "\n" not in parts.subject
    if (lang, kind) in SUBJECTS:
        assert parts.subject == SUBJECTS[(lang, kind)]
    assert parts.text.startswith(GREETING[lang] + "\n\n")
    assert "\n-- \n" in parts.text
    assert "{{" not in parts.text and "%(" not in parts.text
    assert re.search(rf'<html lang="{lang}" dir="{DIRECTION[lang]}">', parts.html)
    assert f"<title>{parts.subject}</title>" in parts.html.replace("&#34;", '"')
    assert GREETING[lang] in re.sub(r"</?bdi>", "", parts.html)
    assert "{{" not in parts.html and "%(" not in parts.html
    expects_calendar = kind in {
        "group_invitation",
        "group_changed",
        "evenings_cancelled",
        "moderator_roster",
    }
    assert (parts.calendar is not None) == expects_calendar


@pytest.mark.parametrize("lang", LANGUAGES)
def test_links_appear_in_text_and_html(lang: str) -> None:
    confirmation = render_parts(mail_of("registration_confirmation", lang), PROGRAMME, now=NOW)
    assert CONFIRM_URL in confirmation.text
    assert f'href="{CONFIRM_URL}"' in confirmation.html
    invitation = render_parts(mail_of("group_invitation", lang), PROGRAMME, now=NOW)
    assert SELF_SERVICE_URL in invitation.text
    assert f'href="{SELF_SERVICE_URL}"' in invitation.html


def test_dates_and_times_follow_the_locale_in_berlin_time() -> None:
    texts = {
        lang: render_parts(mail_of("group_invitation", lang), PROGRAMME, now=NOW).text
        for lang in LANGUAGES
    }
    assert "- Samstag, 16. Mai 2026, 18:00–21:15 Uhr" in texts["de"]
    assert "- Mittwoch, 18. November 2026, 18:00–21:15 Uhr" in texts["de"]
    assert "- Saturday, 16 May 2026, 18:00–21:15" in texts["en"]
    assert "- субота, 16 травня 2026\u202fр., 18:00–21:15" in texts["uk"]
    assert "- السبت، 16 مايو 2026، 18:00–21:15" in texts["ar"]
    confirmation = render_parts(mail_of("registration_confirmation", "de"), PROGRAMME, now=NOW)
    assert "Der Link gilt bis Samstag, 9. Mai 2026, 23:59." in confirmation.text


def test_step_free_information_is_given() -> None:
    text = render_parts(mail_of("group_invitation", "de"), PROGRAMME, now=NOW).text
    assert "Der Ort ist stufenlos erreichbar." in text
    assert "Der Ort ist nicht stufenlos erreichbar." in text


def test_group_changes_are_named() -> None:
    text = render_parts(mail_of("group_changed", "en"), PROGRAMME, now=NOW).text
    assert "The dates or times have changed." in text
    assert "The meeting place has changed." in text
    assert "Your group has a new moderator: Miriam." in text
    assert "You are now in a different group" not in text


def test_reminder_says_which_evening_of_the_series() -> None:
    text = render_parts(mail_of("evening_reminder", "uk"), PROGRAMME, now=NOW).text
    assert "Це вечір 2 з 4." in text


def test_moderator_roster_lists_first_names_languages_and_needs() -> None:
    parts = render_parts(mail_of("moderator_roster", "de"), PROGRAMME, now=NOW)
    assert "- ليلى\n  Sprachen: Arabisch und Deutsch\n  Bedarf: stufenloser Zugang" in parts.text
    assert "Bedarf: needs a quiet room" in parts.text
    assert "<bdi>ليلى</bdi>" in parts.html
    assert "@" not in parts.text.split("\n-- \n")[0]  # no contact data of anyone


def test_a_roster_shows_needs_only_where_someone_has_them() -> None:
    parts = render_parts(mail_of("moderator_roster", "de"), PROGRAMME, now=NOW)
    anna = parts.text.split("- Anna\n", 1)[1].split("\n\n", 1)[0]
    assert anna == "  Sprachen: Deutsch und Englisch"
    assert parts.text.count("Bedarf:") == 2
    assert "Bedarf: -" not in parts.text
    nobody = tuple(m.model_copy(update={"needs": ()}) for m in roster())
    plain = mail_of("moderator_roster", "de").model_copy(update={"members": nobody})
    parts = render_parts(plain, PROGRAMME, now=NOW)
    assert "Bedarf" not in parts.text and "Bedarf" not in parts.html
    rows = list(
        csv.reader(io.StringIO(roster_csv(nobody, "de").decode("utf-8-sig")), delimiter=";")
    )
    assert rows[0] == ["Vorname", "Sprachen"] and all(len(row) == 2 for row in rows)


def test_members_who_share_a_first_name_are_told_apart_by_their_initial() -> None:
    listed = told_apart(
        [
            RosterMember(first_name="Anna", last_initial="K"),
            RosterMember(first_name="Omar", last_initial="S"),
            RosterMember(first_name="anna ", last_initial="B"),
        ]
    )
    assert [m.name for m in listed] == ["anna B.", "Anna K.", "Omar"]
    mail = mail_of("moderator_roster", "de").model_copy(update={"members": listed})
    parts = render_parts(mail, PROGRAMME, now=NOW)
    assert "- Anna K.\n" in parts.text and "- Omar\n" in parts.text
    assert "<bdi>Anna K.</bdi>" in parts.html and "<bdi>Omar</bdi>" in parts.html
    rows = list(
        csv.reader(io.StringIO(roster_csv(listed, "de").decode("utf-8-sig")), delimiter=";")
    )
    assert sorted(row[0] for row in rows[1:]) == sorted(m.name for m in listed)


def test_the_roster_mail_carries_the_moderators_page() -> None:
    parts = render_parts(mail_of("moderator_roster", "uk"), PROGRAMME, now=NOW)
    assert MODERATOR_URL in parts.text
    assert f'href="{MODERATOR_URL}"' in parts.html
    link = render_parts(mail_of("moderator_link", "ar"), PROGRAMME, now=NOW)
    assert MODERATOR_URL in link.text and link.calendar is None


def test_roster_csv_is_excel_friendly_and_defuses_formulas() -> None:
    data = roster_csv(roster(), "uk")
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Ім’я", "Мови", "Потреби"]
    assert rows[1] == ["Anna", "німецька і англійська", ""]
    assert rows[2][2] == "вхід без сходинок"
    assert rows[3][0] == "'=HYPERLINK(1)"
    assert b"\r\n" in data
    # Like every other CSV of the service: Excel in a German locale splits at ";".
    assert data.decode("utf-8-sig").splitlines()[0] == "Ім’я;Мови;Потреби"


def test_html_escapes_names_while_text_keeps_them() -> None:
    attacker = Recipient(
        name="Mallory", first_name="<script>alert(1)</script>", email="m@example.org"
    )
    the_group = group(label='<img src=x onerror="alert(2)">', what_to_bring="Tea & <b>cake</b>")
    mail = GroupInvitation(recipient=attacker, group=the_group, sequence=0)
    parts = render_parts(mail, PROGRAMME, now=NOW)
    assert "<script>" not in parts.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in parts.html
    assert "<img" not in parts.html
    assert "&lt;img src=x onerror=&#34;alert(2)&#34;&gt;" in parts.html
    assert "Tea &amp; &lt;b&gt;cake&lt;/b&gt;" in parts.html
    assert "Hallo <script>alert(1)</script>," in parts.text
    assert "Tea & <b>cake</b>" in parts.text


def test_a_missing_template_variable_raises() -> None:
    mail = mail_of("group_invitation", "de")
    with pytest.raises(jinja2.UndefinedError):
        render(
            "de", BERLIN, "mail/group_invitation.html", mail=mail, programme=PROGRAMME, subject="x"
        )
    with pytest.raises(jinja2.UndefinedError):
        render("ar", BERLIN, "mail/group_invitation.txt", mail=mail, recipient=mail.recipient)


def test_a_misspelt_attribute_raises() -> None:
    with pytest.raises(jinja2.UndefinedError):
        # The programme is given without the name the template asks for.
        render("uk", BERLIN, "calendar/feed_name.txt", programme={"short_name": "VEKL"})


def test_unsupported_language_gets_german() -> None:
    persian = Recipient(name="Sara Ahmadi", first_name="Sara", email="s@example.org", language="fa")
    parts = render_parts(all_mails(persian)[0], PROGRAMME, now=NOW)
    assert parts.language == "de"
    assert parts.text.startswith("Hallo Sara,")
    assert '<html lang="de" dir="ltr">' in parts.html


def test_rendering_is_pure() -> None:
    for mail in all_mails(RECIPIENTS["ar"]):
        assert render_parts(mail, PROGRAMME, now=NOW) == render_parts(mail, PROGRAMME, now=NOW)


def test_a_reminder_must_be_for_an_evening_of_the_group() -> None:
    with pytest.raises(ValidationError, match="not part of group"):
        EveningReminder(recipient=RECIPIENTS["de"], group=group(), evening=evening(6, 6, 9))


def test_mails_survive_a_round_trip_through_json() -> None:
    for mail in all_mails(RECIPIENTS["uk"]):
        stored = MAIL_ADAPTER.dump_json(mail)
        assert MAIL_ADAPTER.validate_json(stored) == mail


@pytest.mark.parametrize(
    "change",
    [
        {"first_name": "Anna\nBcc: x@example.org"},
        {"name": "Anna\r\nBcc: x@example.org"},
        {"name": "Anna\x00"},
        {"email": "anna@example.org\r\nBcc: x@example.org"},
        {"language": "de\nX: y"},
    ],
)
def test_models_refuse_line_breaks_and_control_characters(change: dict[str, str]) -> None:
    fields = {"name": "Anna Müller", "first_name": "Anna", "email": "anna@example.org"} | change
    with pytest.raises(ValidationError):
        Recipient(**fields)
