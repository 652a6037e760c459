"""The feedback mails in all four languages (every kind is also in the shared mail tests,
``tests/notifications``, through ``samples.all_mails``)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from notifications.kinds import NewsAnnouncement
from notifications.messages import render_mail, render_parts
from notifications.models import Recipient
from tests.notifications.samples import (
    LANGUAGES,
    NOW,
    PROGRAMME,
    RECIPIENTS,
    SELF_SERVICE_URL,
    SURVEY_URL,
    WITHDRAW_NEWS_URL,
    all_mails,
    moderator_survey,
)

SUBJECTS = {
    "de": ("Wie waren Ihre Abende?", "Wie war das Moderieren?"),
    "en": ("How were your evenings?", "How was moderating?"),
    "ar": ("كيف كانت أمسياتكم؟", "كيف كانت تجربتكم في إدارة الحوار؟"),
    "uk": ("Як минули Ваші вечори?", "Як Вам модерування?"),
}


def _mail(kind: str, lang: str) -> object:
    return next(m for m in all_mails(RECIPIENTS[lang]) if m.kind == kind)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_survey_invitation_carries_the_single_use_link_and_the_contacts_page(
    lang: str,
) -> None:
    parts = render_parts(_mail("survey_invitation", lang), PROGRAMME, now=NOW)  # type: ignore[arg-type]
    assert parts.subject == SUBJECTS[lang][0]
    for body in (parts.text, parts.html):
        assert SURVEY_URL in body and SELF_SERVICE_URL + "/contacts" in body
    assert parts.calendar is None


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_moderator_gets_their_own_invitation_without_a_contacts_page(lang: str) -> None:
    parts = render_parts(moderator_survey(RECIPIENTS[lang]), PROGRAMME, now=NOW)
    assert parts.subject == SUBJECTS[lang][1]
    assert SURVEY_URL in parts.text and "/contacts" not in parts.text
    assert parts.text.split("\n")[0] in parts.text  # the greeting, as every mail


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_introduction_names_the_other_with_their_address(lang: str) -> None:
    parts = render_parts(_mail("stay_in_touch", lang), PROGRAMME, now=NOW)  # type: ignore[arg-type]
    assert "Yusuf" in parts.subject
    assert "yusuf@example.org" in parts.text
    assert 'href="mailto:yusuf@example.org"' in parts.html


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_news_confirmation_carries_the_withdraw_link(lang: str) -> None:
    parts = render_parts(_mail("news_subscribed", lang), PROGRAMME, now=NOW)  # type: ignore[arg-type]
    assert WITHDRAW_NEWS_URL in parts.text
    assert f'href="{WITHDRAW_NEWS_URL}"' in parts.html


# The announcement to the news subscribers: the reader is known by address and language only.
GREETING = {"de": "Hallo,", "en": "Hello,", "ar": "مرحبًا،", "uk": "Добрий день!"}
WITHDRAW_LINE = {
    "de": "Sie erhalten diese E-Mail, weil Sie von neuen Runden",
    "en": "You get this email because you asked to hear about later rounds",
    "ar": "تصلكم هذه الرسالة لأنكم طلبتم",
    "uk": "Ви отримали цей лист, бо хотіли дізнаватися",
}
CONTROLLER = {
    "de": "Verantwortlich für Ihre Daten: Stadt Konstanz, Amt für Migration und Integration",
    "en": "Responsible for your data: Stadt Konstanz, Amt für Migration und Integration",
}


def _announcement(lang: str) -> NewsAnnouncement:
    return NewsAnnouncement(
        recipient=Recipient(email="reader@example.org", language=lang),
        subject='Herbst & "Treffen" <im Rathaus>',
        text="erster Absatz <b>fett?</b>\nzweite Zeile\n\nzweiter Absatz & Schluss",
        withdraw_url=WITHDRAW_NEWS_URL,
    )


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_announcement_greets_without_a_name_and_carries_the_withdraw_link(
    lang: str,
) -> None:
    parts = render_parts(_announcement(lang), PROGRAMME, now=NOW)
    assert parts.language == lang
    assert parts.subject == 'Herbst & "Treffen" <im Rathaus>'
    assert parts.text.startswith(GREETING[lang] + "\n\nerster Absatz <b>fett?</b>\nzweite Zeile")
    assert GREETING[lang] in parts.html
    for body in (parts.text, parts.html):
        assert WITHDRAW_LINE[lang] in body
        assert WITHDRAW_NEWS_URL in body
    assert f'href="{WITHDRAW_NEWS_URL}"' in parts.html
    if lang in CONTROLLER:
        assert CONTROLLER[lang] in parts.text
    assert "Stadt Konstanz, Amt für Migration und Integration" in parts.html


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_organisers_text_is_escaped_in_the_html_part(lang: str) -> None:
    html = render_parts(_announcement(lang), PROGRAMME, now=NOW).html
    assert "<b>fett?</b>" not in html and "<im Rathaus>" not in html
    assert "<p>erster Absatz &lt;b&gt;fett?&lt;/b&gt;<br>zweite Zeile</p>" in html
    assert "<p>zweiter Absatz &amp; Schluss</p>" in html
    assert "<title>Herbst &amp; &#34;Treffen&#34; &lt;im Rathaus&gt;</title>" in html


def test_the_announcement_goes_to_the_address_alone() -> None:
    message = render_mail(
        _announcement("de"), PROGRAMME, message_id="<a1@konstanz.example>", now=NOW
    )
    assert message["To"] == "reader@example.org"
    assert message["Subject"] == 'Herbst & "Treffen" <im Rathaus>'


def test_an_announcement_needs_a_subject_on_one_line_and_a_text() -> None:
    good = _announcement("de")
    for change in ({"subject": "a\nb"}, {"subject": " "}, {"text": ""}, {"text": "x" * 5001}):
        with pytest.raises(ValidationError):
            NewsAnnouncement.model_validate({**good.model_dump(), **change})
