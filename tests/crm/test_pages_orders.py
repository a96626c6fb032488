"""The sales pages: the catalog, the orders list, taking an order and moving it through the
hall's steps."""

import datetime
import re

import pytest
from django.urls import reverse

from crm.choices import (
    ORDER_STEPS,
    Channel,
    OrderKind,
    OrderStatus,
    ProductKind,
    SubscriptionKind,
    SubscriptionStatus,
)
from crm.models import Interaction, Product, ServiceOrder, ServiceOrderStep, Subscription
from crm.services import (
    advance_order,
    create_service_order,
    current_plan,
    is_valid_customer_number,
    start_interaction,
)
from portal.roles import Role
from tests.crm.factories import CustomerFactory, MobileLineFactory, mobile_number

EN = {"accept-language": "en"}
PRODUCT_CODES = re.compile(r'data-product="([A-Z0-9_]+)"')


@pytest.fixture
def clerk(personas):
    return personas[Role.SALES_ADVISOR]


@pytest.fixture
def customer(db):
    return CustomerFactory(name="李四")


def html_of(response) -> str:
    return response.content.decode()


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def dazhong() -> Product:
    return Product.objects.get(code="DAZHONG")


def order_page(order) -> str:
    return reverse("crm:order-detail", args=[order.pk])


def move(client, name: str, order, reason: str = ""):
    return client.post(
        reverse(f"crm:order-{name}", args=[order.pk]), {"reason": reason}, headers=EN
    )


def unused_customer_number() -> str:
    """A well-formed customer number (valid check digit) that no customer has."""
    return next(
        f"123456789{digit}" for digit in range(10) if is_valid_customer_number(f"123456789{digit}")
    )


def open_number_form(customer, **overrides) -> dict:
    return {
        "customer": customer.customer_number,
        "kind": OrderKind.OPEN_NUMBER,
        "channel": Channel.BUSINESS_HALL,
        "product": dazhong().pk,
        "service_number": mobile_number(12_345_678),
        "iccid": "89860312345678901234",
        **overrides,
    }


# --- Catalog --------------------------------------------------------------------------------


@pytest.fixture
def retired_plan(db):
    return Product.objects.create(
        code="RETIRED_PLAN",
        kind=ProductKind.MOBILE_PLAN,
        name="旧套餐",
        monthly_fee="19.00",
        valid_from=datetime.date(2015, 1, 1),
        valid_to=datetime.date(2020, 12, 31),
    )


def test_catalog_shows_products_on_sale_grouped_by_kind_and_all_on_request(
    client, clerk, retired_plan
):
    client.force_login(clerk)

    today = client.get(reverse("crm:catalog"), headers=EN)
    everything = client.get(reverse("crm:catalog") + "?all=1", headers=EN)

    on_sale = set(PRODUCT_CODES.findall(html_of(today)))
    assert on_sale == set(
        Product.objects.exclude(code="RETIRED_PLAN").values_list("code", flat=True)
    )
    assert set(PRODUCT_CODES.findall(html_of(everything))) == on_sale | {"RETIRED_PLAN"}
    assert [label for label, _entries in today.context["groups"]] == [
        ProductKind(kind).label
        for kind in ProductKind.values
        if Product.objects.filter(kind=kind).exists()
    ]


def test_catalog_shows_fees_rates_caps_components_and_demo_badges(client, clerk):
    client.force_login(clerk)

    response = client.get(reverse("crm:catalog"), headers=EN)
    entries = {
        entry.product.code: entry for _label, group in response.context["groups"] for entry in group
    }
    html = html_of(response)

    assert entries["DAZHONG"].plan_rows == [
        ("Local calls", "0.20 yuan/min"),
        ("Domestic long distance", "0.30 yuan/min"),
        ("Roaming, outgoing", "0.60 yuan/min"),
        ("Roaming, incoming", "0.40 yuan/min"),
        ("Incoming at home", "free"),
        ("SMS", "0.10 yuan each"),
        ("Data", "0.0003 yuan/KB"),
        ("Monthly data cut-off", "20 GB"),
        ("Monthly charge cap incl. fees", "1000.00 yuan"),
        ("Data after re-opening", "0.0003 yuan/KB"),
    ]
    assert len(entries["VAS_BUNDLE"].components) == 9
    assert "6 months, from the month after activation" in html
    assert "30.00 yuan" in html
    assert set(
        re.findall(
            r'data-product="([A-Z0-9_]+)">\s*<header>[^<]*<strong>[^<]*</strong>'
            r"\s*<code>[^<]*</code>\s*<mark data-demo>",
            html,
        )
    ) == set(Product.objects.filter(is_demo=True).values_list("code", flat=True))


@pytest.mark.parametrize("extra", [0, 12])
@pytest.mark.parametrize("query", ["", "?all=1"])
def test_catalog_runs_a_constant_number_of_queries(
    client, clerk, django_assert_num_queries, extra, query
):
    for n in range(extra):
        bundle = Product.objects.create(
            code=f"EXTRA_{n}",
            kind=ProductKind.VALUE_ADDED,
            name=f"附加包{n}",
            valid_from=datetime.date(2026, 1, 1),
        )
        bundle.components.add(Product.objects.get(code="CALLER_ID"))
    client.force_login(clerk)
    # 1 the session, 2 user, 3 their permissions (own and by group), 4 the products with their
    # mobile plan terms, 5 the bundles' components.
    with django_assert_num_queries(5):
        response = client.get(reverse("crm:catalog") + query)

    assert sum(len(group) for _label, group in response.context["groups"]) == (
        Product.objects.count()
    )


# --- Orders list ----------------------------------------------------------------------------


def reopen_orders(clerk, count: int) -> list[ServiceOrder]:
    line = MobileLineFactory()
    return [
        create_service_order(
            kind=OrderKind.REOPEN_DATA, customer=line.customer, subscription=line, actor=clerk
        )
        for _ in range(count)
    ]


def test_orders_list_filters_by_status_and_kind_and_pages(client, clerk, customer):
    reopenings = reopen_orders(clerk, 26)
    advance_order(reopenings[0], actor=clerk)
    data_change = create_service_order(
        kind=OrderKind.CUSTOMER_DATA_CHANGE,
        customer=customer,
        actor=clerk,
        data_changes={"address": "上海市徐汇区漕溪北路1号"},
    )
    client.force_login(clerk)

    first = client.get(reverse("crm:order-list"), headers=EN)
    second = client.get(reverse("crm:order-list") + "?page=2", headers=EN)
    consulting = client.get(reverse("crm:order-list") + "?status=consultation", headers=EN)
    data_changes = client.get(
        reverse("crm:order-list") + "?kind=customer_data_change&status=reception", headers=EN
    )

    assert (len(first.context["orders"]), len(second.context["orders"])) == (25, 2)
    assert first.context["orders"][0] == data_change
    assert 'href="?page=2"' in html_of(first)
    assert list(consulting.context["orders"]) == [reopenings[0]]
    assert list(data_changes.context["orders"]) == [data_change]


@pytest.mark.parametrize("count", [1, 30])
def test_orders_list_runs_a_constant_number_of_queries(
    client, clerk, django_assert_num_queries, count
):
    reopen_orders(clerk, count)
    client.force_login(clerk)
    # 1 the session, 2 user, 3 their permissions (own and by group), 4 the count for the pager, 5
    # the page of orders with customer, line, product and clerk.
    with django_assert_num_queries(5):
        response = client.get(reverse("crm:order-list"))

    assert len(response.context["orders"]) == min(count, 25)


# --- Taking an order ------------------------------------------------------------------------


def test_new_order_form_first_asks_whose_order_it_is(client, clerk, customer):
    client.force_login(clerk)

    unknown_number = unused_customer_number()
    typo_number = unknown_number[:-1] + str((int(unknown_number[-1]) + 1) % 10)

    empty = client.get(reverse("crm:order-new"), headers=EN)
    typo = client.get(reverse("crm:order-new") + f"?customer={typo_number}", headers=EN)
    unknown = client.get(reverse("crm:order-new") + f"?customer={unknown_number}", headers=EN)
    chosen = client.get(
        reverse("crm:order-new") + f"?customer={customer.formatted_customer_number}", headers=EN
    )

    assert (empty.context["form"], empty.context["customer_form"].errors) == (None, {})
    assert typo.context["customer_form"].errors == {
        "customer": ["A customer number has ten digits and a valid check digit."]
    }
    assert unknown.context["customer_form"].errors == {"customer": ["No customer has this number."]}
    assert chosen.context["customer"] == customer
    assert 'id="order-form"' in html_of(chosen)


def test_new_order_offers_only_the_customers_live_lines(client, clerk, customer):
    live = MobileLineFactory(customer=customer)
    ended = MobileLineFactory(
        customer=customer, status=SubscriptionStatus.TERMINATED, terminated_on="2026-02-01"
    )
    MobileLineFactory()
    client.force_login(clerk)

    response = client.get(
        reverse("crm:order-new") + f"?customer={customer.customer_number}", headers=EN
    )

    assert list(response.context["form"].fields["subscription"].queryset) == [live]
    assert ended.service_label not in html_of(response)


def test_order_taken_through_the_form_and_moved_to_completion_opens_the_line(
    client, clerk, customer
):
    client.force_login(clerk)

    created = client.post(reverse("crm:order-new"), open_number_form(customer), headers=EN)
    order = ServiceOrder.objects.get()
    moves = [move(client, "advance", order).status_code for _ in ORDER_STEPS[1:]]
    page = client.get(order_page(order), headers=EN)
    order.refresh_from_db()

    line = Subscription.objects.get(msisdn=mobile_number(12_345_678))
    assert created.status_code == 302
    assert created.url == order_page(order)
    assert moves == [302] * 8
    assert order.status == OrderStatus.COMPLETED
    assert (line.customer, line.kind, line.status, line.iccid) == (
        customer,
        SubscriptionKind.MOBILE,
        SubscriptionStatus.ACTIVE,
        "89860312345678901234",
    )
    assert current_plan(line) == dazhong()
    assert order.subscription == line
    assert list(order.steps.values_list("to_status", "actor")) == [
        (status, clerk.pk) for status in ORDER_STEPS
    ]
    assert re.findall(r'data-step="([a-z_]+)"', html_of(page)) == list(ORDER_STEPS)
    assert 'id="order-moves"' not in html_of(page)


def test_order_page_offers_only_the_allowed_moves(client, clerk, personas, customer):
    order = create_service_order(
        kind=OrderKind.OPEN_NUMBER,
        customer=customer,
        actor=clerk,
        product=dazhong(),
        service_number=mobile_number(12_345_679),
        iccid="89860312345678901235",
    )
    forms_at = {}
    for status in (OrderStatus.RECEPTION, OrderStatus.REVIEW, OrderStatus.CONFIRMATION):
        while order.status != status:
            order = advance_order(order, actor=clerk)
        client.force_login(clerk)
        html = html_of(client.get(order_page(order), headers=EN))
        forms_at[status] = re.findall(r'id="(advance|reject|cancel)-form"', html)
    client.force_login(personas[Role.SUPERVISOR])
    supervisor_html = html_of(client.get(order_page(order), headers=EN))

    assert forms_at == {
        OrderStatus.RECEPTION: ["advance", "cancel"],
        OrderStatus.REVIEW: ["advance", "reject", "cancel"],
        OrderStatus.CONFIRMATION: ["advance"],
    }
    assert 'id="order-moves"' not in supervisor_html


def test_rejecting_at_review_needs_a_reason_and_returns_the_order_to_acceptance(
    client, clerk, customer
):
    order = create_service_order(
        kind=OrderKind.CUSTOMER_DATA_CHANGE,
        customer=customer,
        actor=clerk,
        data_changes={"email": "li.si@example.com"},
    )
    while order.status != OrderStatus.REVIEW:
        order = advance_order(order, actor=clerk)
    client.force_login(clerk)

    without_reason = move(client, "reject", order)
    with_reason = move(client, "reject", order, "身份证复印件不清晰")
    order.refresh_from_db()
    page = client.get(order_page(order), headers=EN)

    assert without_reason.status_code == 200
    assert without_reason.context["reject_form"].errors == {"reason": ["This field is required."]}
    assert with_reason.status_code == 302
    assert (order.status, order.rejection_reason) == (
        OrderStatus.ACCEPTANCE,
        "身份证复印件不清晰",
    )
    assert list(
        order.steps.filter(from_status=OrderStatus.REVIEW).values_list("to_status", "reason")
    ) == [(OrderStatus.ACCEPTANCE, "身份证复印件不清晰")]
    assert "身份证复印件不清晰" in html_of(page)


def test_reject_is_refused_outside_review_without_moving_the_order(client, clerk, customer):
    order = create_service_order(
        kind=OrderKind.CUSTOMER_DATA_CHANGE,
        customer=customer,
        actor=clerk,
        data_changes={"email": "li.si@example.com"},
    )
    order = advance_order(order, actor=clerk)
    client.force_login(clerk)

    response = move(client, "reject", order, "资料不全")
    order.refresh_from_db()

    assert response.status_code == 200
    assert response.context["reject_form"].errors == {
        "__all__": ["Only an order under review can be rejected."]
    }
    assert order.status == OrderStatus.CONSULTATION


def test_cancelling_needs_a_reason_and_is_refused_once_fulfilled(client, clerk, customer):
    line = MobileLineFactory(customer=customer)
    open_order, fulfilled = (
        create_service_order(
            kind=OrderKind.REOPEN_DATA, customer=customer, subscription=line, actor=clerk
        )
        for _ in range(2)
    )
    while fulfilled.status != OrderStatus.CONFIRMATION:
        fulfilled = advance_order(fulfilled, actor=clerk)
    client.force_login(clerk)

    without_reason = move(client, "cancel", open_order)
    cancelled = move(client, "cancel", open_order, "客户改变主意")
    too_late = move(client, "cancel", fulfilled, "客户改变主意")
    open_order.refresh_from_db()
    fulfilled.refresh_from_db()

    assert without_reason.context["cancel_form"].errors == {"reason": ["This field is required."]}
    assert cancelled.status_code == 302
    assert open_order.status == OrderStatus.CANCELLED
    assert too_late.status_code == 200
    assert too_late.context["cancel_form"].errors == {
        "__all__": ["An order cannot go from Confirmation to Cancelled."]
    }
    assert fulfilled.status == OrderStatus.CONFIRMATION


def test_service_refusals_show_on_the_order_form(client, clerk, customer):
    MobileLineFactory(msisdn=mobile_number(12_345_678))
    client.force_login(clerk)

    taken = client.post(reverse("crm:order-new"), open_number_form(customer), headers=EN)
    not_mobile = client.post(
        reverse("crm:order-new"), open_number_form(customer, service_number="12345"), headers=EN
    )
    no_product = client.post(
        reverse("crm:order-new"), open_number_form(customer, product=""), headers=EN
    )
    bad_phone = client.post(
        reverse("crm:order-new"),
        {
            "customer": customer.customer_number,
            "kind": OrderKind.CUSTOMER_DATA_CHANGE,
            "channel": Channel.BUSINESS_HALL,
            "new_contact_phone": "12345678901",
        },
        headers=EN,
    )
    nothing_to_change = client.post(
        reverse("crm:order-new"),
        {
            "customer": customer.customer_number,
            "kind": OrderKind.CUSTOMER_DATA_CHANGE,
            "channel": Channel.BUSINESS_HALL,
        },
        headers=EN,
    )
    unknown_owner = client.post(
        reverse("crm:order-new"),
        {
            "customer": customer.customer_number,
            "kind": OrderKind.OWNERSHIP_TRANSFER,
            "channel": Channel.BUSINESS_HALL,
            "new_owner": unused_customer_number(),
        },
        headers=EN,
    )

    assert [
        r.status_code for r in (taken, not_mobile, no_product, bad_phone, nothing_to_change)
    ] == [200] * 5
    assert taken.context["form"].errors == {"service_number": ["This number is already in use."]}
    assert not_mobile.context["form"].errors == {
        "service_number": ["Enter a valid mainland China mobile number, e.g. 13800138000."]
    }
    assert no_product.context["form"].errors == {"product": ["Choose a product."]}
    assert bad_phone.context["form"].errors == {
        "new_contact_phone": ["Enter a valid mainland China mobile number, e.g. 13800138000."]
    }
    assert nothing_to_change.context["form"].errors == {"__all__": ["Give at least one change."]}
    assert unknown_owner.context["form"].errors == {"new_owner": ["No customer has this number."]}
    assert ServiceOrder.objects.count() == 0


def test_ownership_transfer_names_the_new_owner_by_customer_number(client, clerk, customer):
    line = MobileLineFactory(customer=customer)
    new_owner = CustomerFactory(name="赵六")
    client.force_login(clerk)

    response = client.post(
        reverse("crm:order-new"),
        {
            "customer": customer.customer_number,
            "kind": OrderKind.OWNERSHIP_TRANSFER,
            "channel": Channel.BUSINESS_HALL,
            "subscription": line.pk,
            "new_owner": new_owner.formatted_customer_number,
        },
        headers=EN,
    )

    order = ServiceOrder.objects.get()
    assert response.status_code == 302
    assert (order.kind, order.subscription, order.new_owner) == (
        OrderKind.OWNERSHIP_TRANSFER,
        line,
        new_owner,
    )


def test_specialists_order_is_linked_to_their_open_interaction(client, personas, customer):
    specialist = personas[Role.SERVICE_SPECIALIST]
    call = start_interaction(
        channel=Channel.HOTLINE, actor=specialist, reason="改资料", customer=customer
    )
    client.force_login(specialist)

    form_page = client.get(
        reverse("crm:order-new") + f"?customer={customer.customer_number}", headers=EN
    )
    client.post(
        reverse("crm:order-new"),
        {
            "customer": customer.customer_number,
            "kind": OrderKind.CUSTOMER_DATA_CHANGE,
            "channel": Channel.HOTLINE,
            "new_email": "li.si@example.com",
        },
        headers=EN,
    )

    order = ServiceOrder.objects.get()
    assert form_page.context["form"].initial["channel"] == Channel.HOTLINE
    assert (order.channel, order.data_changes) == (
        Channel.HOTLINE,
        {"email": "li.si@example.com"},
    )
    assert Interaction.objects.get(pk=call.pk).service_order == order


def test_order_page_shows_the_step_timeline_with_who_when_and_why(client, clerk, customer):
    order = create_service_order(
        kind=OrderKind.CUSTOMER_DATA_CHANGE,
        customer=customer,
        actor=clerk,
        data_changes={"email": "li.si@example.com"},
    )
    client.force_login(clerk)
    move(client, "advance", order, "已咨询")

    page = client.get(order_page(order), headers=EN)
    html = html_of(page)
    step = ServiceOrderStep.objects.get(to_status=OrderStatus.CONSULTATION)

    assert re.findall(r'data-step="([a-z_]+)"', html) == ["reception", "consultation"]
    assert step.reason == "已咨询"
    assert "已咨询" in html
    assert clerk.get_full_name() in html
    assert "Move to Acceptance" in html
