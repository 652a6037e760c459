"""What the demo's people receive: readable group names and, for participants, their link.

The demo publishes a grouping, records dropouts and publishes a rematch, and the mails go
to the mail folder as files, exactly as a mail program would get them.
"""

from __future__ import annotations

import json
import re
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from vekl.cli import app, context
from vekl.store.models import Attendance, Group, Moderator, Participant

LINK = re.compile(r"/me/[A-Za-z0-9_-]{43}")


def _texts(message: EmailMessage) -> list[str]:
    found = [message["Subject"] or ""]
    for part in message.walk():
        if part.get_content_maintype() == "text":
            found.append(str(part.get_content()))
        elif part.get_content_type() == "application/ics" or part.get_filename():
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                found.append(payload.decode("utf-8", "replace"))
    return found


def test_no_solver_key_reaches_anyone_and_every_participant_mail_has_the_link(
    runner: CliRunner, cli_env: Path
) -> None:
    assert runner.invoke(app, ["demo"]).exit_code == 0
    with context.unit_of_work() as session:
        keys = set(session.scalars(select(Group.key)))
        participants = set(session.scalars(select(Participant.email)))
        moderators = set(session.scalars(select(Moderator.email)))
    assert keys, "the demo formed groups"
    key_pattern = re.compile(
        r"(?<![\w-])(" + "|".join(re.escape(k) for k in sorted(keys)) + r")(?![\w-])"
    )
    files = sorted((cli_env / "mail").glob("*.eml"))
    assert len(files) > 50
    kinds_seen = set()
    for path in files:
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(message, EmailMessage)
        recipient = message["To"].addresses[0].addr_spec
        texts = _texts(message)
        for text in texts:
            assert not key_pattern.search(text), f"{path.name} shows a solver key: {text[:300]}"
        if recipient in participants:
            body = "\n".join(texts[1:])
            assert LINK.search(body), f"{path.name} to a participant has no personal link"
            kinds_seen.add(str(message["Subject"]))
        else:
            assert recipient in moderators
    # Invitations, cancellations and updates were among them.
    assert len(kinds_seen) >= 3
    # The evenings got synthetic attendance, most of it present.
    with context.unit_of_work() as session:
        marks = list(session.scalars(select(Attendance.present)))
    assert marks and 0.7 < sum(marks) / len(marks) < 1
    # The demo ends with the report, its new sections included, as PDF and JSON.
    folder = cli_env / "report"
    assert (folder / "report.pdf").read_bytes().startswith(b"%PDF")
    report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    names = [s["name"] for s in report["sections"]]
    assert {"attendance", "feedback", "lottery"} <= set(names), names
    encounters = next(s for s in report["sections"] if s["name"] == "encounters")
    assert encounters["basis"] == "attended"
