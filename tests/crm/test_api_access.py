"""Who may use the crm API at all: an outsider is refused every list, a stranger must sign in."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from portal.roles import Role

LISTS = [
    "crm-customer-list",
    "crm-account-list",
    "crm-subscription-list",
    "crm-product-list",
    "crm-order-list",
    "crm-interaction-list",
    "crm-verification-list",
]


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.parametrize("url_name", LISTS)
def test_an_outsider_gets_403_on_every_list(personas, url_name):
    response = client_for(personas["outsider"]).get(
        reverse(url_name), headers={"accept-language": "en"}
    )

    assert response.status_code == 403
    assert response.json() == {
        "type": "client_error",
        "errors": [
            {
                "code": "permission_denied",
                "detail": "You do not have permission to perform this action.",
                "attr": None,
            }
        ],
    }


@pytest.mark.parametrize("url_name", LISTS)
def test_an_anonymous_caller_gets_401_on_every_list(api_client, db, url_name):
    response = api_client.get(reverse(url_name))

    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "not_authenticated"


@pytest.mark.parametrize(
    ("role", "readable"),
    [
        (Role.SERVICE_SPECIALIST, LISTS),
        (Role.SALES_ADVISOR, LISTS),
        (Role.TECH_SUPPORT, LISTS),
        (Role.COMPLAINT_COORDINATOR, LISTS),
        (Role.SUPERVISOR, LISTS),
        (
            Role.CUSTOMER,
            [
                "crm-customer-list",
                "crm-account-list",
                "crm-subscription-list",
                "crm-product-list",
                "crm-order-list",
            ],
        ),
    ],
)
def test_each_role_reads_the_lists_its_permissions_allow(personas, role, readable):
    client = client_for(personas[role])

    statuses = {name: client.get(reverse(name)).status_code for name in LISTS}

    assert statuses == {name: 200 if name in readable else 403 for name in LISTS}
