"""What a newcomer sends to register through the JSON API, for tests to vary."""

from __future__ import annotations


def newcomer(**changes: object) -> dict[str, object]:
    """A valid newcomer registration for the example round; ``changes`` replace fields."""
    body: dict[str, object] = {
        "role": "newcomer",
        "first_name": "Olena",
        "last_name": "Melnyk",
        "email": "olena.melnyk@example.org",
        "preferred_language": "uk",
        "languages": ["uk", "de"],
        "series": ["mon"],
        "origin": "UA",
        "consent": True,
    }
    body.update(changes)
    return body
