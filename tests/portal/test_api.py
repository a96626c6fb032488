"""The REST API shell: authentication, error shape, and a valid OpenAPI schema."""

import re

from django.urls import reverse

from portal.roles import Role

PASSWORD = "correct-horse-battery"


def test_api_requires_authentication(api_client, db):
    response = api_client.get(reverse("api-me"))

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {
        "type": "client_error",
        "errors": [
            {
                "code": "not_authenticated",
                "detail": "身份认证信息未提供。",
                "attr": None,
            }
        ],
    }


def test_token_sign_in_then_me_lists_roles_and_sections(api_client, personas):
    user = personas[Role.COMPLAINT_COORDINATOR]

    token = api_client.post(
        reverse("api-token"), {"username": user.username, "password": PASSWORD}
    ).json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = api_client.get(reverse("api-me")).json()

    assert me["username"] == user.username
    assert me["roles"] == ["complaint_coordinator"]
    assert me["sections"] == [
        {"role": "complaint_coordinator", "label": "投诉协调员", "url": "/workspace/complaints/"}
    ]


def test_bad_credentials_give_400_with_field_level_errors(api_client, personas):
    response = api_client.post(
        reverse("api-token"),
        {"username": personas[Role.CUSTOMER].username},
        headers={"accept-language": "en"},
    )

    assert response.status_code == 400
    assert response.json() == {
        "type": "validation_error",
        "errors": [{"code": "required", "detail": "This field is required.", "attr": "password"}],
    }


def test_openapi_schema_validates_without_warnings(openapi_schema):
    schema = openapi_schema
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/me/" in schema["paths"]


def test_swagger_ui_is_served_without_a_cdn(client, db):
    response = client.get(reverse("api-docs"))

    sources = re.findall(r'(?:src|href)="([^"]+)"', response.content.decode())
    assert response.status_code == 200
    assert sources
    assert [url for url in sources if url.startswith(("http:", "https:", "//"))] == []
