from __future__ import annotations

from sqlalchemy.orm import Session

from vekl.registration import service as registrations
from vekl.runs import solver_input as problem
from vekl.store.models import RegistrationStatus, Round


def test_problem_has_the_contract_shape(db: Session, populated_round: Round) -> None:
    built = problem.build_problem(db, populated_round)
    assert built["rules"] == {
        "min_size": 6,
        "max_size": 10,
        "newcomer_share": [0.4, 0.6],
        "max_same_origin": 2,
        "moderators_per_group": 1,
        "working_languages": ["de", "en"],
    }
    assert [s["id"] for s in built["series"]] == ["mon", "wed", "sat"]
    assert {s["id"]: s["max_groups"] for s in built["series"]} == {"mon": 3, "wed": 2, "sat": 2}
    assert len(built["moderators"]) == 8 and len(built["participants"]) == 60
    person = built["participants"][0]
    assert set(person) == {
        "id",
        "role",
        "languages",
        "series",
        "gender",
        "age_band",
        "district",
        "origin",
        "needs",
        "together",
        "apart",
        "priority",
    }
    # No names or emails leave the store.
    assert "@" not in str(built)


def test_companions_are_kept_together(db: Session, populated_round: Round) -> None:
    built = problem.build_problem(db, populated_round)
    pairs = {(p["id"], p["together"][0]) for p in built["participants"] if p["together"]}
    assert len(pairs) == 4
    assert all((b, a) in pairs for a, b in pairs)


def test_withdrawn_and_pending_people_are_not_matched(db: Session, populated_round: Round) -> None:
    people = registrations.list_registrations(db, populated_round)
    people[0].status = RegistrationStatus.WITHDRAWN
    people[1].status = RegistrationStatus.PENDING
    db.flush()
    ids = {p["id"] for p in problem.build_problem(db, populated_round)["participants"]}
    assert problem.participant_key(people[0].id) not in ids
    assert problem.participant_key(people[1].id) not in ids
    assert len(ids) == 58
