"""The commerce API: promotions (read), top-ups with offers, points and redemptions, instalment
plans (sale, eligibility, payoff, cancellation) and account status; scoped, gated, in the
schema, and each list in a constant number of queries."""

from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from billing.choices import LedgerEntryKind, PromotionKind, RewardKind
from billing.instalments import purchase_on_instalments
from billing.models import InstalmentPlan, PromotionRedemption
from billing.services import post_ledger_entry, top_up
from portal.roles import Role
from tests.billing.factories import (
    DeviceFactory,
    PromotionFactory,
    eligible_customer,
    today,
    verify_in_hall,
)
from tests.billing.test_bill_pages import verify_caller

D = Decimal
EN = {"accept-language": "en"}


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def codes(response) -> list[tuple]:
    return [(error["attr"], error["code"]) for error in response.json()["errors"]]


@pytest.fixture
def customer(customer_user):
    return eligible_customer(1, user=customer_user)


@pytest.fixture
def account(customer):
    return customer.billing_accounts.get()


@pytest.fixture
def seller(personas):
    return personas[Role.SALES_ADVISOR]


@pytest.fixture
def device(db):
    return DeviceFactory(code="DEV-API", price=D("3600.00"))


@pytest.fixture
def bill_credit(db):
    return PromotionFactory(
        code="points-credit",
        kind=PromotionKind.POINTS_REDEMPTION,
        min_amount=None,
        points_cost=100,
        reward=RewardKind.BILL_CREDIT,
        benefit_amount="1.00",
    )


def sold_plan(seller, customer, device, down="2400.00", **extra):
    verify_in_hall(seller, customer)
    return purchase_on_instalments(
        customer,
        device=device,
        months=3,
        down_payment=down,
        subscription=customer.subscriptions.first(),
        seller=seller,
        **extra,
    )


# --- Promotions -------------------------------------------------------------------------------


def test_customers_see_the_offers_running_today_without_their_budgets(customer_user, db):
    PromotionFactory(code="running", budget="1000.00")
    PromotionFactory(
        code="ended", valid_from=today().replace(year=2020), valid_to=today().replace(year=2021)
    )

    response = client_for(customer_user).get(reverse("billing-promotion-list"))

    body = response.json()
    assert [row["code"] for row in body["results"]] == ["running"]
    assert "budget" not in body["results"][0]


def test_staff_see_every_offer_with_its_use_and_may_narrow_to_today(personas, db):
    PromotionFactory(code="running", budget="1000.00")
    PromotionFactory(
        code="ended", valid_from=today().replace(year=2020), valid_to=today().replace(year=2021)
    )
    client = client_for(personas[Role.SALES_ADVISOR])

    everything = client.get(reverse("billing-promotion-list")).json()
    current = client.get(reverse("billing-promotion-list"), {"current": "true"}).json()
    one = client.get(reverse("billing-promotion-detail", args=["running"])).json()

    assert sorted(row["code"] for row in everything["results"]) == ["ended", "running"]
    assert [row["code"] for row in current["results"]] == ["running"]
    assert (one["budget"], one["redemptions"], one["benefit_granted"]) == ("1000.00", 0, "0.00")


@pytest.mark.parametrize("count", [2, 12])
def test_the_promotion_list_query_count_is_constant(
    customer_user, django_assert_num_queries, count
):
    for index in range(count):
        PromotionFactory(code=f"p{index}")
    client = client_for(customer_user)
    client.get(reverse("billing-promotion-list"))  # warms the permission cache

    # Permissions are cached on the user from the first request. 1 count, 2 the page with the
    # service of each offer.
    with django_assert_num_queries(2):
        response = client.get(reverse("billing-promotion-list"))

    assert response.json()["count"] == count


# --- Top-ups with offers ------------------------------------------------------------------------


def test_a_top_up_over_the_api_reports_its_offer_bonus_and_points(customer_user, account):
    PromotionFactory(code="topup-20")
    client = client_for(customer_user)
    body = {"account": account.account_number, "amount": "100.00", "channel": "online"}

    first = client.post(
        reverse("billing-top-up-list"), body, format="json", headers={"Idempotency-Key": "k1"}
    )
    again = client.post(
        reverse("billing-top-up-list"), body, format="json", headers={"Idempotency-Key": "k1"}
    )

    assert (first.status_code, again.status_code) == (201, 200)
    for response in (first, again):
        data = response.json()
        assert (data["promotion"], data["bonus"], data["points_earned"], data["balance_after"]) == (
            "topup-20",
            "20.00",
            100,
            "100.00",
        )
    assert PromotionRedemption.objects.count() == 1


def test_an_offer_that_does_not_apply_is_a_400_on_promotion(customer_user, account):
    PromotionFactory(code="topup-20")
    body = {
        "account": account.account_number,
        "amount": "50.00",
        "channel": "online",
        "promotion": "topup-20",
    }

    response = client_for(customer_user).post(
        reverse("billing-top-up-list"),
        body,
        format="json",
        headers={**EN, "Idempotency-Key": "offer-1"},
    )

    assert response.status_code == 400
    assert codes(response) == [("promotion", "promotion_not_eligible")]


# --- Points -------------------------------------------------------------------------------------


def test_a_customer_reads_their_points_and_redeems_them(
    customer_user, customer, account, bill_credit
):
    top_up(account, amount="150", channel="online", actor=customer_user)
    client = client_for(customer_user)

    summary = client.get(reverse("points-list")).json()
    redeemed = client.post(
        reverse("points-redemption-list"), {"promotion": "points-credit"}, format="json"
    )
    refused = client.post(
        reverse("points-redemption-list"), {"promotion": "points-credit"}, format="json", headers=EN
    )
    entries = client.get(reverse("points-entries")).json()

    assert (summary["balance"], [o["code"] for o in summary["offers"]]) == (150, ["points-credit"])
    assert summary["expiring"][0]["points"] == 150
    assert redeemed.status_code == 201
    assert (redeemed.json()["points_spent"], redeemed.json()["points_balance"]) == (100, 50)
    assert refused.status_code == 409
    assert refused.json()["errors"][0]["code"] == "not_enough_points"
    assert [row["points"] for row in entries["results"]] == [-100, 150]


def test_staff_read_points_after_verifying_the_caller_and_never_redeem(personas, customer):
    specialist = personas[Role.SERVICE_SPECIALIST]
    client = client_for(specialist)
    url = reverse("points-list")

    unnamed = client.get(url, headers=EN)
    unverified = client.get(url, {"customer": customer.pk}, headers=EN)
    verify_caller(specialist, customer)
    verified = client.get(url, {"customer": customer.pk})
    redeem = client.post(reverse("points-redemption-list"), {"promotion": "x"}, format="json")

    assert (unnamed.status_code, codes(unnamed)) == (400, [("customer", "required")])
    assert (unverified.status_code, unverified.json()["errors"][0]["code"]) == (
        403,
        "verification_required",
    )
    assert (verified.status_code, verified.json()["balance"]) == (200, 0)
    assert redeem.status_code == 403


def test_a_service_redemption_needs_one_of_the_customers_own_lines(
    customer_user, customer, account
):
    from crm.models import Product

    PromotionFactory(
        code="points-caller-id",
        kind=PromotionKind.POINTS_REDEMPTION,
        min_amount=None,
        benefit_amount="0",
        points_cost=10,
        reward=RewardKind.VALUE_ADDED_SERVICE,
        product=Product.objects.get(code="CALLER_ID"),
    )
    top_up(account, amount="10", channel="online", actor=customer_user)
    other = eligible_customer(9).subscriptions.get()
    client = client_for(customer_user)

    foreign = client.post(
        reverse("points-redemption-list"),
        {"promotion": "points-caller-id", "subscription": other.pk},
        format="json",
        headers=EN,
    )
    missing = client.post(
        reverse("points-redemption-list"),
        {"promotion": "points-caller-id"},
        format="json",
        headers=EN,
    )

    assert (foreign.status_code, codes(foreign)) == (400, [("subscription", "invalid")])
    assert (missing.status_code, codes(missing)) == (400, [("subscription", "line_required")])


@pytest.mark.parametrize("count", [3, 20])
def test_the_points_history_query_count_is_constant(
    customer_user, account, django_assert_num_queries, count
):
    for _ in range(count):
        top_up(account, amount="10", channel="online", actor=customer_user)
    client = client_for(customer_user)
    client.get(reverse("points-entries"))

    # 1 the login's customer record, 2 count, 3 the page.
    with django_assert_num_queries(3):
        response = client.get(reverse("points-entries"))

    assert response.json()["count"] == count


# --- Instalment plans ---------------------------------------------------------------------------


def test_a_sales_advisor_sells_on_instalments_over_the_api(seller, customer, device):
    verify_in_hall(seller, customer)
    body = {
        "customer": customer.pk,
        "device": "DEV-API",
        "months": 3,
        "down_payment": "2400.00",
        "subscription": customer.subscriptions.get().pk,
    }

    response = client_for(seller).post(reverse("instalment-plan-list"), body, format="json")

    data = response.json()
    assert response.status_code == 201
    assert (data["financed_amount"], data["interest_total"], data["status"]) == (
        "1200.00",
        "0.00",
        "active",
    )
    assert [due["amount"] for due in data["dues"]] == ["400.00"] * 3
    assert [event["kind"] for event in data["events"]] == ["created"]


def test_a_sale_without_the_conditions_is_refused_with_the_failed_one(seller, customer, device):
    body = {"customer": customer.pk, "device": "DEV-API", "months": 3, "down_payment": "2400.00"}
    client = client_for(seller)

    unverified = client.post(reverse("instalment-plan-list"), body, format="json", headers=EN)
    bad_term = client.post(
        reverse("instalment-plan-list"), {**body, "months": 5}, format="json", headers=EN
    )

    assert (unverified.status_code, unverified.json()["errors"][0]["code"]) == (
        409,
        "identity_not_verified",
    )
    assert (bad_term.status_code, codes(bad_term)) == (400, [("months", "invalid")])
    assert InstalmentPlan.objects.count() == 0


def test_the_eligibility_check_lists_every_condition_and_quotes_the_plan(seller, customer, device):
    verify_in_hall(seller, customer)

    response = client_for(seller).get(
        reverse("instalment-plan-eligibility"),
        {"customer": customer.pk, "device": "DEV-API", "months": 12, "down_payment": "600"},
    )

    data = response.json()
    assert data["eligible"] is True
    assert [check["passed"] for check in data["checks"]] == [True] * 6
    assert (data["quote"]["financed_amount"], data["quote"]["interest_total"]) == (
        "3000.00",
        "180.00",
    )
    assert len(data["quote"]["dues"]) == 12


def test_customers_see_only_their_own_plans(seller, customer, customer_user, device):
    mine = sold_plan(seller, customer, device)
    theirs = sold_plan(seller, eligible_customer(2), device)
    client = client_for(customer_user)

    listing = client.get(reverse("instalment-plan-list")).json()
    other = client.get(reverse("instalment-plan-detail", args=[theirs.pk]))

    assert [row["number"] for row in listing["results"]] == [mine.number]
    assert other.status_code == 404


def test_staff_list_one_customers_plans_or_the_ones_they_sold(personas, seller, customer, device):
    plan = sold_plan(seller, customer, device)
    specialist = client_for(personas[Role.SERVICE_SPECIALIST])

    unnamed = specialist.get(reverse("instalment-plan-list"), headers=EN)
    gated = specialist.get(reverse("instalment-plan-detail", args=[plan.pk]), headers=EN)
    own_sales = client_for(seller).get(reverse("instalment-plan-list"), {"mine": "true"}).json()

    assert unnamed.status_code == 400
    assert gated.status_code == 403
    assert [row["number"] for row in own_sales["results"]] == [plan.number]


def test_a_customer_pays_off_from_the_balance_and_may_not_cancel(
    seller, customer, customer_user, account, device
):
    plan = sold_plan(seller, customer, device)
    client = client_for(customer_user)

    too_low = client.post(reverse("instalment-plan-payoff", args=[plan.pk]), headers=EN)
    top_up(account, amount="1200", channel="online", actor=customer_user)
    paid = client.post(reverse("instalment-plan-payoff", args=[plan.pk]))
    cancel = client.post(reverse("instalment-plan-cancel", args=[plan.pk]), {"reason": "x"})

    assert (too_low.status_code, too_low.json()["errors"][0]["code"]) == (409, "balance_too_low")
    assert (paid.status_code, paid.json()["status"]) == (200, "paid_off")
    assert cancel.status_code == 403


def test_the_seller_cancels_a_purchase_within_the_return_period(seller, customer, device):
    plan = sold_plan(seller, customer, device)
    client = client_for(seller)

    no_reason = client.post(reverse("instalment-plan-cancel", args=[plan.pk]), {}, format="json")
    cancelled = client.post(
        reverse("instalment-plan-cancel", args=[plan.pk]), {"reason": "退机"}, format="json"
    )

    assert (no_reason.status_code, codes(no_reason)) == (400, [("reason", "required")])
    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")


@pytest.mark.parametrize("plans", [1, 4])
def test_the_plan_list_query_count_is_constant(
    seller, customer, customer_user, device, django_assert_num_queries, plans
):
    for _ in range(plans):
        sold_plan(seller, customer, DeviceFactory(code="DEV-CHEAP", price=D("600.00")), down="0")
    client = client_for(customer_user)
    client.get(reverse("instalment-plan-list"))

    # 1 count, 2 the page with customer, account, device, line and offer, 3 their dues.
    with django_assert_num_queries(3):
        response = client.get(reverse("instalment-plan-list"))

    assert response.json()["count"] == plans


# --- Account status -----------------------------------------------------------------------------


def test_account_status_shows_balance_bonus_and_arrears(customer_user, customer, account):
    PromotionFactory()
    top_up(account, amount="100", channel="online", actor=customer_user)
    post_ledger_entry(account, kind=LedgerEntryKind.USAGE_CHARGE, amount=D("-130.00"))
    from billing.arrears import review_account_standing

    review_account_standing()

    data = client_for(customer_user).get(reverse("account-status-list")).json()["results"][0]
    assert (data["balance"], data["bonus_balance"], data["refundable"]) == (
        "-10.00",
        "0.00",
        "0.00",
    )
    assert data["in_arrears"] is True
    assert [case["status"] for case in data["arrears_cases"]] == ["notified"]
    assert [event["kind"] for event in data["arrears_cases"][0]["events"]] == ["notified"]


@pytest.mark.parametrize("accounts", [1, 3])
def test_the_account_status_query_count_is_constant(
    customer_user, customer, django_assert_num_queries, accounts
):
    from billing.arrears import open_arrears_case
    from crm.models import BillingAccount

    for index in range(1, accounts):
        BillingAccount.objects.create(customer=customer, account_number=f"A99999000{index}")
    for account in customer.billing_accounts.all():
        post_ledger_entry(account, kind=LedgerEntryKind.USAGE_CHARGE, amount=D("-1.00"))
        open_arrears_case(account.pk)
    client = client_for(customer_user)
    client.get(reverse("account-status-list"))

    # Permissions are cached from the first request. 1 the login's customer record,
    # 2 accounts with balances, 3 the credit policy, 4 arrears cases, 5 their events,
    # 6 open low-balance reminders.
    with django_assert_num_queries(6):
        response = client.get(reverse("account-status-list"))

    assert response.json()["count"] == accounts


def test_the_commerce_endpoints_are_in_the_schema(client):
    schema = client.get(reverse("api-schema")).content.decode()

    for path in (
        "/api/v1/promotions/",
        "/api/v1/points/",
        "/api/v1/points/entries/",
        "/api/v1/points/redemptions/",
        "/api/v1/devices/",
        "/api/v1/instalment-plans/",
        "/api/v1/instalment-plans/eligibility/",
        "/api/v1/instalment-plans/{id}/payoff/",
        "/api/v1/instalment-plans/{id}/cancel/",
        "/api/v1/account-status/",
    ):
        assert f"{path}:" in schema


@pytest.mark.parametrize("count", [1, 5])
def test_the_top_up_list_reads_offers_and_points_in_the_same_query(
    customer_user, account, django_assert_num_queries, count
):
    PromotionFactory(code="topup-20")
    for _ in range(count):
        top_up(account, amount="100", channel="online", actor=customer_user)
    client = client_for(customer_user)
    client.get(reverse("billing-top-up-list"))

    # 1 count, 2 the page with account, ledger entry, offer used and points earned.
    with django_assert_num_queries(2):
        response = client.get(reverse("billing-top-up-list"))

    assert [row["bonus"] for row in response.json()["results"]] == ["20.00"] * count
