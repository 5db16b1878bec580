"""Schemathesis against the app's own /schema/openapi.json, in-process over ASGI, as a
signed-in user (Bearer token): no 5xx, no undocumented status, every response inside
its documented schema (CONTRACT section 3, "OpenAPI"; issue 12 part 2).

The examples, coverage and fuzzing phases run per operation with a bounded number of
examples and a fixed seed (so a run is repeatable and takes well under 2 minutes); the
stateful phase runs the schema's state machine for a bounded number of steps.
"""

from __future__ import annotations

import uuid
from typing import Any

import hypothesis
import pytest
import schemathesis
from schemathesis import checks as st_checks
from schemathesis.config import SchemathesisConfig

from app.asgi import create_app
from app.settings import Settings
from tests.support import _create_user, run

SEED = 1212
CHECKS = [
    st_checks.not_a_server_error,
    st_checks.status_code_conformance,
    st_checks.content_type_conformance,
    st_checks.response_schema_conformance,
]
CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": SEED,
        "generation": {"max-examples": 8, "database": "none"},
        "phases": {
            "examples": {"enabled": True},
            "coverage": {"enabled": True},
            "fuzzing": {"enabled": True},
            "stateful": {"enabled": True, "max-steps": 20},
        },
    }
)


# An app of its own, built at import because schemathesis' lazy (fixture) loader does not
# run on this pytest; schemathesis runs it, and its lifespan, on its own event loop. The
# database is migrated by the `settings` fixture, which every test here asks for.
FUZZ_APP = create_app(Settings.from_env())
schema = schemathesis.openapi.from_asgi("/schema/openapi.json", FUZZ_APP, config=CONFIG)


@pytest.fixture(scope="module")
def fuzz_token(settings: Settings) -> str:
    email = f"fuzz-{uuid.uuid4().hex[:10]}@example.com"
    _, token, _ = run(_create_user(settings, email, "correct horse battery", "Europe/Berlin", 8.0))
    return str(token)


@schema.parametrize()
@hypothesis.settings(deadline=None, suppress_health_check=list(hypothesis.HealthCheck))
def test_every_operation_answers_only_documented_statuses_and_schemas(case: Any, fuzz_token: str) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {fuzz_token}"}, checks=CHECKS)


def test_stateful_sequences_answer_only_documented_statuses_and_schemas(fuzz_token: str) -> None:
    machine = schema.as_state_machine()
    headers = {"Authorization": f"Bearer {fuzz_token}"}

    class Machine(machine):  # type: ignore[misc, valid-type]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": headers}

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            case.validate_response(response, checks=CHECKS)

    Machine.run(
        settings=hypothesis.settings(
            max_examples=10,
            stateful_step_count=8,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(hypothesis.HealthCheck),
            database=None,
        )
    )
