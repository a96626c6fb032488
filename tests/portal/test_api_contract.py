"""The API's contract on bad input: JSON 404 for malformed ids and unknown paths whatever the
Accept header, 400 with field messages for out-of-range or unknown query parameters, and a
schema that documents the errors every operation can answer (found by generated
requests; the generator itself is tests/portal/test_api_schema_fuzz.py)."""

import pytest
from drf_spectacular.generators import SchemaGenerator

from portal.roles import Role

pytestmark = pytest.mark.django_db

TOO_BIG = "1" * 23


@pytest.fixture
def supervisor_api(api_client, make_user):
    api_client.force_authenticate(make_user(Role.SUPERVISOR))
    return api_client


def error_attrs(response) -> list:
    return [error["attr"] for error in response.json()["errors"]]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/instalment-plans/null,null/",
        "/api/v1/instalment-plans/null,null/payoff/",
        "/api/v1/customers/-1/",
        f"/api/v1/customers/{TOO_BIG}/",
        f"/api/v1/bills/{TOO_BIG}/",
        "/api/v1/tickets/1e3/",
        "/api/v1/no-such-thing/",
    ],
)
def test_a_malformed_id_or_unknown_path_is_a_json_404_even_for_a_browser(supervisor_api, path):
    response = supervisor_api.get(path, HTTP_ACCEPT="text/html")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "type": "client_error",
        "errors": [
            {"code": "not_found", "detail": response.json()["errors"][0]["detail"], "attr": None}
        ],
    }


def test_an_accept_the_api_does_not_serve_is_a_json_406(supervisor_api):
    response = supervisor_api.get("/api/v1/orders/", HTTP_ACCEPT="application/xml")

    assert response.status_code == 406
    assert response["Content-Type"] == "application/json"
    assert response.json()["errors"][0]["code"] == "not_acceptable"


def test_pages_keep_the_html_404(client, make_user):
    client.force_login(make_user(Role.SUPERVISOR))

    response = client.get("/workspace/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("year", ["0", "10000", "-4.6e16", "2026.5"])
def test_a_report_year_out_of_range_is_a_400_on_year(supervisor_api, year):
    response = supervisor_api.get("/api/v1/reports/monthly/", {"year": year})

    assert response.status_code == 400
    assert error_attrs(response) == ["year"]


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/api/v1/verifications/", "customer"),
        ("/api/v1/training/attempts/", "assessment"),
        ("/api/v1/tickets/", "assignee"),
        ("/api/v1/orders/", "customer"),
        ("/api/v1/interactions/", "customer"),
    ],
)
def test_an_id_filter_beyond_64_bits_is_a_400_not_an_overflow(supervisor_api, path, parameter):
    response = supervisor_api.get(path, {parameter: TOO_BIG})

    assert response.status_code == 400
    assert error_attrs(response) == [parameter]


def test_an_id_filter_below_one_is_a_400(supervisor_api):
    response = supervisor_api.get("/api/v1/orders/", {"customer": "0"})

    assert response.status_code == 400
    assert error_attrs(response) == ["customer"]


def test_an_unknown_query_parameter_on_a_filtered_list_is_a_400_naming_it(supervisor_api):
    response = supervisor_api.get("/api/v1/orders/", {"custmer": "7", "status": "completed"})

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "custmer"
    assert response.json()["errors"][0]["code"] == "unknown"


def test_a_filtered_list_still_takes_its_filters_pages_ordering_and_search(supervisor_api):
    orders = supervisor_api.get(
        "/api/v1/orders/", {"customer": "7", "page": "1", "page_size": "5", "format": "json"}
    )
    tickets = supervisor_api.get("/api/v1/tickets/", {"search": "信号", "ordering": "-created_at"})

    assert (orders.status_code, orders.json()["count"]) == (200, 0)
    assert tickets.status_code == 200


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def test_every_operation_documents_its_errors_with_the_one_error_body(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            expected = {"400", "401", "403", "404", "405", "406", "500", "503"}
            if method in {"post", "put", "patch", "delete"}:
                expected |= {"409", "415"}
            errors = {code: r for code, r in operation["responses"].items() if code[0] in "45"}
            assert set(errors) == expected, (method, path)
            for response in errors.values():
                body = response["content"]["application/json"]["schema"]
                assert body == {"$ref": "#/components/schemas/Error"}, (method, path)
    assert not [name for name in schema["components"]["schemas"] if "ErrorResponse" in name]


def test_the_schema_says_what_is_stored_blank_or_null(schema):
    customer = schema["components"]["schemas"]["Customer"]["properties"]
    canned = schema["components"]["schemas"]["CannedAnswer"]["properties"]

    assert {"type": "string", "maxLength": 0} in customer["email"]["oneOf"]
    assert canned["article"]["nullable"] is True


def test_summaries_are_single_objects_and_the_top_up_key_is_required(schema):
    recommendation = schema["paths"]["/api/v1/plan-recommendations/"]["get"]
    points = schema["paths"]["/api/v1/points/"]["get"]
    top_up = schema["paths"]["/api/v1/top-ups/"]["post"]

    assert recommendation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Recommendation"
    }
    assert points["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PointsSummary"
    }
    [key] = [p for p in top_up["parameters"] if p["name"] == "Idempotency-Key"]
    assert (key["in"], key["required"]) == ("header", True)
