"""Requests generated from the project's own OpenAPI schema (schemathesis): no input answers 5xx,
and every answer matches what the schema documents (status, content type, body).

Bounded and reproducible: a few derandomized examples per operation, as a customer and as a
supervisor, in-process over WSGI on the test database. Every failing operation is listed at
once, with the request that showed it.
"""

import json

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import translation
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, given, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.exceptions import CheckFailed

from portal.roles import Role
from tests.billing.factories import line_for_customer
from tests.crm.factories import CustomerFactory

CHECKS = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
)
EXAMPLES_PER_OPERATION = 5


@pytest.fixture
def wsgi_app():
    # Django's test client keeps the test's connection open across requests; a bare WSGI
    # handler would close it (and with it the test's transaction) after every request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield WSGIHandler()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(wsgi_app):
    with translation.override("en"):
        generated = SchemaGenerator().get_schema(request=None, public=True)
    # Through JSON, as a client reads it: lazy strings and Decimals become plain values.
    raw = json.loads(json.dumps(generated, default=str))
    return schemathesis.from_dict(raw, app=wsgi_app)


def _customer_with_a_line(make_user):
    user = make_user(None, username="fuzz-customer")
    customer = CustomerFactory(user=user)
    line_for_customer(customer, n=9001)
    return user


def _fuzz(api_schema, user) -> list[str]:
    headers = {
        "Authorization": f"Token {Token.objects.create(user=user).key}",
        "Accept-Language": "en",
    }
    failures: list[str] = []
    for result in api_schema.get_all_operations():
        failure = _first_failure(result.ok(), headers)
        if failure:
            failures.append(failure)
    return failures


def _first_failure(operation, headers) -> str | None:
    """The first generated request of ``operation`` whose answer fails a check, described."""
    found: list[str] = []

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case):
        if found:
            return
        # The schema's security schemes make schemathesis invent credentials: use the user's.
        generated = {
            name: value
            for name, value in (case.headers or {}).items()
            if name.lower() not in {"authorization", "cookie"}
        }
        case.headers = generated | headers
        case.cookies = {}
        response = case.call()
        try:
            case.validate_response(response, checks=CHECKS)
        except CheckFailed as failure:
            found.append(
                f"{operation.verbose_name}: {case.as_curl_command()}\n"
                f"  -> {response.status_code} {response.get_data(as_text=True)[:300]}\n"
                f"  {str(failure).strip()[:600]}"
            )

    run()
    return found[0] if found else None


@pytest.mark.django_db
def test_generated_requests_as_a_customer(api_schema, make_user):
    failures = _fuzz(api_schema, _customer_with_a_line(make_user))

    assert failures == [], "\n\n".join(failures)


@pytest.mark.django_db
def test_generated_requests_as_a_supervisor(api_schema, make_user):
    _customer_with_a_line(make_user)
    failures = _fuzz(api_schema, make_user(Role.SUPERVISOR, username="fuzz-supervisor"))

    assert failures == [], "\n\n".join(failures)
