"""The registration form offers only codes the solver accepts, so no registration can make a
whole round fail to match."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

import matching
from matching.codes import ISO_639_1, ISO_3166_1_ALPHA_2
from vekl.runs.solver_input import build_problem
from vekl.store.models import Participant, RegistrationStatus, Role, Round


def _offered(page: str, field: str) -> set[str]:
    """The codes a field offers: a select's options, or for languages the checkboxes and
    the list the typed names are chosen from."""
    if field == "languages":
        listed = re.search(r'<datalist id="all-languages">(.*?)</datalist>', page, re.S)
        assert listed is not None
        typed = set(re.findall(r"<option value=\"[^\"]*\">([^<]+)</option>", listed.group(1)))
        return typed | set(re.findall(r'name="languages" value="([^"]+)"', page))
    block = re.search(rf'<select[^>]*name="{field}"[^>]*>(.*?)</select>', page, re.S)
    assert block is not None
    return {v for v in re.findall(r'<option value="([^"]*)"', block.group(1)) if v}


@pytest.mark.parametrize("lang", ["de", "ar"])
def test_every_offered_code_is_one_the_solver_accepts(
    client: TestClient, open_round: Round, lang: str
) -> None:
    page = client.get(f"/rounds/{open_round.slug}?lang={lang}").text
    languages, countries = _offered(page, "languages"), _offered(page, "origin")
    assert len(languages) > 150 and len(countries) > 200
    assert languages <= ISO_639_1, sorted(languages - ISO_639_1)
    assert countries <= ISO_3166_1_ALPHA_2, sorted(countries - ISO_3166_1_ALPHA_2)
    # Codes CLDR knows but the contract does not: a registration with one used to make the
    # whole round fail to match.
    assert "sh" not in languages and not {"AC", "CP", "CQ", "DG", "EA", "IC", "TA"} & countries


def test_people_with_any_offered_code_make_a_problem_the_solver_takes(
    client: TestClient, db: Session, open_round: Round
) -> None:
    page = client.get(f"/rounds/{open_round.slug}").text
    languages = sorted(_offered(page, "languages"))
    countries = sorted(_offered(page, "origin"))
    series = open_round.series[0]
    for i, country in enumerate(countries):
        db.add(
            Participant(
                round_id=open_round.id,
                role=Role.NEWCOMER,
                first_name="Test",
                last_name=f"Person {i}",
                email=f"p{i}@example.org",
                languages=[languages[i % len(languages)], "de"],
                origin=country,
                status=RegistrationStatus.CONFIRMED,
                series=[series],
            )
        )
    db.flush()
    problem = matching.Problem.model_validate(build_problem(db, open_round))
    offered = {code for p in problem.participants for code in p.languages}
    assert offered >= set(languages)
