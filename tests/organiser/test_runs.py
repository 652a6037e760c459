"""Reviewing and editing a draft, the mail preview, publishing, dropouts and rematching."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import matching
from api.organiser.views import runs as run_views
from matching.rules import Rule
from tests.organiser.conftest import LoggedIn, solved_draft
from vekl.errors import InvalidInput
from vekl.mail import outbox
from vekl.mail import planner as notify
from vekl.registration import online
from vekl.registration import overview as registration_overview
from vekl.runs import edits as run_edits
from vekl.runs import publishing
from vekl.runs import service as matching_runs
from vekl.runs.placements import group_label, group_letter
from vekl.runs.solver_input import participant_key
from vekl.settings import Settings
from vekl.store.models import (
    AuditEntry,
    Evening,
    Group,
    GroupMember,
    MatchingRun,
    OutboxMail,
    Participant,
    RegistrationStatus,
    Role,
    Round,
    RoundStatus,
    WaitlistEntry,
)


def _group_of(run: MatchingRun, person_id: int) -> str | None:
    for group in run.solution["groups"] if run.solution else []:
        if participant_key(person_id) in group["members"]:
            return str(group["id"])
    return None


def test_a_pin_that_breaks_a_rule_is_refused_naming_the_rule(
    db: Session, example_round: Round
) -> None:
    run = solved_draft(db, example_round)
    # Claudia Wagner can only come on Mondays and needs step-free access.
    claudia = db.scalar(
        select(Participant).where(Participant.email == "claudia.wagner@example.org")
    )
    assert claudia is not None
    elsewhere = next(g for g in run.groups if g.series.key != "mon")
    before = dict(run.solution or {})
    with pytest.raises(run_edits.EditRefused) as refused:
        run_edits.pin(db, example_round.slug, run.id, claudia.id, elsewhere.key, "test")
    # The refusal is data: the rule, what broke, the person by name, the series by its label.
    series = run_edits.Breach(
        Rule.SERIES,
        "series_not_listed",
        group_label(elsewhere),
        "Claudia Wagner",
        None,
        {"series": elsewhere.series.label},
    )
    assert series in refused.value.breaches
    if not elsewhere.series.step_free:
        assert any(
            b.rule is Rule.STEP_FREE and b.person == "Claudia Wagner"
            for b in refused.value.breaches
        )
    db.refresh(run)
    assert run.solution == before
    assert _group_of(run, claudia.id) != elsewhere.key


def _person(db: Session, email: str) -> Participant:
    found = db.scalar(select(Participant).where(Participant.email == email))
    assert found is not None
    return found


def test_refused_edits_say_in_german_who_cannot_go_where_and_why(
    db: Session, example_round: Round, team: LoggedIn
) -> None:
    run = solved_draft(db, example_round)
    claudia = _person(db, "claudia.wagner@example.org")
    elsewhere = next(g for g in run.groups if g.series.key != "mon")
    pinned = team.post(
        f"/organiser/rounds/{example_round.slug}/runs/{run.id}/pin",
        {"participant": claudia.id, "group": elsewhere.key},
    )
    assert pinned.status_code == 409
    label = group_label(elsewhere)
    assert (
        f"Claudia Wagner hat „{elsewhere.series.label}“ nicht gewählt und kann nicht in die "
        f"Gruppe {label}." in html.unescape(pinned.text)
    )
    # Omar Haddad and Olena Melnyk registered as companions: moving one alone breaks rule 9.
    omar = _person(db, "omar.haddad@example.net")
    olena = _person(db, "olena.melnyk@example.net")
    omars = _group_of(run, omar.id)
    other = next(
        m.participant_id
        for g in run.groups
        if g.key != omars
        for m in g.members
        if m.participant_id not in (omar.id, olena.id)
    )
    swapped = team.post(
        f"/organiser/rounds/{example_round.slug}/runs/{run.id}/swap",
        {"first": omar.id, "second": other},
    )
    assert swapped.status_code == 409
    text = html.unescape(swapped.text)
    assert re.search(
        r"(Omar Haddad und Olena Melnyk|Olena Melnyk und Omar Haddad) kommen zusammen und "
        r"müssen in dieselbe Gruppe\.",
        text,
    ), text
    for page in (pinned.text, swapped.text):
        assert not re.search(r"\bp\d+\b", page)  # no solver keys
        assert "rule" not in page.lower() and elsewhere.key not in page
    english = team.post(
        f"/organiser/rounds/{example_round.slug}/runs/{run.id}/pin?lang=en",
        {"participant": claudia.id, "group": elsewhere.key},
    )
    assert (
        f"Claudia Wagner did not choose “{elsewhere.series.label}” and cannot join group "
        f"{label}." in html.unescape(english.text)
    )


def test_a_valid_swap_is_stored_everywhere(db: Session, example_round: Round) -> None:
    run = solved_draft(db, example_round)
    problem = matching.Problem.model_validate(run.problem)
    groups = run.solution["groups"] if run.solution else []
    role = {p.id: p.role for p in problem.participants}
    # Two people of the same role in two groups of the same series and language swap
    # without breaking the share, size, series or language rules in most groupings; the
    # checker decides, and a refusal must leave everything as it was.
    candidates = [
        (a, b)
        for g in groups
        for h in groups
        if g["id"] < h["id"] and g["series"] == h["series"]
        for a in g["members"]
        for b in h["members"]
        if role[a] == role[b]
    ]
    assert candidates, "the example needs two groups in one series"
    for a, b in candidates:
        try:
            run_edits.swap(db, example_round.slug, run.id, int(a[1:]), int(b[1:]), "test")
        except run_edits.EditRefused:
            continue
        break
    else:
        pytest.fail("no swap of equals was possible")
    db.refresh(run)
    assert _group_of(run, int(a[1:])) != _group_of(run, int(b[1:]))
    stored = {
        (m.participant_id, m.group.key)
        for m in db.scalars(select(GroupMember).where(GroupMember.run_id == run.id))
    }
    assert (int(a[1:]), _group_of(run, int(a[1:]))) in stored
    assert (int(b[1:]), _group_of(run, int(b[1:]))) in stored
    assert matching.check(problem, matching.Solution.model_validate(run.solution)).ok
    assert run.report is not None and run.report["placed"] == run.placed


def test_an_unknown_person_or_group_is_refused(db: Session, example_round: Round) -> None:
    run = solved_draft(db, example_round)
    with pytest.raises(InvalidInput):
        run_edits.pin(db, example_round.slug, run.id, 10**6, run.groups[0].key, "test")
    person = run.groups[0].members[0].participant_id
    with pytest.raises(InvalidInput):
        run_edits.pin(db, example_round.slug, run.id, person, "no-such-group", "test")


def test_the_preview_names_exactly_the_mails_publishing_queues(
    db: Session, example_round: Round, settings: Settings
) -> None:
    run = solved_draft(db, example_round)
    preview = publishing.preview(db, run, settings)
    assert preview.problem is None
    assert db.scalar(select(func.count()).select_from(OutboxMail)) == 0
    assert db.get(MatchingRun, run.id).status.value == "draft"  # type: ignore[union-attr]
    published = publishing.publish(db, example_round.slug, run.id, settings=settings, actor="test")
    queued = len(published.mails)
    rows = db.scalars(select(OutboxMail)).all()
    assert queued == len(rows) == len(preview.mails)
    assert sorted((m.kind, m.recipient) for m in preview.mails) == sorted(
        (m.kind, m.recipient) for m in rows
    )


def test_dropouts_show_on_the_groups_and_a_rematch_lists_the_changes(
    db: Session, example_round: Round, settings: Settings
) -> None:
    run = solved_draft(db, example_round)
    publishing.publish(db, example_round.slug, run.id, settings=settings, actor="test")
    group = run.groups[0]
    leaving = [m.participant_id for m in group.members][:3]
    for person_id in leaving:
        queued = registration_overview.drop_out(
            db, example_round.slug, person_id, "verzogen", settings, "test", category="moved"
        )
        assert queued >= 1
    page = run_views.dropout_page(db, example_round.slug)
    health = next(g for g in page.groups if g.group.key == group.key)
    assert health.active == len(group.members) - 3
    assert health.too_small == (health.active < example_round.min_size)
    assert {p.id for p in health.withdrawn} == set(leaving)
    assert not health.locked

    rematch = solved_draft(db, example_round, rematch=True)
    view = run_views.run_page(db, example_round.slug, rematch.id, settings)
    assert view.preview is not None and view.preview.problem is None
    assert view.changes is not None
    assert {m.person.id for m in view.changes.left} == set(leaving)
    moved = {m.person.id for m in view.changes.moved}
    assert not moved & set(leaving)
    changes = matching_runs.run_changes(rematch)
    assert changes is not None and len(changes.stays) == view.changes.stay


def test_a_dropout_cancels_the_persons_calendar(
    db: Session, example_round: Round, settings: Settings
) -> None:
    run = solved_draft(db, example_round)
    publishing.publish(db, example_round.slug, run.id, settings=settings, actor="test")
    person = run.groups[0].members[0].participant
    registration_overview.drop_out(
        db, example_round.slug, person.id, "krank", settings, "t", category="illness"
    )
    kinds = db.scalars(
        select(OutboxMail.kind).where(OutboxMail.recipient == person.email).order_by(OutboxMail.id)
    ).all()
    evenings = len(run.groups[0].series.evenings)
    assert kinds == ["invitation"] * evenings + ["cancellation"] * evenings
    assert person.status is RegistrationStatus.WITHDRAWN and person.withdrawn_reason == "krank"
    with pytest.raises(Exception, match="dropped out already"):
        registration_overview.drop_out(
            db, example_round.slug, person.id, "x", settings, "t", category="other"
        )


def test_moving_an_evening_after_publishing_sends_updates(
    team: LoggedIn, db: Session, example_round: Round, settings: Settings
) -> None:
    run = solved_draft(db, example_round)
    publishing.publish(db, example_round.slug, run.id, settings=settings, actor="test")
    db.commit()
    series = next(s for s in example_round.series if any(g.series_id == s.id for g in run.groups))
    evening = series.evenings[0]
    members = {
        m.participant.email for g in run.groups if g.series_id == series.id for m in g.members
    }
    before = (evening.starts_at, db.scalars(select(func.count()).select_from(OutboxMail)).one())
    path = f"/organiser/rounds/{example_round.slug}/evenings/{evening.id}?lang=en"
    move: dict[str, object] = {"day": "2027-05-04", "start": "18:30", "end": "21:30"}
    # First the organiser sees what would happen; nothing has changed yet.
    preview = team.post(path, move)
    assert preview.status_code == 200, preview.text
    assert "moves to" in preview.text and "18:30" in preview.text
    announced = re.search(r"Moving it queues (\d+) mails", preview.text)
    assert announced is not None and int(announced.group(1)) > len(members)
    db.expire_all()
    assert (
        db.get_one(Evening, evening.id).starts_at,
        db.scalar(select(func.count()).select_from(OutboxMail)),
    ) == before
    assert db.scalar(select(func.count()).where(AuditEntry.action == "session.reschedule")) == 0
    # Then they confirm.
    response = team.post(path, {**move, "confirm": "yes"})
    assert response.status_code == 303, response.text
    updates = set(db.scalars(select(OutboxMail.recipient).where(OutboxMail.kind == "update")).all())
    assert members <= updates
    assert "mails=" in response.headers["location"]
    queued = db.scalars(select(func.count()).select_from(OutboxMail)).one() - before[1]
    assert queued == int(announced.group(1))


def test_notify_publication_is_what_publish_queues(
    db: Session, example_round: Round, settings: Settings
) -> None:
    """The page's publish is matching_runs.publish plus notify.publication_mails, nothing else."""
    run = solved_draft(db, example_round)
    published = publishing.publish(db, example_round.slug, run.id, settings=settings, actor="test")
    count = len(published.mails)
    placed = db.scalars(
        select(func.count())
        .select_from(Participant)
        .where(Participant.round_id == example_round.id, Participant.status == "placed")
    ).one()
    invited = db.scalar(
        select(func.count(func.distinct(OutboxMail.participant_id))).where(
            OutboxMail.kind == "invitation"
        )
    )
    evenings = sum(len(g.series.evenings) * len(g.members) for g in run.groups)
    invitations = db.scalar(
        select(func.count()).select_from(OutboxMail).where(OutboxMail.kind == "invitation")
    )
    # One invitation per placed person and evening.
    assert invited == placed and invitations == evenings and count >= invitations
    assert notify.resync_round(db, example_round, settings=settings) == []


def test_the_run_page_shows_groups_composition_and_report(
    team: LoggedIn, db: Session, example_round: Round
) -> None:
    run = solved_draft(db, example_round)
    page = team.client.get(f"/organiser/rounds/{example_round.slug}/runs/{run.id}")
    assert page.status_code == 200
    html = page.text
    for group in run.groups:
        assert f'id="group-{group.key}"' in html
    assert html.count("<svg class='stacked'") == 5 * len(run.groups)
    assert "lowest possible" in html or "niedrigst" in html
    newcomer = next(
        m.participant for g in run.groups for m in g.members if m.participant.role is Role.NEWCOMER
    )
    assert newcomer.full_name in html
    assert 'http-equiv="refresh"' not in html


@pytest.mark.parametrize(
    ("cause", "english", "german"),
    [
        ({"kind": "rule_broken", "rules": [2, 7]}, "broke rule 2, 7", "verletzte Regel 2, 7"),
        ({"kind": "time_limit_before_search", "rules": []}, "before the search", "bevor die Suche"),
        ({"kind": "time_limit_first_grouping", "rules": []}, "while it was built", "während sie"),
    ],
)
def test_the_run_page_says_when_the_groups_are_the_fallback_grouping(
    team: LoggedIn,
    db: Session,
    example_round: Round,
    cause: dict[str, object],
    english: str,
    german: str,
) -> None:
    run = solved_draft(db, example_round)
    url = f"/organiser/rounds/{example_round.slug}/runs/{run.id}"
    assert 'id="fallback"' not in team.client.get(url).text
    run.report = {**(run.report or {}), "fallback": "why", "fallback_cause": cause}
    db.commit()
    html = team.client.get(url).text
    assert 'id="fallback"' in html
    assert english in html or german in html


def test_changing_a_venue_after_publishing_sends_updates(
    team: LoggedIn, db: Session, example_round: Round, settings: Settings
) -> None:
    run = solved_draft(db, example_round)
    publishing.publish(db, example_round.slug, run.id, settings=settings, actor="test")
    db.commit()
    series = next(s for s in example_round.series if any(g.series_id == s.id for g in run.groups))
    members = {
        m.participant.email for g in run.groups if g.series_id == series.id for m in g.members
    }
    others = {
        m.participant.email for g in run.groups if g.series_id != series.id for m in g.members
    }
    response = team.post(
        f"/organiser/rounds/{example_round.slug}/series/{series.key}",
        {
            "label": series.label,
            "rooms": str(series.rooms),
            "venue_name": "Bürgersaal",
            "venue_address": "Salmannsweilerstraße 1, 78462 Konstanz",
            "step_free": "true",
        },
    )
    assert response.status_code == 303, response.text
    updated = set(db.scalars(select(OutboxMail.recipient).where(OutboxMail.kind == "update")))
    assert members <= updated and not updated & others
    assert series.venue_name == "Bürgersaal"


def test_a_time_limit_out_of_range_is_refused(team: LoggedIn, example_round: Round) -> None:
    response = team.post(f"/organiser/rounds/{example_round.slug}/matching", {"time_limit": "0"})
    assert response.status_code == 422
    assert example_round.slug and "time_limit" in response.text


def test_groups_are_called_by_letter_and_can_be_renamed_and_keep_their_name(
    team: LoggedIn, db: Session, example_round: Round, settings: Settings
) -> None:
    run = solved_draft(db, example_round)
    group = run.groups[0]
    page = team.client.get(f"/organiser/rounds/{example_round.slug}/runs/{run.id}?lang=en").text
    assert f"Group {group_letter(group.key)} ({group.series.label})" in page
    path = f"/organiser/rounds/{example_round.slug}/runs/{run.id}/groups/{group.key}/name"
    too_long = team.post(path, {"name": "S" * 61})
    assert too_long.status_code == 422
    assert team.post(path, {"name": "  Seerhein  "}).status_code == 303
    db.expire_all()
    assert db.get_one(Group, group.id).name == "Seerhein"
    assert db.scalar(select(func.count()).where(AuditEntry.action == "group.rename")) == 1

    published = publishing.publish(db, example_round.slug, run.id, settings=settings, actor="t")
    member = group.members[0].participant
    invitation, *_ = [m for m in published.mails if m.participant_id == member.id]
    body = outbox.body(invitation, settings.secret_key).decode()
    assert "Seerhein" in body and group.key not in body
    db.commit()

    # A rematch keeps the group, and so its name.
    rematch = solved_draft(db, example_round, rematch=True)
    kept = next((g for g in rematch.groups if g.key == group.key), None)
    assert kept is not None and kept.name == "Seerhein"
    # An empty name goes back to the letter.
    back = f"/organiser/rounds/{example_round.slug}/runs/{rematch.id}/groups/{group.key}/name"
    assert team.post(back, {"name": ""}).status_code == 303
    db.expire_all()
    assert db.get_one(Group, kept.id).name is None


def test_forming_and_publishing_groups_leaves_registration_open(
    team: LoggedIn, db: Session, example_round: Round, settings: Settings
) -> None:
    run = solved_draft(db, example_round)
    assert online.is_open(example_round, datetime.now(UTC))
    publishing.publish(db, example_round.slug, run.id, settings=settings, actor="test")
    db.commit()
    db.refresh(example_round)
    assert example_round.status is RoundStatus.OPEN
    assert example_round in online.open_rounds(db)
    page = team.client.get(f"/organiser/rounds/{example_round.slug}?lang=en").text
    assert "registration open" in page and "not taking registrations now" not in page


def test_a_round_is_public_only_with_a_deadline_and_evenings(
    team: LoggedIn, db: Session, example_round: Round
) -> None:
    example_round.registration_deadline = None
    db.commit()
    assert example_round not in online.open_rounds(db)
    page = team.client.get(f"/organiser/rounds/{example_round.slug}?lang=en").text
    assert "It needs a registration deadline." in page
    example_round.registration_deadline = datetime.now(UTC) + timedelta(days=3)
    for series in example_round.series:
        series.evenings.clear()
    db.commit()
    assert example_round not in online.open_rounds(db)
    page = team.client.get(f"/organiser/rounds/{example_round.slug}?lang=en").text
    assert "It needs at least one series with evenings." in page


def test_every_run_records_its_lottery_seed_and_the_run_page_shows_it(
    team: LoggedIn, db: Session, example_round: Round
) -> None:
    run = solved_draft(db, example_round)
    seed = run.problem["lottery_seed"]
    assert re.fullmatch(r"[0-9a-f]{32}", seed)
    assert (run.solution or {})["lottery_seed"] == seed
    started = db.scalar(
        select(AuditEntry).where(
            AuditEntry.action == "run.start", AuditEntry.subject == f"run:{run.id}"
        )
    )
    assert started is not None and started.details["lottery_seed"] == seed
    # Each run draws its own.
    assert solved_draft(db, example_round).problem["lottery_seed"] != seed
    url = f"/organiser/rounds/{example_round.slug}/runs/{run.id}"
    html = team.client.get(url).text
    assert f'<code id="lottery-seed">{seed}</code>' in html
    assert "Startwert der Auslosung" in html


def test_the_run_page_says_in_german_where_the_lot_decided(
    team: LoggedIn, db: Session, example_round: Round
) -> None:
    run = solved_draft(db, example_round)
    person = db.scalar(select(Participant).where(Participant.round_id == example_round.id))
    assert person is not None
    run.waitlist.clear()
    db.flush()
    run.waitlist.append(
        WaitlistEntry(
            participant_id=person.id,
            reason="by lot: all groups on mon are full; group mon-1 could take them in place "
            "of a participant of the same priority who drew a better lottery rank",
        )
    )
    db.commit()
    html = team.client.get(f"/organiser/rounds/{example_round.slug}/runs/{run.id}").text
    assert "Per Los: Den Platz" in html
    assert "by lot" not in html


def test_the_rematch_preview_lists_series_and_language_changes_in_words(
    team: LoggedIn, db: Session, example_round: Round, settings: Settings
) -> None:
    run = solved_draft(db, example_round)
    publishing.publish(db, example_round.slug, run.id, settings=settings, actor="test")
    rematch = solved_draft(db, example_round, rematch=True)
    url = f"/organiser/rounds/{example_round.slug}/runs/{rematch.id}"
    # A series change and a language change as the solver reports them (the example round
    # has none to force).
    first, second = rematch.groups[0], rematch.groups[1]
    person = first.members[0].participant
    follower = second.members[0].participant
    solution = dict(rematch.solution or {})
    solution["rematch"] = {
        "series_changes": [
            {
                "participant": participant_key(person.id),
                "from_group": first.key,
                "from_series": first.series.key,
                "to_group": second.key,
                "to_series": second.series.key,
                "cause": "no_room",
                "dropouts": 3,
                "group_continues": False,
                "blocked": [{"group": first.key, "rules": [2, 3]}],
                "reason": "group lost 3 members",
            }
        ],
        "language_changes": [
            {
                "group": second.key,
                "from_language": "de",
                "to_language": "en",
                "cause": "members",
                "members": [participant_key(follower.id)],
                "reason": "could not follow",
            }
        ],
    }
    rematch.solution = solution
    db.commit()
    german = team.client.get(url + "?lang=de").text
    assert 'id="series-changes"' in german and 'id="language-changes"' in german
    assert (
        f"{person.full_name} wechselt von Gruppe {first.key} ({first.series.label}) "
        f"in Gruppe {second.key} ({second.series.label})."
    ) in german
    assert f"Abmeldungen aus Gruppe {first.key}: 3." in german
    assert f"Gruppe {first.key} wird nicht fortgeführt." in german
    assert (
        f"Keine Gruppe an {first.series.label} hatte Platz, ohne eine Regel zu verletzen: "
        f"{first.key} (voll, Anteil Neuzugezogener)."
    ) in german
    assert f"Gruppe {second.key} wechselt die Sprache von Deutsch zu Englisch." in german
    assert f"Mit Deutsch könnten {follower.full_name} nicht folgen" in german
    english = team.client.get(url + "?lang=en").text
    assert f"{person.full_name} moves from group {first.key}" in english
    assert f"Group {second.key} changes its language from German to English." in english


def test_pinning_someone_the_run_does_not_hold_names_them(
    db: Session, example_round: Round, team: LoggedIn
) -> None:
    run = solved_draft(db, example_round)
    claudia = _person(db, "claudia.wagner@example.org")
    key = participant_key(claudia.id)
    # As for someone who registered after the groups were formed: the run does not hold her.
    solution = dict(run.solution or {})
    solution["groups"] = [
        {**g, "members": [m for m in g["members"] if m != key]} for g in solution["groups"]
    ]
    solution["waitlist"] = [e for e in solution["waitlist"] if e["id"] != key]
    run.solution = solution
    db.commit()
    group = run.groups[0]
    refused = team.post(
        f"/organiser/rounds/{example_round.slug}/runs/{run.id}/pin",
        {"participant": claudia.id, "group": group.key},
    )
    assert refused.status_code in (409, 422)
    text = html.unescape(refused.text)
    assert "Claudia Wagner gehört nicht zu diesem Lauf" in text
    assert key not in text
