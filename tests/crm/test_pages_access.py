"""Who may open each crm portal page: every page URL walked for every persona."""

import pytest
from django.urls import reverse

from crm.choices import OrderKind
from crm.services import create_service_order
from portal.roles import ROLE_SPECS, Role
from tests.crm.factories import MobileLineFactory

SPECIALIST = Role.SERVICE_SPECIALIST
SALES = Role.SALES_ADVISOR
SUPERVISOR = Role.SUPERVISOR
PERSONAS = [*Role, "outsider"]

# Page -> the status each persona gets on GET. Customer pages belong to the specialist's and
# the supervisor's sections, the catalog to the specialist and the sales advisor, orders to all
# three (taking a new order needs crm.add_serviceorder, which the supervisor does not hold).
GET_ALLOWED = {
    "crm:customer-search": (SPECIALIST, SUPERVISOR),
    "crm:customer-detail": (SPECIALIST, SUPERVISOR),
    "crm:catalog": (SPECIALIST, SALES),
    "crm:order-list": (SPECIALIST, SALES, SUPERVISOR),
    "crm:order-new": (SPECIALIST, SALES),
    "crm:order-detail": (SPECIALIST, SALES, SUPERVISOR),
}
# POST actions with an empty body -> (who may, what they get). An empty form re-renders the
# page with its errors (200); sending a code without an open interaction and advancing an order
# (no reason needed) redirect (302).
POST_ALLOWED = {
    "crm:customer-search": ((SPECIALIST, SUPERVISOR), 200),
    "crm:interaction-start": ((SPECIALIST, SUPERVISOR), 200),
    "crm:interaction-verify": ((SPECIALIST, SUPERVISOR), 200),
    "crm:interaction-send-code": ((SPECIALIST, SUPERVISOR), 302),
    "crm:interaction-end": ((SPECIALIST, SUPERVISOR), 200),
    "crm:reveal": ((SPECIALIST, SUPERVISOR), 200),
    "crm:order-new": ((SPECIALIST, SALES), 200),
    "crm:order-advance": ((SPECIALIST, SALES), 302),
    "crm:order-reject": ((SPECIALIST, SALES), 200),
    "crm:order-cancel": ((SPECIALIST, SALES), 200),
}
CUSTOMER_URLS = {
    "crm:customer-detail",
    "crm:interaction-start",
    "crm:interaction-verify",
    "crm:interaction-send-code",
    "crm:interaction-end",
    "crm:reveal",
}
ORDER_URLS = {"crm:order-detail", "crm:order-advance", "crm:order-reject", "crm:order-cancel"}


@pytest.fixture
def order(make_user):
    line = MobileLineFactory()
    return create_service_order(
        kind=OrderKind.REOPEN_DATA,
        customer=line.customer,
        subscription=line,
        actor=make_user(SALES, username="hall-clerk"),
    )


def url_of(name: str, order) -> str:
    if name in CUSTOMER_URLS:
        return reverse(name, args=[order.customer_id])
    if name in ORDER_URLS:
        return reverse(name, args=[order.pk])
    return reverse(name)


def test_every_page_answers_each_persona_as_the_table_says(client, personas, order):
    statuses = {}
    for name in GET_ALLOWED:
        for persona in PERSONAS:
            client.force_login(personas[persona])
            statuses[(name, persona)] = client.get(url_of(name, order)).status_code

    assert statuses == {
        (name, persona): 200 if persona in allowed else 403
        for name, allowed in GET_ALLOWED.items()
        for persona in PERSONAS
    }


def test_every_action_answers_each_persona_as_the_table_says(client, personas, order):
    statuses = {}
    for name in POST_ALLOWED:
        for persona in PERSONAS:
            client.force_login(personas[persona])
            statuses[(name, persona)] = client.post(url_of(name, order), {}).status_code

    assert statuses == {
        (name, persona): status if persona in allowed else 403
        for name, (allowed, status) in POST_ALLOWED.items()
        for persona in PERSONAS
    }


def test_anonymous_visitor_is_sent_to_sign_in_from_every_page(client, order):
    urls = [url_of(name, order) for name in {*GET_ALLOWED, *POST_ALLOWED}]

    responses = {url: client.get(url) for url in urls}

    assert {url: (r.status_code, r.url) for url, r in responses.items()} == {
        url: (302, f"{reverse('login')}?next={url}") for url in urls
    }


def test_missing_customer_and_order_are_404(client, personas):
    client.force_login(personas[SPECIALIST])

    responses = [
        client.get(reverse("crm:customer-detail", args=[999_999])),
        client.post(reverse("crm:reveal", args=[999_999]), {"field": "document_number"}),
        client.get(reverse("crm:order-detail", args=[999_999])),
        client.post(reverse("crm:order-advance", args=[999_999])),
    ]

    assert [r.status_code for r in responses] == [404, 404, 404, 404]


def test_workspace_landing_pages_link_to_their_tools(client, personas):
    tools = {
        SPECIALIST: ["customer-search", "order-new", "catalog", "order-list"],
        SALES: ["order-new", "catalog", "order-list"],
        SUPERVISOR: ["customer-search", "order-list"],
        Role.TECH_SUPPORT: [],
    }
    found = {}
    for role in tools:
        client.force_login(personas[role])
        html = client.get(reverse(ROLE_SPECS[role].url_name)).content.decode()
        found[role] = [
            name for name in tools[SPECIALIST] if f'href="{reverse(f"crm:{name}")}"' in html
        ]

    assert found == tools
