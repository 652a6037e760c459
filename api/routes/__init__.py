"""Routers, one per area: public pages, participant links, moderator links, JSON API."""
