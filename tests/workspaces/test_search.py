"""The service specialist's one search box: it tells the kinds of number apart and goes to
what it finds."""

import pytest
from django.urls import reverse

from complaints.choices import TicketKind
from crm.choices import OrderKind
from crm.services import create_service_order
from portal.workspaces.search import QueryKind, classify
from tests.complaints.factories import make_ticket
from tests.crm.factories import CustomerFactory, MobileLineFactory, mobile_number
from tests.workspaces.conftest import EN, html_of

SEARCH = "/workspace/specialist/search/"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("TT20261201000042", (QueryKind.TICKET, "TT20261201000042")),
        (" tt 2026 1201 000042 ", (QueryKind.TICKET, "TT20261201000042")),
        ("SO20261201000007", (QueryKind.ORDER, "SO20261201000007")),
        ("139 0000 0001", (QueryKind.PHONE, "13900000001")),
        ("+86 139-0000-0001", (QueryKind.PHONE, "13900000001")),
        ("021-63211234", (QueryKind.PHONE, "02163211234")),
        ("9022 6826 95", (QueryKind.CUSTOMER_NUMBER, "9022682695")),
        ("9022682696", (QueryKind.DOCUMENT, "9022682696")),
        ("31010419850615001x", (QueryKind.DOCUMENT, "31010419850615001X")),
        ("E12345678", (QueryKind.DOCUMENT, "E12345678")),
    ],
)
def test_the_box_tells_what_kind_of_number_was_typed(typed, expected):
    assert classify(typed) == expected


def test_a_ticket_number_opens_the_ticket(client, specialist, engineer):
    ticket = make_ticket(engineer, TicketKind.FAULT)
    client.force_login(specialist)

    response = client.post(SEARCH, {"q": ticket.number.lower()})

    assert (response.status_code, response.url) == (
        302,
        reverse("ticket-detail", args=[ticket.pk]),
    )


def test_an_order_number_opens_the_order(client, specialist):
    line = MobileLineFactory()
    order = create_service_order(
        kind=OrderKind.REOPEN_DATA, customer=line.customer, subscription=line, actor=specialist
    )
    client.force_login(specialist)

    response = client.post(SEARCH, {"q": order.number})

    assert (response.status_code, response.url) == (
        302,
        reverse("crm:order-detail", args=[order.pk]),
    )


def test_one_customer_found_opens_their_page_by_line_contact_phone_number_or_document(
    client, specialist
):
    customer = CustomerFactory(contact_phone=mobile_number(88_000_001))
    MobileLineFactory(customer=customer, msisdn=mobile_number(88_000_002))
    client.force_login(specialist)
    page = reverse("crm:customer-detail", args=[customer.pk])

    found = [
        client.post(SEARCH, {"q": query})
        for query in (
            mobile_number(88_000_001),
            mobile_number(88_000_002),
            customer.customer_number,
            customer.document_number.lower(),
        )
    ]

    assert [(r.status_code, r.url) for r in found] == [(302, page)] * 4


def test_several_customers_are_listed_masked_and_the_query_is_not_echoed(client, specialist):
    phone = mobile_number(88_000_010)
    first = CustomerFactory(contact_phone=phone, name="张三丰")
    second = CustomerFactory(contact_phone=mobile_number(88_000_011), name="李四光")
    MobileLineFactory(customer=second, msisdn=phone)
    client.force_login(specialist)

    response = client.post(SEARCH, {"q": phone}, headers=EN)

    html = html_of(response)
    assert response.status_code == 200
    assert {c.pk for c in response.context["result"].customers} == {first.pk, second.pk}
    assert phone not in html
    assert "139****0010" in html
    assert ("张**" in html, "张三丰" in html, "李**" in html) == (True, False, True)
    assert 'data-kind="phone"' in html


def test_nothing_found_says_so_for_each_kind(client, specialist):
    client.force_login(specialist)

    pages = [
        html_of(client.post(SEARCH, {"q": query}, headers=EN))
        for query in ("TT20260101999999", "SO20260101999999", mobile_number(88_999_999))
    ]

    assert [
        (
            "No ticket has this number." in page,
            "No order has this number." in page,
            "No customer matches." in page,
        )
        for page in pages
    ] == [(True, False, False), (False, True, False), (False, False, True)]


def test_an_empty_box_is_a_400_with_the_message_on_the_field(client, specialist):
    client.force_login(specialist)

    response = client.post(SEARCH, {"q": "  "}, headers=EN)

    assert response.status_code == 400
    assert response.context["search_form"].errors == {"q": ["This field is required."]}


def test_with_htmx_results_come_as_a_block_and_a_single_match_as_a_client_redirect(
    client, specialist
):
    customer = CustomerFactory(contact_phone=mobile_number(88_000_020))
    client.force_login(specialist)
    htmx = {"HX-Request": "true", "HX-Target": "search-results", "accept-language": "en"}

    block = client.post(SEARCH, {"q": mobile_number(88_000_021)}, headers=htmx)
    single = client.post(SEARCH, {"q": mobile_number(88_000_020)}, headers=htmx)

    assert block.status_code == 200
    assert html_of(block).lstrip().startswith('<section id="search-results"')
    assert "<html" not in html_of(block)
    assert (single.status_code, single["HX-Redirect"]) == (
        200,
        reverse("crm:customer-detail", args=[customer.pk]),
    )


@pytest.mark.parametrize("size", [1, 5])
def test_the_search_runs_a_constant_number_of_queries(
    client, specialist, django_assert_num_queries, size
):
    phone = mobile_number(88_000_030)
    for _n in range(size):
        CustomerFactory(contact_phone=phone)
    MobileLineFactory(msisdn=phone)
    client.force_login(specialist)
    # 1 the session, 2 user, 3 their permissions, 4 the customers whose contact phone, mobile line
    # or fixed line has the number (one UNION subquery).
    with django_assert_num_queries(4):
        response = client.post(SEARCH, {"q": phone})

    assert len(response.context["result"].customers) == size + 1


def test_a_ticket_search_is_one_query_after_sign_in(
    client, specialist, engineer, django_assert_num_queries
):
    ticket = make_ticket(engineer, TicketKind.FAULT)
    client.force_login(specialist)
    # 1 the session, 2 user, 3 permissions, 4 the ticket by its number.
    with django_assert_num_queries(4):
        response = client.post(SEARCH, {"q": ticket.number})

    assert response.status_code == 302
