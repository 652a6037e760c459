"""Writing mails into a folder instead of sending them."""

from __future__ import annotations

import asyncio
from email import message_from_bytes, policy
from pathlib import Path

from notifications.delivery import DeliveryStatus
from notifications.filesink import FileSink, eml_filename
from notifications.identifiers import make_message_id
from notifications.messages import render_mail
from tests.notifications.samples import NOW, PROGRAMME, RECIPIENTS, all_mails


def invitation(message_id: str | None = None, lang: str = "uk") -> bytes:
    message = render_mail(
        all_mails(RECIPIENTS[lang])[2],
        PROGRAMME,
        message_id=message_id or make_message_id(PROGRAMME.domain),
        now=NOW,
    )
    return message.as_bytes()


def test_each_mail_becomes_one_eml_file_named_after_its_message_id(tmp_path: Path) -> None:
    sink = FileSink(tmp_path / "mail")
    message = render_mail(
        all_mails(RECIPIENTS["ar"])[2], PROGRAMME, message_id="<m1@konstanz.example>", now=NOW
    )
    (outcome,) = sink.send_sync([message])
    assert outcome.status is DeliveryStatus.DELIVERED
    assert outcome.message_id == "<m1@konstanz.example>"
    written = tmp_path / "mail" / "m1@konstanz.example.eml"
    assert outcome.detail == str(written)
    assert [p.name for p in (tmp_path / "mail").iterdir()] == ["m1@konstanz.example.eml"]
    data = written.read_bytes()
    assert data == message.as_bytes()
    assert b"\n" not in data.replace(b"\r\n", b"")
    parsed = message_from_bytes(data, policy=policy.default)
    assert parsed["To"].addresses[0].display_name == "ليلى حسن"


def test_sending_the_same_message_again_replaces_the_file(tmp_path: Path) -> None:
    sink = FileSink(tmp_path)
    first = invitation("<same@konstanz.example>", "de")
    second = invitation("<same@konstanz.example>", "uk")
    assert sink.send_sync([first])[0].delivered
    assert sink.send_sync([second, second])[0].delivered
    assert [p.name for p in tmp_path.iterdir()] == ["same@konstanz.example.eml"]
    assert (tmp_path / "same@konstanz.example.eml").read_bytes() == second


def test_no_temporary_files_are_left_behind(tmp_path: Path) -> None:
    sink = FileSink(tmp_path)
    outcomes = asyncio.run(sink.send([invitation() for _ in range(5)]))
    assert all(o.delivered for o in outcomes)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert len(names) == 5
    assert all(name.endswith(".eml") and not name.startswith(".") for name in names)


def test_file_names_are_sanitised_and_never_collide() -> None:
    assert eml_filename("<abc@konstanz.example>") == "abc@konstanz.example.eml"
    traversal = eml_filename("<../../etc/passwd@konstanz.example>")
    assert "/" not in traversal and not traversal.startswith(".")
    assert eml_filename("<a/b@x>") != eml_filename("<a_b@x>")
    assert eml_filename("<a/b@x>") != eml_filename("<a:b@x>")
    assert len(eml_filename("<" + "x" * 500 + "@konstanz.example>")) < 255


def test_a_path_like_message_id_stays_inside_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "mail"
    sink = FileSink(folder)
    (outcome,) = sink.send_sync([invitation("<../../escape@konstanz.example>")])
    assert outcome.delivered
    assert Path(outcome.detail).parent == folder
    assert list(tmp_path.iterdir()) == [folder]


def test_unusable_messages_are_permanent_failures(tmp_path: Path) -> None:
    good = invitation()
    without_id = b"\r\n".join(
        line for line in good.split(b"\r\n") if not line.startswith(b"Message-ID:")
    )
    with_bcc = good.replace(b"\r\nSubject:", b"\r\nBcc: victim@example.org\r\nSubject:", 1)
    outcomes = FileSink(tmp_path).send_sync([without_id, with_bcc, good])
    assert [o.status for o in outcomes] == [
        DeliveryStatus.PERMANENT,
        DeliveryStatus.PERMANENT,
        DeliveryStatus.DELIVERED,
    ]
    assert "no Message-ID" in outcomes[0].detail
    assert len(list(tmp_path.iterdir())) == 1


def test_an_unwritable_folder_is_a_temporary_failure(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    (outcome,) = FileSink(blocker / "mail").send_sync([invitation()])
    assert outcome.status is DeliveryStatus.TEMPORARY
