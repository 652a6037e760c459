"""Generated requests against every documented operation: none may end in a server error.

Runs on a migrated SQLite file with an open round, a letter code and one registration, so
generated requests reach the real checks and not only "round not found".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.errors import InvalidSchema
from schemathesis.core.result import Err, Ok
from schemathesis.schemas import APIOperation

from api import create_app
from tests.dates import open_for_a_month
from vekl.registration import letter_codes
from vekl.rounds import service as rounds
from vekl.settings import Settings
from vekl.store import migrate
from vekl.store.db import make_engine, make_sessionmaker, transaction

# Enough to reach every check, few enough for the whole run to stay in seconds.
MAX_EXAMPLES = 30
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "konstanz-mai"


@pytest.fixture(scope="module")
def fuzzed_app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.sqlite3'}"
    migrate.upgrade(url)
    config = Settings(
        environment="test",
        database_url=url,
        base_url="https://vekl.example",
        secret_key="fuzzing-secret-key-0123456789",
    )
    engine = make_engine(url)
    with transaction(make_sessionmaker(engine)) as session:
        spec = rounds.load_round_file(EXAMPLE / "round.toml")
        spec = spec.model_copy(update={"registration_deadline": open_for_a_month()})
        round = rounds.create_round(session, spec, ZoneInfo("Europe/Berlin"), "test")
        letter_codes.generate(session, round, 5, secret=config.secret_key, actor="test")
    engine.dispose()
    return create_app(config)


Operation = APIOperation[Any, Any, Any, Any]


def _operation(result: Ok[Operation] | Err[InvalidSchema]) -> Operation:
    if isinstance(result, Err):
        raise result.err()
    return result.ok()


def test_no_generated_request_causes_a_server_error(fuzzed_app: FastAPI) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzzed_app)
    operations = [_operation(result) for result in schema.get_all_operations()]
    assert len(operations) > 15
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def call(case: schemathesis.Case[Any]) -> None:
            case.call_and_validate(checks=[not_a_server_error])

        call()
