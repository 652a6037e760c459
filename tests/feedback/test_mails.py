"""The feedback mails in all four languages (every kind is also in the shared mail tests,
``tests/notifications``, through ``samples.all_mails``)."""

from __future__ import annotations

import pytest

from notifications.messages import render_parts
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
