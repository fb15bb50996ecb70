"""A bounded schemathesis run over every operation of the API: generated requests, valid
and invalid, as the city administrator (by token) and as a member (by pass). No answer may
be a 500, and every answer is JSON.

The run is derandomized (the same cases each time, so the suite stays steady) and small
enough for the suite (about half a minute); explore further with more cases a run, e.g.
``FUZZ_EXAMPLES=100 pytest tests/test_api_fuzz.py -s`` (about 15 minutes)."""

import os
import time

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from gonghui.orgs import services
from gonghui.perks import passes
from gonghui.wsgi import application
from tests.factories import make_person

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "4"))  # per operation and mode


@pytest.fixture
def app():
    """Django's WSGI handler closes the connection after each request; Django's own test
    client keeps it (the test's transaction) by unhooking that, and so must this."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield application
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def content_type(response) -> str:
    values = {k.lower(): v for k, v in response.headers.items()}.get("content-type") or [""]
    return values[0]


def test_generated_requests_meet_no_server_error_and_get_json(tree, users, app):
    person = make_person(tree.cy_grass)
    _, raw = services.token_create(actor=users.admin, name="schemathesis")
    headers = {"Authorization": f"Bearer {raw}", passes.HEADER: passes.issue(person.pk)}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations, cases, started = 0, [], time.monotonic()

    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=EXAMPLES,
                derandomize=True,
                database=None,
                deadline=None,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case):
                response = case.call(headers=headers)
                cases.append(response.status_code)
                case.validate_response(response, checks=[not_a_server_error])
                assert content_type(response).startswith("application/json"), (
                    case.method,
                    case.path,
                    response.status_code,
                )

            try:
                run()
            except Unsatisfiable:  # nothing invalid to send: no parameter, no body
                assert mode == GenerationMode.NEGATIVE, operation.label

    print(f"{operations} operations, {len(cases)} cases in {time.monotonic() - started:.0f} s")
    assert operations >= 50 and len(cases) >= 4 * operations
    assert any(200 <= status < 300 for status in cases)  # not only refusals
