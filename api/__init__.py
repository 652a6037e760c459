"""The web app: public pages, participant and moderator links, organiser pages and API."""

from api.app import create_app

__all__ = ["create_app"]
