"""The one mail a person moved to another group gets: what changed, why, their evenings now,
and every calendar change as a file of its own, read back with ical.js."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from notifications.kinds import MoveReason
from notifications.messages import render_parts
from tests.notifications.samples import (
    FEED_URL,
    NOW,
    PROGRAMME,
    RECIPIENTS,
    SELF_SERVICE_URL,
    group,
    moved,
    new_group,
)

ParseWithIcalJs = Callable[[bytes], dict[str, Any]]


def _plain(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_in_german_it_says_what_changed_and_why_and_lists_old_and_new_evenings() -> None:
    parts = render_parts(moved(RECIPIENTS["de"]), PROGRAMME, now=NOW)
    assert parts.subject == "Ihre Gruppe hat sich geändert: Sie sind jetzt in „B (Mittwochabende)“"
    lines = parts.text.split("\n")
    assert lines[0] == "Hallo Anna,"
    # The letter goes on in lower case, and says why without naming anyone.
    assert (
        lines[2] == "weil einige Teilnehmende abgesagt haben, haben wir die Gruppen neu eingeteilt."
    )
    assert "Sie sind ab jetzt in der Gruppe „B (Mittwochabende)“ statt in „Seerhein“." in parts.text
    now, before = parts.text.split("Ihre Abende ab jetzt:")[1].split(
        "Diese Abende Ihrer bisherigen Gruppe entfallen für Sie:"
    )
    assert "Mittwoch, 20. Mai 2026, 18:00–21:15 Uhr" in now
    assert "3. Juni 2026" in now and "16. Mai" not in now
    assert "Samstag, 16. Mai 2026, 18:00–21:15 Uhr" in before
    assert "18. November 2026" in before
    assert "Ihre Gruppe wird von Jonas moderiert." in parts.text
    assert "Kalenderdateien entfernen die Abende Ihrer bisherigen Gruppe" in parts.text
    # The personal link, with the way to say "I cannot come" and to withdraw.
    assert "Wenn Sie nicht kommen können" in parts.text
    assert f"Anmeldung ansehen oder ändern:\n{SELF_SERVICE_URL}" in parts.text
    assert f'href="{SELF_SERVICE_URL}"' in parts.html
    assert FEED_URL in parts.text
    html = _plain(parts.html)
    assert "weil einige Teilnehmende abgesagt haben" in html
    assert "entfallen für Sie" in html
    # One mail, every change: four cancellations and three invitations.
    assert parts.calendar is None
    assert [f.filename for f in parts.calendar_files] == [
        "vekl-2026-05-16-cancellation.ics",
        "vekl-2026-05-23-cancellation.ics",
        "vekl-2026-05-30-cancellation.ics",
        "vekl-2026-11-18-cancellation.ics",
        "vekl-2026-05-20-invitation.ics",
        "vekl-2026-05-27-invitation.ics",
        "vekl-2026-06-03-invitation.ics",
    ]


def test_a_new_group_on_the_same_evenings_keeps_them_and_updates_the_calendar() -> None:
    parts = render_parts(moved(RECIPIENTS["de"], same_series=True), PROGRAMME, now=NOW)
    assert "Ihre Abende bleiben dieselben:" in parts.text
    assert "entfallen" not in parts.text
    assert "Kalenderdateien aktualisieren Ihre Abende" in parts.text
    assert [f.filename.rsplit("-", 1)[1] for f in parts.calendar_files] == ["update.ics"] * 4
    assert {f.method for f in parts.calendar_files} == {"REQUEST"}


def test_without_dropouts_it_says_the_groups_were_rearranged() -> None:
    mail = moved(RECIPIENTS["de"]).model_copy(update={"reason": MoveReason.REGROUPED})
    text = render_parts(mail, PROGRAMME, now=NOW).text
    assert text.split("\n")[2] == "wir haben die Gruppen neu eingeteilt."
    assert "abgesagt" not in text


def test_in_arabic_it_reads_right_to_left_with_latin_names_isolated() -> None:
    parts = render_parts(moved(RECIPIENTS["ar"]), PROGRAMME, now=NOW)
    assert parts.subject == "تغيّرت مجموعتكم: أنتم الآن في «B (Mittwochabende)»"
    assert parts.text.startswith("مرحبًا ليلى،\n\nبما أنّ بعض المشاركين اعتذروا عن الحضور")
    assert '<html lang="ar" dir="rtl">' in parts.html
    # Latin group names inside Arabic sentences are isolated, so they do not scramble.
    assert "«<bdi>B (Mittwochabende)</bdi>»" in parts.html
    assert "«<bdi>Seerhein</bdi>»" in parts.html
    assert "أمسياتكم من الآن:" in parts.text
    assert "هذه أمسيات مجموعتكم السابقة لم تعد تخصّكم:" in parts.text
    assert SELF_SERVICE_URL in parts.text and f'href="{SELF_SERVICE_URL}"' in parts.html
    assert len(parts.calendar_files) == 7


@pytest.mark.parametrize("lang", ["de", "ar"])
def test_icaljs_reads_each_attached_file_as_one_evening(
    ical_js: ParseWithIcalJs, lang: str
) -> None:
    mail = moved(RECIPIENTS[lang])
    parts = render_parts(mail, PROGRAMME, now=NOW)
    old, new = group(), new_group()
    found = []
    for file in parts.calendar_files:
        parsed = ical_js(file.content)
        assert parsed["method"] == file.method
        assert len(parsed["events"]) == 1, "one evening, one UID per calendar"
        (event,) = parsed["events"]
        assert event["sequence"] == 1
        assert event["attendees"][0]["value"] == f"mailto:{RECIPIENTS[lang].email}"
        if file.method == "CANCEL":
            assert event["status"] == "CANCELLED"
            assert "Seerhein" in event["summary"]
        else:
            assert event["status"] == "CONFIRMED"
            assert "B (Mittwochabende)" in event["summary"]
        assert "/me/" not in event["description"] and "feed" not in event["description"]
        found.append((parsed["method"], event["uid"]))
    assert found == [("CANCEL", e.uid) for e in old.evenings] + [
        ("REQUEST", e.uid) for e in new.evenings
    ]


def test_a_move_must_change_something_and_name_evenings_it_knows() -> None:
    from pydantic import ValidationError

    mail = moved(RECIPIENTS["de"])
    with pytest.raises(ValidationError):
        mail.model_validate({**mail.model_dump(), "cancelled": (), "requested": ()})
    with pytest.raises(ValidationError):
        mail.model_validate({**mail.model_dump(), "cancelled": (new_group().evenings[0].uid,)})
