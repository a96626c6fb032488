"""Points: earned from what is paid, redeemed for bill credit or a service, expired by rule,
never negative."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from billing.choices import LedgerEntryKind, PointsEntryKind, PromotionKind, RewardKind
from billing.error_codes import BillingErrorCode
from billing.models import LedgerEntry, PointsAccount, PointsEntry, PromotionRedemption
from billing.points import (
    audit_points,
    expire_points,
    lot_expiry,
    points_balance,
    points_for_payment,
    redeem_points,
)
from billing.services import BillingError, balance_of, top_up
from crm.choices import OrderKind, OrderStatus, Segment
from crm.models import Product, ServiceOrder
from portal.roles import Role
from tests.billing.factories import PromotionFactory, line_for_customer, today
from tests.crm.factories import CustomerFactory


@pytest.fixture
def cashier(make_user):
    return make_user(Role.SALES_ADVISOR, username="cashier")


@pytest.fixture
def customer(db):
    customer = CustomerFactory()
    line_for_customer(customer, n=1)
    return customer


@pytest.fixture
def account(customer):
    return customer.billing_accounts.get()


@pytest.fixture
def bill_credit(db):
    return PromotionFactory(
        code="points-credit",
        kind=PromotionKind.POINTS_REDEMPTION,
        min_amount=None,
        points_cost=300,
        reward=RewardKind.BILL_CREDIT,
        benefit_amount="3.00",
    )


def test_points_are_earned_from_what_is_paid_not_from_bonuses(account, customer, cashier):
    PromotionFactory()  # top up 100, get 20

    top_up(account, amount="100.50", channel="online", actor=cashier)
    top_up(account, amount="49.99", channel="online", actor=cashier)

    entries = list(PointsEntry.objects.order_by("pk").values_list("kind", "points", "remaining"))
    assert entries == [(PointsEntryKind.EARN, 100, 100), (PointsEntryKind.EARN, 49, 49)]
    assert points_balance(customer) == 149
    assert PointsEntry.objects.first().expires_on == lot_expiry(today())


def test_the_earning_rate_is_configurable(account, customer, cashier, settings):
    settings.BILLING_POINTS_PER_YUAN = 3

    top_up(account, amount="10.40", channel="online", actor=cashier)

    assert points_for_payment(Decimal("0.33")) == 0
    assert points_balance(customer) == 31


def test_a_retried_top_up_earns_once(account, customer, cashier):
    top_up(account, amount="100", channel="online", actor=cashier, idempotency_key="k")
    top_up(account, amount="100", channel="online", actor=cashier, idempotency_key="k")

    assert points_balance(customer) == 100
    assert PointsEntry.objects.count() == 1


@pytest.mark.parametrize(
    ("earned", "months", "expires"),
    [
        (datetime.date(2026, 3, 15), 24, datetime.date(2028, 3, 31)),
        (datetime.date(2026, 12, 1), 1, datetime.date(2027, 1, 31)),
        (datetime.date(2026, 1, 31), 1, datetime.date(2026, 2, 28)),
    ],
)
def test_lots_expire_at_the_end_of_the_month_the_rule_names(settings, earned, months, expires):
    settings.BILLING_POINTS_EXPIRY_MONTHS = months

    assert lot_expiry(earned) == expires


def test_redeeming_bill_credit_spends_points_and_credits_the_balance(
    account, customer, cashier, bill_credit
):
    top_up(account, amount="500", channel="online", actor=cashier)

    result = redeem_points(customer, bill_credit, actor=customer.user or cashier)

    assert (result.balance, points_balance(customer)) == (200, 200)
    credit = LedgerEntry.objects.get(kind=LedgerEntryKind.POINTS_CREDIT)
    assert (credit.amount, credit.promotion) == (Decimal("3.00"), bill_credit)
    assert balance_of(account) == Decimal("503.00")
    assert (result.redemption.points_spent, result.redemption.benefit_amount) == (
        300,
        Decimal("3.00"),
    )
    assert audit_points() == []


def test_redeeming_a_service_orders_it_and_credits_its_fee(account, customer, cashier):
    caller_id = Product.objects.get(code="CALLER_ID")
    offer = PromotionFactory(
        code="points-caller-id",
        kind=PromotionKind.POINTS_REDEMPTION,
        min_amount=None,
        benefit_amount="0",
        points_cost=100,
        reward=RewardKind.VALUE_ADDED_SERVICE,
        product=caller_id,
        reward_months=3,
    )
    line = customer.subscriptions.get()
    top_up(account, amount="100", channel="online", actor=cashier)

    result = redeem_points(customer, offer, actor=cashier, subscription=line)

    order = ServiceOrder.objects.get()
    assert (order.kind, order.status, order.subscription, order.product, order.fee) == (
        OrderKind.SUBSCRIBE_SERVICE,
        OrderStatus.RECEPTION,
        line,
        caller_id,
        Decimal("0.00"),
    )
    assert result.redemption.service_order == order
    assert result.redemption.benefit_amount == caller_id.monthly_fee * 3
    assert points_balance(customer) == 0


def test_a_service_needs_one_of_the_customers_lines(customer, cashier):
    offer = PromotionFactory(
        code="points-service",
        kind=PromotionKind.POINTS_REDEMPTION,
        min_amount=None,
        points_cost=1,
        reward=RewardKind.VALUE_ADDED_SERVICE,
        product=Product.objects.get(code="CALLER_ID"),
    )
    other_line = line_for_customer(CustomerFactory(), n=2)

    with pytest.raises(BillingError) as refused:
        redeem_points(customer, offer, actor=cashier, subscription=other_line)

    assert (refused.value.code, refused.value.field) == (
        BillingErrorCode.LINE_REQUIRED,
        "subscription",
    )


def test_too_few_points_are_refused_and_nothing_changes(account, customer, cashier, bill_credit):
    top_up(account, amount="299", channel="online", actor=cashier)

    with pytest.raises(BillingError) as refused:
        redeem_points(customer, bill_credit, actor=cashier)

    assert refused.value.code == BillingErrorCode.NOT_ENOUGH_POINTS
    assert points_balance(customer) == 299
    assert PromotionRedemption.objects.count() == 0
    assert LedgerEntry.objects.filter(kind=LedgerEntryKind.POINTS_CREDIT).count() == 0


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"valid_to_days": -1}, BillingErrorCode.PROMOTION_EXPIRED),
        ({"max_redemptions": 0}, BillingErrorCode.PROMOTION_EXHAUSTED),
        ({"segment": Segment.VIP}, BillingErrorCode.PROMOTION_NOT_ELIGIBLE),
    ],
    ids=["expired", "used-up", "ineligible"],
)
def test_a_redemption_offer_that_does_not_apply_is_refused(
    account, customer, cashier, bill_credit, change, code
):
    top_up(account, amount="500", channel="online", actor=cashier)
    if "valid_to_days" in change:
        change = {
            "valid_from": today() - datetime.timedelta(days=30),
            "valid_to": today() + datetime.timedelta(days=change["valid_to_days"]),
        }
    type(bill_credit).objects.filter(pk=bill_credit.pk).update(**change)

    with pytest.raises(BillingError) as refused:
        redeem_points(customer, bill_credit, actor=cashier)

    assert refused.value.code == code
    assert points_balance(customer) == 500


def test_redemptions_take_from_the_lots_that_expire_first(account, customer, cashier, bill_credit):
    top_up(account, amount="200", channel="online", actor=cashier)
    top_up(account, amount="200", channel="online", actor=cashier)
    older, newer = PointsEntry.objects.order_by("pk")
    PointsEntry.objects.filter(pk=newer.pk).update(expires_on=today() + datetime.timedelta(days=5))

    redeem_points(customer, bill_credit, actor=cashier)

    older.refresh_from_db()
    newer.refresh_from_db()
    assert (newer.remaining, older.remaining) == (0, 100)
    assert audit_points() == []


def test_expiry_takes_what_is_left_of_lots_past_their_day(account, customer, cashier, bill_credit):
    top_up(account, amount="200", channel="online", actor=cashier)
    top_up(account, amount="300", channel="online", actor=cashier)
    redeem_points(
        customer, bill_credit, actor=cashier
    )  # 200 from the first lot, 100 from the second
    _first, second = PointsEntry.objects.filter(kind=PointsEntryKind.EARN).order_by("pk")
    PointsEntry.objects.filter(pk=second.pk).update(expires_on=today() - datetime.timedelta(days=1))

    expired = expire_points()
    again = expire_points()

    assert (expired, again) == (200, 0)
    assert points_balance(customer) == 0
    expiry = PointsEntry.objects.get(kind=PointsEntryKind.EXPIRE)
    assert (expiry.points, expiry.balance_after) == (-200, 0)
    assert audit_points() == []


def test_expired_points_cannot_be_redeemed_even_before_the_nightly_job(
    account, customer, cashier, bill_credit
):
    top_up(account, amount="300", channel="online", actor=cashier)
    PointsEntry.objects.update(expires_on=today() - datetime.timedelta(days=1))

    with pytest.raises(BillingError) as refused:
        redeem_points(customer, bill_credit, actor=cashier)

    assert refused.value.code == BillingErrorCode.NOT_ENOUGH_POINTS


def test_the_database_refuses_a_negative_points_balance(customer):
    PointsAccount.objects.create(customer=customer, balance=5)

    with pytest.raises(IntegrityError), transaction.atomic():
        PointsAccount.objects.filter(customer=customer).update(balance=-1)
