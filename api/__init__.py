"""The web app: public pages, participant and moderator links, organiser pages and API."""
