"""Commerce pages: the customer's points, instalments and account status; staff's account status
behind the verification gate; the sales advisor's instalment sale, plan, cancellation and
payoff. Chinese by default, each page in a constant number of queries."""

from decimal import Decimal

import pytest
from django.urls import reverse

from billing.arrears import open_arrears_case
from billing.choices import InstalmentPlanStatus, LedgerEntryKind, PromotionKind, RewardKind
from billing.instalments import purchase_on_instalments
from billing.models import InstalmentPlan, LedgerEntry
from billing.points import points_balance
from billing.services import post_ledger_entry, top_up
from crm.models import Product
from portal.roles import Role
from tests.billing.factories import (
    DeviceFactory,
    PromotionFactory,
    eligible_customer,
    verify_in_hall,
)
from tests.billing.test_bill_pages import verify_caller

D = Decimal
EN = {"accept-language": "en"}


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
    return DeviceFactory(code="DEV-PAGE", price=D("3600.00"))


def offers():
    PromotionFactory(
        code="points-credit",
        name="积分换话费",
        kind=PromotionKind.POINTS_REDEMPTION,
        min_amount=None,
        points_cost=100,
        reward=RewardKind.BILL_CREDIT,
        benefit_amount="1.00",
    )
    PromotionFactory(
        code="points-caller-id",
        name="积分换来电显示",
        kind=PromotionKind.POINTS_REDEMPTION,
        min_amount=None,
        benefit_amount="0",
        points_cost=100,
        reward=RewardKind.VALUE_ADDED_SERVICE,
        product=Product.objects.get(code="CALLER_ID"),
    )


def sold_plan(seller, customer, device, down="2400.00"):
    verify_in_hall(seller, customer)
    return purchase_on_instalments(
        customer,
        device=device,
        months=3,
        down_payment=down,
        subscription=customer.subscriptions.first(),
        seller=seller,
    )


# --- Points -------------------------------------------------------------------------------------


def test_the_points_page_is_in_chinese_and_redeems(client, customer_user, customer, account):
    offers()
    top_up(account, amount="250", channel="online", actor=customer_user)
    client.force_login(customer_user)

    page = client.get(reverse("billing:my-points"))
    redeemed = client.post(reverse("billing:my-points-redeem"), {"promotion": "points-credit"})

    body = page.content.decode()
    assert "<h1>我的积分</h1>" in body
    assert 'data-points="250"' in body
    assert redeemed.status_code == 302
    assert points_balance(customer) == 150
    assert LedgerEntry.objects.filter(kind=LedgerEntryKind.POINTS_CREDIT).count() == 1


def test_a_refused_redemption_is_shown_on_its_form(client, customer_user, customer, account):
    offers()
    top_up(account, amount="50", channel="online", actor=customer_user)
    client.force_login(customer_user)

    response = client.post(
        reverse("billing:my-points-redeem"), {"promotion": "points-credit"}, headers=EN
    )

    assert response.status_code == 400
    assert "costs 100 points; you have 50" in response.content.decode()


@pytest.mark.parametrize("top_ups", [1, 6])
def test_the_points_page_runs_a_constant_number_of_queries(
    client, customer_user, account, django_assert_num_queries, top_ups
):
    offers()
    for _ in range(top_ups):
        top_up(account, amount="10", channel="online", actor=customer_user)
    client.force_login(customer_user)
    # 1 the session, 2 user, 3 permissions, 4 the login's customer record, 5 redemption offers with
    # their services, 6 the customer's mobile lines, 7 entries count, 8 the page of entries, 9 the
    # points balance, 10 the lots expiring next.
    with django_assert_num_queries(10):
        response = client.get(reverse("billing:my-points"))

    assert len(response.context["entries"]) == top_ups


def test_staff_cannot_open_the_customers_own_pages(client, seller):
    client.force_login(seller)

    assert client.get(reverse("billing:my-points")).status_code == 403


# --- Instalments ------------------------------------------------------------------------------


def test_the_customer_sees_the_schedule_and_pays_off(
    client, seller, customer_user, customer, account, device
):
    plan = sold_plan(seller, customer, device)
    client.force_login(customer_user)

    page = client.get(reverse("billing:my-instalments"))
    too_low = client.post(reverse("billing:my-instalment-payoff", args=[plan.pk]), headers=EN)
    top_up(account, amount="1200", channel="online", actor=customer_user)
    paid = client.post(reverse("billing:my-instalment-payoff", args=[plan.pk]))

    assert page.content.decode().count('data-status="scheduled"') == 3
    assert too_low.status_code == 400
    assert "Top up first" in too_low.content.decode()
    assert paid.status_code == 302
    plan.refresh_from_db()
    assert plan.status == InstalmentPlanStatus.PAID_OFF


def test_a_customer_cannot_pay_off_someone_elses_plan(client, seller, customer_user, device):
    other = sold_plan(seller, eligible_customer(2), device)
    eligible_customer(3, user=customer_user)
    client.force_login(customer_user)

    assert client.post(reverse("billing:my-instalment-payoff", args=[other.pk])).status_code == 404


@pytest.mark.parametrize("plans", [1, 3])
def test_the_instalments_page_runs_a_constant_number_of_queries(
    client, seller, customer_user, customer, django_assert_num_queries, plans
):
    for _ in range(plans):
        sold_plan(seller, customer, DeviceFactory(code="DEV-600", price=D("600.00")), down="0")
    client.force_login(customer_user)
    # 1 the session, 2 user, 3 permissions, 4 the login's customer record, 5 plans with device,
    # line and offer, 6 their dues.
    with django_assert_num_queries(6):
        response = client.get(reverse("billing:my-instalments"))

    assert len(response.context["plans"]) == plans


# --- Account status -----------------------------------------------------------------------------


def arrears(account):
    post_ledger_entry(account, kind=LedgerEntryKind.USAGE_CHARGE, amount=D("-5.00"))
    return open_arrears_case(account.pk)


def test_the_customer_sees_their_arrears_and_its_history(client, customer_user, account):
    arrears(account)
    client.force_login(customer_user)

    body = client.get(reverse("billing:my-account-status")).content.decode()

    assert 'data-in-arrears="yes"' in body
    assert 'data-case-status="notified"' in body
    assert 'data-event="notified"' in body


def test_the_customer_status_page_runs_a_constant_number_of_queries(
    client, customer_user, account, django_assert_num_queries
):
    arrears(account)
    client.force_login(customer_user)
    # 1 the session, 2 user, 3 permissions, 4 the login's customer record, 5 accounts with
    # balances, 6 the credit policy, 7 arrears cases, 8 their events with lines and actors, 9 open
    # reminders, 10 line status changes, 11 points balance, 12 plans with their devices.
    with django_assert_num_queries(12):
        client.get(reverse("billing:my-account-status"))


def test_staff_see_the_account_status_after_verifying_the_caller(client, personas, customer):
    specialist = personas[Role.SERVICE_SPECIALIST]
    url = reverse("billing:customer-account-status", args=[customer.pk])
    client.force_login(specialist)

    before = client.get(url)
    verify_caller(specialist, customer)
    after = client.get(url)

    assert (before.status_code, after.status_code) == (403, 200)


# --- The sales advisor's instalment sale --------------------------------------------------------


def test_a_sale_from_the_customer_number_to_the_plan(client, seller, customer, device):
    client.force_login(seller)
    url = reverse("billing:instalment-sale")
    number = customer.customer_number

    step_one = client.get(url, {"customer": number})
    wrong = client.post(
        url, {"customer": number, "step": "verify", "id_number": "x", "name": customer.name}
    )
    checked = client.post(
        url,
        {
            "customer": number,
            "step": "verify",
            "id_number": customer.document_number,
            "name": customer.name,
        },
    )
    terms = {"customer": number, "device": device.pk, "months": 3, "down_payment": "2400"}
    quote = client.get(url, terms)
    sold = client.post(url, {**terms, "step": "sell", "subscription": ""})

    assert 'data-check="identity_not_verified" data-passed="no"' in step_one.content.decode()
    assert wrong.status_code == 400
    assert checked.status_code == 302
    quote_body = quote.content.decode()
    assert 'data-eligible="yes"' in quote_body
    assert 'data-financed="1200.00"' in quote_body
    plan = InstalmentPlan.objects.get()
    assert sold.url == reverse("billing:instalment-plan", args=[plan.pk])
    assert (plan.seller, plan.financed_amount) == (seller, D("1200.00"))
    assert plan.interaction.customer == customer


def test_an_ineligible_sale_is_refused_on_the_form(client, seller, customer, device):
    client.force_login(seller)

    response = client.post(
        reverse("billing:instalment-sale"),
        {
            "customer": customer.customer_number,
            "device": device.pk,
            "months": 3,
            "down_payment": "0",
            "step": "sell",
        },
        headers=EN,
    )

    assert response.status_code == 400
    assert "Verify the customer&#x27;s identity document" in response.content.decode()
    assert InstalmentPlan.objects.count() == 0


def test_the_seller_cancels_and_follows_their_plans(client, seller, customer, device):
    plan = sold_plan(seller, customer, device)
    client.force_login(seller)

    listing = client.get(reverse("billing:instalment-sales"))
    detail = client.get(reverse("billing:instalment-plan", args=[plan.pk]))
    cancelled = client.post(
        reverse("billing:instalment-cancel", args=[plan.pk]), {"reason": "七天内退机"}
    )

    assert f'data-plan="{plan.number}"' in listing.content.decode()
    assert detail.content.decode().count("data-due=") == 3
    assert cancelled.status_code == 302
    plan.refresh_from_db()
    assert plan.status == InstalmentPlanStatus.CANCELLED


def test_only_sales_advisors_sell_and_others_do_not_see_their_plans(
    client, personas, seller, customer, device
):
    plan = sold_plan(seller, customer, device)
    other_seller = personas[Role.SALES_ADVISOR].__class__.objects.create(username="seller2")
    other_seller.groups.add(*personas[Role.SALES_ADVISOR].groups.all())

    client.force_login(personas[Role.SERVICE_SPECIALIST])
    specialist = client.get(reverse("billing:instalment-sale"))
    client.force_login(personas[Role.CUSTOMER])
    customer_view = client.get(reverse("billing:instalment-sales"))
    client.force_login(other_seller)
    someone_elses = client.get(reverse("billing:instalment-plan", args=[plan.pk]))
    client.force_login(personas[Role.SUPERVISOR])
    supervisor = client.get(reverse("billing:instalment-plan", args=[plan.pk]))

    assert (specialist.status_code, customer_view.status_code) == (403, 403)
    assert (someone_elses.status_code, supervisor.status_code) == (404, 200)


@pytest.mark.parametrize("plans", [1, 4])
def test_the_sales_list_runs_a_constant_number_of_queries(
    client, seller, customer, django_assert_num_queries, plans
):
    for _ in range(plans):
        sold_plan(seller, customer, DeviceFactory(code="DEV-500", price=D("500.00")), down="0")
    client.force_login(seller)
    # 1 the session, 2 user, 3 permissions, 4 count, 5 the page of plans with device, customer and
    # seller.
    with django_assert_num_queries(5):
        response = client.get(reverse("billing:instalment-sales"))

    assert len(response.context["plans"]) == plans
