"""The catalog, lines and billing accounts API: decimals as strings, masked numbers, scope."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from rest_framework.test import APIClient

from crm.choices import ProductKind
from crm.models import Product, SubscriptionProduct
from portal.roles import Role
from tests.crm.factories import CustomerFactory, MobileLineFactory

PHONE = "13912345678"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def advisor(personas):
    return personas[Role.SALES_ADVISOR]


@pytest.fixture
def client(advisor):
    return client_for(advisor)


# --- Catalog ----------------------------------------------------------------------------------


def test_a_mobile_plan_shows_its_fees_and_rates_as_decimal_strings(client):
    plan = Product.objects.get(code="DAZHONG")

    body = client.get(reverse("crm-product-detail", args=[plan.pk])).json()

    assert body == {
        "id": plan.pk,
        "code": "DAZHONG",
        "kind": "mobile_plan",
        "name": "大众卡",
        "description": plan.description,
        "monthly_fee": "5.00",
        "one_time_fee": "0.00",
        "minimum_months": 0,
        "bandwidth_mbps": None,
        "valid_from": "2011-10-16",
        "valid_to": None,
        "is_demo": False,
        "components": [],
        "mobile_terms": {
            "local_call_per_minute": "0.200000",
            "long_distance_per_minute": "0.300000",
            "roaming_out_per_minute": "0.600000",
            "roaming_in_per_minute": "0.400000",
            "incoming_per_minute": "0.000000",
            "sms_each": "0.100000",
            "data_per_kb": "0.000300",
            "included_minutes": 0,
            "included_sms": 0,
            "included_data_kb": 0,
            "monthly_data_cap_kb": 20 * 1024 * 1024,
            "monthly_charge_cap": "1000.00",
            "reopened_data_per_kb": "0.000300",
        },
    }


def test_the_value_added_bundle_lists_its_nine_components_by_code(client):
    bundle = Product.objects.get(code="VAS_BUNDLE")

    body = client.get(reverse("crm-product-detail", args=[bundle.pk])).json()

    assert body["mobile_terms"] is None
    assert body["components"] == [
        "VAS_COLOUR_RING",
        "VAS_GAMES",
        "VAS_HEALTH",
        "VAS_MAIL_189",
        "VAS_MUSIC",
        "VAS_READING",
        "VAS_SECRETARY",
        "VAS_SPACE",
        "VAS_VIDEO",
    ]


def test_a_one_time_charge_shows_its_fee(client):
    card = Product.objects.get(code="UIM_CARD")

    body = client.get(reverse("crm-product-detail", args=[card.pk])).json()

    assert (body["kind"], body["one_time_fee"], body["monthly_fee"]) == (
        "one_time",
        "30.00",
        "0.00",
    )


def test_the_catalog_filters_by_kind_demo_flag_and_sale_date(client):
    url = reverse("crm-product-list")

    def codes(**params):
        return sorted(row["code"] for row in client.get(url, params).json()["results"])

    assert codes(kind="broadband_plan") == ["DEMO_BROADBAND_1000M", "DEMO_BROADBAND_300M"]
    assert codes(is_demo="true") == [
        "DEMO_BROADBAND_1000M",
        "DEMO_BROADBAND_300M",
        "DEMO_FEIYOUNG_39",
        "DEMO_FIXED_LINE",
        "DEMO_LEXIANG_129",
    ]
    # The demo plans go on sale on 2026-01-01; the tariff sheet is of 2011-10-16.
    assert codes(kind="mobile_plan", available_on="2025-12-31") == ["DAZHONG"]
    assert codes(kind="mobile_plan", available_on="2026-01-01") == [
        "DAZHONG",
        "DEMO_FEIYOUNG_39",
        "DEMO_LEXIANG_129",
    ]
    assert codes(available_on="2011-10-15") == []


def test_a_withdrawn_product_is_not_available_after_its_last_day(client):
    Product.objects.filter(code="DEMO_FEIYOUNG_39").update(valid_to=datetime.date(2026, 6, 30))
    url = reverse("crm-product-list")

    def codes(day):
        params = {"kind": "mobile_plan", "available_on": day}
        return [row["code"] for row in client.get(url, params).json()["results"]]

    assert "DEMO_FEIYOUNG_39" in codes("2026-06-30")
    assert "DEMO_FEIYOUNG_39" not in codes("2026-07-01")


def test_a_customer_may_browse_the_catalog(personas):
    response = client_for(personas[Role.CUSTOMER]).get(reverse("crm-product-list"))

    assert response.status_code == 200
    assert response.json()["count"] == Product.objects.count()


@pytest.mark.parametrize("count", [3, 10])
def test_catalog_list_query_count_is_constant(advisor, django_assert_num_queries, count):
    for n in range(count):
        Product.objects.create(
            code=f"TEST_FEATURE_{n}",
            kind=ProductKind.FEATURE,
            name=f"测试功能{n}",
            valid_from=datetime.date(2026, 1, 1),
            is_demo=True,
        )
    client = client_for(get_user_model().objects.get(pk=advisor.pk))

    # 1 the user's permissions (own and by group), 2 COUNT for the pager, 3 the page of
    # products joined with their mobile plan terms, 4 the bundle components of the page.
    with django_assert_num_queries(4):
        response = client.get(reverse("crm-product-list"), {"page_size": 200})

    assert len(response.json()["results"]) == Product.objects.count()


# --- Lines ------------------------------------------------------------------------------------


def test_lines_show_the_number_masked_and_the_current_plan(client):
    line = MobileLineFactory(msisdn=PHONE)

    listed = client.get(reverse("crm-subscription-list"))
    detail = client.get(reverse("crm-subscription-detail", args=[line.pk]))

    assert PHONE not in listed.content.decode()
    assert PHONE not in detail.content.decode()
    assert detail.json() == {
        "id": line.pk,
        "customer": line.customer_id,
        "customer_number": line.customer.customer_number,
        "billing_account": line.billing_account_id,
        "kind": "mobile",
        "msisdn": "139****5678",
        "fixed_number": "",
        "installation_address": "",
        "status": "active",
        "activated_on": "2026-01-15",
        "suspended_on": None,
        "terminated_on": None,
        "current_plan": {"code": "DAZHONG", "name": "大众卡"},
    }
    assert listed.json()["results"] == [detail.json()]


def test_a_plan_change_from_next_month_is_not_the_current_plan(client):
    line = MobileLineFactory(msisdn=PHONE)
    SubscriptionProduct.objects.filter(subscription=line).update(
        effective_to=datetime.date(2099, 12, 31)
    )
    SubscriptionProduct.objects.create(
        subscription=line,
        product=Product.objects.get(code="DEMO_LEXIANG_129"),
        effective_from=datetime.date(2100, 1, 1),
    )
    SubscriptionProduct.objects.create(
        subscription=line,
        product=Product.objects.get(code="CALLER_ID"),
        effective_from=datetime.date(2026, 1, 15),
    )

    body = client.get(reverse("crm-subscription-detail", args=[line.pk])).json()

    assert body["current_plan"] == {"code": "DAZHONG", "name": "大众卡"}


@pytest.mark.parametrize("number", [PHONE, "+86 139 1234 5678", "8613912345678"])
def test_lines_filter_by_the_full_mobile_number(client, number):
    line = MobileLineFactory(msisdn=PHONE)
    MobileLineFactory()

    response = client.get(reverse("crm-subscription-list"), {"msisdn": number})

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [line.pk]
    assert PHONE not in response.content.decode()


def test_a_malformed_mobile_number_filter_matches_nothing(client):
    MobileLineFactory(msisdn=PHONE)

    response = client.get(reverse("crm-subscription-list"), {"msisdn": "1391234"})

    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_lines_filter_by_customer_kind_and_status(client, advisor):
    line = MobileLineFactory()
    MobileLineFactory()
    url = reverse("crm-subscription-list")

    by_customer = client.get(url, {"customer": line.customer_id}).json()["results"]
    mobile = client.get(url, {"kind": "mobile"}).json()["count"]
    broadband = client.get(url, {"kind": "broadband"}).json()["count"]
    suspended = client.get(url, {"status": "suspended"}).json()["count"]

    assert [row["id"] for row in by_customer] == [line.pk]
    assert (mobile, broadband, suspended) == (2, 0, 0)


def test_a_customer_sees_only_their_own_lines_and_accounts(personas):
    user = personas[Role.CUSTOMER]
    own = MobileLineFactory(customer=CustomerFactory(user=user))
    other = MobileLineFactory()
    me = client_for(user)

    lines = me.get(reverse("crm-subscription-list")).json()["results"]
    accounts = me.get(reverse("crm-account-list")).json()["results"]

    assert [row["id"] for row in lines] == [own.pk]
    assert [row["id"] for row in accounts] == [own.billing_account_id]
    assert me.get(reverse("crm-subscription-detail", args=[other.pk])).status_code == 404
    assert me.get(reverse("crm-account-detail", args=[other.billing_account_id])).status_code == 404


@pytest.mark.parametrize("count", [3, 10])
def test_line_list_query_count_is_constant(advisor, django_assert_num_queries, count):
    for _ in range(count):
        MobileLineFactory()
    client = client_for(get_user_model().objects.get(pk=advisor.pk))

    # 1 the user's permissions (own and by group), 2 COUNT for the pager, 3 the page of lines
    # joined with customer and billing account, 4 today's products of the page with their
    # product (the current plan).
    with django_assert_num_queries(4):
        response = client.get(reverse("crm-subscription-list"))

    assert response.json()["count"] == count


# --- Billing accounts -------------------------------------------------------------------------


def test_billing_accounts_filter_by_customer_and_show_the_name_masked(client):
    customer = CustomerFactory(name="赵六")
    CustomerFactory()
    account = customer.billing_accounts.get()

    response = client.get(reverse("crm-account-list"), {"customer": customer.pk})

    assert response.json()["results"] == [
        {
            "id": account.pk,
            "account_number": f"A{customer.customer_number}",
            "customer": customer.pk,
            "customer_number": customer.customer_number,
            "customer_name": "赵*",
            "is_prepaid": True,
            "created_at": response.json()["results"][0]["created_at"],
        }
    ]
    assert "赵六" not in response.content.decode()


@pytest.mark.parametrize("count", [3, 10])
def test_billing_account_list_query_count_is_constant(advisor, django_assert_num_queries, count):
    for _ in range(count):
        CustomerFactory()
    client = client_for(get_user_model().objects.get(pk=advisor.pk))

    # 1 the user's permissions (own and by group), 2 COUNT for the pager, 3 the page of
    # accounts joined with their customer.
    with django_assert_num_queries(3):
        response = client.get(reverse("crm-account-list"))

    assert response.json()["count"] == count
