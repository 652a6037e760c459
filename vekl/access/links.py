"""The public addresses of personal pages, as they are written into mails and letters.

The web app serves exactly these paths; keeping them in one place means a mail can never
point somewhere the app does not answer.
"""

from __future__ import annotations

from urllib.parse import quote

from vekl.settings import Settings

PARTICIPANT_PATH = "/me/{token}"
CONFIRM_PATH = "/me/{token}/confirm"
PARTICIPANT_CALENDAR_PATH = "/me/{token}/calendar.ics"
FEED_PATH = "/calendar/{token}.ics"
MODERATOR_PATH = "/moderator/{token}"
CONTACTS_PATH = "/me/{token}/contacts"
SURVEY_PATH = "/survey/{token}"
NEWS_WITHDRAW_PATH = "/news/{token}"


def self_service_url(settings: Settings, token: str) -> str:
    return settings.base_url + PARTICIPANT_PATH.format(token=token)


def confirm_url(settings: Settings, token: str) -> str:
    return settings.base_url + CONFIRM_PATH.format(token=token)


def calendar_url(settings: Settings, token: str) -> str:
    return settings.base_url + PARTICIPANT_CALENDAR_PATH.format(token=token)


def feed_url(settings: Settings, feed_token: str) -> str:
    return settings.base_url + FEED_PATH.format(token=feed_token)


def subscription_url(settings: Settings, feed_token: str) -> str:
    """The calendar feed as a ``webcal://`` address, which calendar apps subscribe to.

    It carries the feed's own token: whoever is given it sees the evenings, not the page.
    """
    return "webcal://" + feed_url(settings, feed_token).split("://", 1)[1]


def moderator_url(settings: Settings, token: str) -> str:
    return settings.base_url + MODERATOR_PATH.format(token=token)


def contacts_url(settings: Settings, token: str) -> str:
    """The personal page's part where a participant says whom they would like to stay in
    touch with, and whether they want to hear about later rounds."""
    return settings.base_url + CONTACTS_PATH.format(token=token)


def survey_url(settings: Settings, token: str) -> str:
    """The single-use link to the anonymous survey."""
    return settings.base_url + SURVEY_PATH.format(token=token)


def news_withdraw_url(settings: Settings, token: str) -> str:
    """The link in every mail about later rounds that ends them; it needs no login."""
    return settings.base_url + NEWS_WITHDRAW_PATH.format(token=token)


def letter_url(settings: Settings, code: str) -> str:
    """The address printed in a lottery letter; it fills in the code on the form."""
    return f"{settings.base_url}/?code={quote(code)}"
