"""Property-based fuzzing of every API operation from the served OpenAPI schema (schemathesis over WSGI, as the
city officer with a bearer token): whatever it generates, the API never answers with a server error.

The hostile-input harness (test_hostile) sends the project's catalogue of known-bad values; this one lets
Hypothesis invent its own. A few examples per operation keep it inside the CI budget; SCHEMATHESIS_EXAMPLES
raises that for a longer run."""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error

from parcelwatch.wsgi import application

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "6"))
pytestmark = pytest.mark.fuzz

# The schema as the application serves it (building it reads no database).
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture
def token(cast):
    """The city officer's token; the requests share the test's database connection and transaction, as with
    Django's test client (which also keeps the connection open between requests)."""
    from django.core import signals
    from django.db import close_old_connections

    from parcelwatch.accounts.services import issue_api_token

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield issue_api_token(cast.city_officer)[0]
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))
def test_no_generated_request_makes_a_server_error(case, token):
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=[not_a_server_error])
