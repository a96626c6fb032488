"""The sales advisor's plan recommendation page and "my sales"."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from billing.choices import UsageEventType
from billing.models import Device, InstalmentPlan
from crm.choices import OrderKind, PiiField, SubscriptionKind
from crm.models import PiiAccessLog, ServiceOrder
from crm.services import create_service_order
from portal.roles import Role
from tests.billing.factories import CdrImportFactory, UsageRecordFactory, verify_in_hall
from tests.crm.factories import CustomerFactory, MobileLineFactory, mobile_number
from tests.workspaces.conftest import EN, HTMX_RESULTS, html_of, messages_of

RECOMMEND = "/workspace/sales/recommendation/"
MY_SALES = "/workspace/sales/my-sales/"
PLAN_ROWS = re.compile(r'<tr data-plan="(\w+)" data-total="([\d.]+)"')


def last_full_months(count=3) -> list[datetime.date]:
    month = timezone.localdate().replace(day=1)
    months = []
    for _n in range(count):
        month = (month - datetime.timedelta(days=1)).replace(day=1)
        months.append(month)
    return sorted(months)


@pytest.fixture
def heavy_caller():
    """A DAZHONG line since January with 300 minutes of local calls a month."""
    customer = CustomerFactory(name="刘大伟")
    line = MobileLineFactory(
        customer=customer,
        msisdn=mobile_number(77_100_001),
        activated_on=datetime.date(2025, 6, 1),
    )
    cdrs = CdrImportFactory()
    for month in last_full_months():
        for n in range(10):
            UsageRecordFactory(
                subscription=line,
                cdr_import=cdrs,
                event_type=UsageEventType.VOICE_OUT_LOCAL,
                started_at=timezone.make_aware(
                    datetime.datetime(month.year, month.month, 1 + n, 10)
                ),
                duration_s=1800,
            )
    return line


def page_for(subscription, **extra) -> str:
    query = "&".join(f"{key}={value}" for key, value in extra.items())
    number = subscription.customer.customer_number
    return f"{RECOMMEND}?customer={number}" + (f"&{query}" if query else "")


def test_the_advisor_checks_the_document_then_sees_the_cheapest_plan_and_the_saving(
    client, sales, heavy_caller
):
    customer = heavy_caller.customer
    client.force_login(sales)

    before = client.get(page_for(heavy_caller), headers=EN)
    checked = client.post(
        RECOMMEND,
        {
            "customer": customer.customer_number,
            "id_number": customer.document_number,
            "name": customer.name,
        },
        headers=EN,
    )
    after = client.get(checked.url, headers=EN)

    assert 'id="identity-check-form"' in html_of(before)
    assert "plan-costs" not in html_of(before)
    assert checked.status_code == 302
    assert messages_of(after) == ["Identity document checked."]
    # Per month: DAZHONG 5.00 + 300 min x 0.20 = 65.00; FEIYOUNG 39.00 + 100 min x 0.15 =
    # 54.00; LEXIANG 129.00 (1,000 minutes included).
    assert PLAN_ROWS.findall(html_of(after)) == [
        ("DEMO_FEIYOUNG_39", "162.00"),
        ("DAZHONG", "195.00"),
        ("DEMO_LEXIANG_129", "387.00"),
    ]
    html = html_of(after)
    assert 'data-saving="33.00"' in html
    assert "would have cost ¥33.00 less (¥11.00 a month)" in html
    product = after.context["recommendation"].best.plan
    assert (
        f'href="/workspace/orders/new/?customer={customer.customer_number}&amp;kind=change_plan'
        f'&amp;subscription={heavy_caller.pk}&amp;product={product.pk}"'
    ) in html


def test_the_plan_change_link_opens_the_order_form_filled_in(client, sales, heavy_caller):
    verify_in_hall(sales, heavy_caller.customer)
    client.force_login(sales)
    page = client.get(page_for(heavy_caller))
    change_url = page.context["change_url"]

    order_form = client.get(change_url)

    form = order_form.context["form"]
    assert (form["kind"].value(), form["subscription"].value(), form["product"].value()) == (
        OrderKind.CHANGE_PLAN,
        str(heavy_caller.pk),
        str(page.context["recommendation"].best.plan.pk),
    )


def test_a_wrong_document_is_a_400_and_shows_nothing(client, sales, heavy_caller):
    customer = heavy_caller.customer
    client.force_login(sales)

    response = client.post(
        RECOMMEND,
        {"customer": customer.customer_number, "id_number": "110101199001011237", "name": "某某"},
        headers=EN,
    )

    assert response.status_code == 400
    assert response.context["identity_form"].non_field_errors() == [
        "The document number and name do not match the record."
    ]
    assert "plan-costs" not in html_of(response)


def test_an_unknown_customer_number_is_a_400_on_the_field(client, sales):
    client.force_login(sales)

    response = client.get(f"{RECOMMEND}?customer=1234567890", headers=EN)

    assert response.status_code == 400
    assert list(response.context["customer_form"].errors) == ["customer"]


def test_a_customer_with_several_lines_picks_one(client, sales, heavy_caller):
    second = MobileLineFactory(
        customer=heavy_caller.customer,
        msisdn=mobile_number(77_100_002),
        activated_on=datetime.date(2026, 11, 20),
    )
    verify_in_hall(sales, heavy_caller.customer)
    client.force_login(sales)

    first_page = client.get(page_for(heavy_caller), headers=EN)
    second_page = client.get(page_for(heavy_caller, line=second.pk), headers=EN)

    assert first_page.context["line"] == heavy_caller
    assert (second_page.context["line"], 'id="no-history"' in html_of(second_page)) == (
        second,
        True,
    )


def test_the_recommendation_page_runs_a_constant_number_of_queries(
    client, sales, heavy_caller, django_assert_num_queries
):
    verify_in_hall(sales, heavy_caller.customer)
    client.force_login(sales)
    # 1 the session, 2 user, 3 permissions; 4 the customer by number, 5 the verification gate (the
    # advisor's open interaction with a passed check), 6 the mobile lines; the recommendation: 7
    # the current plan, 8 the plans on sale, 9 the line's records of the three months.
    with django_assert_num_queries(9):
        client.get(page_for(heavy_caller))


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.SALES_ADVISOR, 200),
        (Role.SERVICE_SPECIALIST, 403),
        (Role.SUPERVISOR, 403),
        (Role.TECH_SUPPORT, 403),
        (Role.COMPLAINT_COORDINATOR, 403),
        (Role.CUSTOMER, 403),
    ],
)
def test_recommendations_and_my_sales_belong_to_sales_advisors(client, personas, role, status):
    client.force_login(personas[role])

    assert [client.get(RECOMMEND).status_code, client.get(MY_SALES).status_code] == [status] * 2


def test_the_page_logs_nothing_for_an_advisor_with_a_verified_customer(client, sales, heavy_caller):
    verify_in_hall(sales, heavy_caller.customer)
    client.force_login(sales)

    client.get(page_for(heavy_caller))

    assert not PiiAccessLog.objects.filter(field=PiiField.ACCOUNT_DETAIL).exists()


# --- My sales -----------------------------------------------------------------------------------


@pytest.fixture
def sales_history(sales, specialist):
    line = MobileLineFactory()
    mine = [
        create_service_order(
            kind=OrderKind.REOPEN_DATA, customer=line.customer, subscription=line, actor=sales
        )
        for _ in range(3)
    ]
    create_service_order(  # someone else's sale
        kind=OrderKind.REOPEN_DATA, customer=line.customer, subscription=line, actor=specialist
    )
    last_month = timezone.now() - datetime.timedelta(days=40)
    ServiceOrder.objects.filter(pk=mine[0].pk).update(created_at=last_month, fee="20.00")
    device = Device.objects.create(code="SALE-1", brand="小米", name="14", price="2999.00")
    plan = InstalmentPlan.objects.create(
        number="IP20261201000009",
        customer=line.customer,
        account=line.billing_account,
        subscription=line,
        device=device,
        device_price=Decimal("2999.00"),
        financed_amount=Decimal("2999.00"),
        months=12,
        purchased_on=timezone.localdate(),
        seller=sales,
    )
    return {"orders": mine, "plan": plan}


def test_my_sales_totals_by_month_and_lists_only_my_orders(client, sales, sales_history):
    client.force_login(sales)

    response = client.get(MY_SALES, headers=EN)

    months = response.context["months"]
    this_month = timezone.localdate().replace(day=1)
    assert [(row.month, row.orders, row.order_fees, row.plans, row.financed) for row in months] == [
        (this_month, 2, Decimal("0.00"), 1, Decimal("2999.00")),
        (
            timezone.localtime(timezone.now() - datetime.timedelta(days=40)).date().replace(day=1),
            1,
            Decimal("20.00"),
            0,
            Decimal("0.00"),
        ),
    ]
    assert re.findall(r'<tr data-order="(SO\d+)"', html_of(response)) == [
        order.number for order in sales_history["orders"][::-1]
    ]


def test_my_sales_filters_by_month_and_shows_instalment_sales(client, sales, sales_history):
    client.force_login(sales)
    month = f"{timezone.localdate():%Y-%m}"

    orders = client.get(f"{MY_SALES}?month={month}&sort=created")
    plans = client.get(f"{MY_SALES}?show=plans", headers=HTMX_RESULTS)

    assert re.findall(r'<tr data-order="(SO\d+)"', html_of(orders)) == [
        order.number for order in sales_history["orders"][1:]
    ]
    assert re.findall(r'<tr data-plan="(IP\d+)"', html_of(plans)) == [sales_history["plan"].number]
    assert html_of(plans).lstrip().startswith('<section id="results"')


@pytest.mark.parametrize("size", [1, 8])
def test_my_sales_runs_a_constant_number_of_queries(client, sales, django_assert_num_queries, size):
    line = MobileLineFactory()
    for _n in range(size):
        create_service_order(
            kind=OrderKind.REOPEN_DATA, customer=line.customer, subscription=line, actor=sales
        )
    client.force_login(sales)
    # 1 the session, 2 user, 3 permissions; 4 the count, 5 the page of orders with customer, line
    # and product; 6 orders by month, 7 instalment sales by month.
    with django_assert_num_queries(7):
        client.get(MY_SALES)


def test_a_month_outside_the_last_twelve_is_a_400(client, sales, sales_history):
    client.force_login(sales)

    response = client.get(f"{MY_SALES}?month=2001-01", headers=EN)

    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["month"]
    assert reverse("workspaces:my-sales") == MY_SALES


# --- The API ------------------------------------------------------------------------------------


def test_the_api_recommends_after_the_gate_and_customers_ask_about_their_own_lines(
    sales, heavy_caller, personas, make_user
):
    api = APIClient()
    url = f"/api/v1/plan-recommendations/?subscription={heavy_caller.pk}"
    api.force_authenticate(sales)
    before = api.get(url)
    verify_in_hall(sales, heavy_caller.customer)
    after = api.get(url)
    missing = api.get("/api/v1/plan-recommendations/")
    broadband = MobileLineFactory.build(customer=heavy_caller.customer)
    broadband.kind, broadband.msisdn = SubscriptionKind.BROADBAND, None
    broadband.installation_address = "上海市浦东新区世纪大道100号"
    broadband.save()
    not_mobile = api.get(f"/api/v1/plan-recommendations/?subscription={broadband.pk}")
    owner = make_user(Role.CUSTOMER, username="heavy-caller")
    heavy_caller.customer.user = owner
    heavy_caller.customer.save(update_fields=["user"])
    api.force_authenticate(owner)
    own = api.get(url)
    api.force_authenticate(personas[Role.CUSTOMER])
    someone_elses = api.get(url)

    assert (before.status_code, before.json()["errors"][0]["code"]) == (
        403,
        "verification_required",
    )
    body = after.json()
    assert (body["current_plan"], body["best_plan"], body["saving"]) == (
        "DAZHONG",
        "DEMO_FEIYOUNG_39",
        "33.00",
    )
    assert [(plan["plan"]["code"], plan["total"]) for plan in body["plans"]] == [
        ("DEMO_FEIYOUNG_39", "162.00"),
        ("DAZHONG", "195.00"),
        ("DEMO_LEXIANG_129", "387.00"),
    ]
    assert (missing.status_code, not_mobile.status_code) == (400, 400)
    assert not_mobile.json()["errors"][0]["attr"] == "subscription"
    assert (own.status_code, own.json()["best_plan"]) == (200, "DEMO_FEIYOUNG_39")
    assert someone_elses.status_code == 404
