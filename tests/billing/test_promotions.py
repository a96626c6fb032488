"""Promotions: each kind eligible, ineligible, expired, used up, and a retried payment; the best
offer or the customer's pick; the bonus kept apart from the paid balance."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from billing.choices import BankCode, LedgerEntryKind, PromotionKind, TopUpChannel
from billing.error_codes import BillingErrorCode
from billing.instalments import purchase_on_instalments
from billing.models import LedgerEntry, PrepaidBalance, Promotion, PromotionRedemption, TopUp
from billing.services import BillingError, audit_ledger, balance_of, post_ledger_entry, top_up
from crm.choices import Segment
from portal.roles import Role
from tests.billing.factories import (
    DeviceFactory,
    PromotionFactory,
    line_for_customer,
    today,
    verify_in_hall,
)
from tests.crm.factories import CustomerFactory, EnterpriseFactory

YESTERDAY = datetime.timedelta(days=-1)


@pytest.fixture
def cashier(make_user):
    return make_user(Role.SALES_ADVISOR, username="cashier")


@pytest.fixture
def account(db):
    return CustomerFactory().billing_accounts.get()


def bonus_entries(account):
    return list(
        LedgerEntry.objects.filter(account=account, kind=LedgerEntryKind.PROMOTION_BONUS)
        .order_by("pk")
        .values_list("amount", flat=True)
    )


# Each top-up kind with a payment that qualifies, the bonus it gives, and one that does not.
TOP_UP_KINDS = {
    "top_up_bonus": (
        {"kind": PromotionKind.TOP_UP_BONUS, "min_amount": "100.00", "benefit_amount": "20.00"},
        {"amount": "100.00", "channel": TopUpChannel.ONLINE},
        Decimal("20.00"),
        {"amount": "99.99", "channel": TopUpChannel.ONLINE},
    ),
    "bank_offer": (
        {
            "kind": PromotionKind.BANK_OFFER,
            "bank": BankCode.ICBC,
            "min_amount": None,
            "benefit_amount": "0",
            "benefit_percent": "5.00",
            "max_benefit": "8.00",
        },
        {"amount": "200.00", "channel": TopUpChannel.BANK_CARD, "bank": BankCode.ICBC},
        Decimal("8.00"),
        {"amount": "200.00", "channel": TopUpChannel.BANK_CARD, "bank": BankCode.CMB},
    ),
}


@pytest.fixture(params=sorted(TOP_UP_KINDS))
def offer(request, db):
    fields, good, bonus, bad = TOP_UP_KINDS[request.param]
    promotion = PromotionFactory(code=f"offer-{request.param}", **fields)
    return promotion, good, bonus, bad


def test_an_eligible_top_up_gets_the_bonus_as_its_own_entry(account, cashier, offer):
    promotion, good, bonus, _bad = offer

    result = top_up(account, actor=cashier, **good)

    paid = Decimal(good["amount"])
    redemption = PromotionRedemption.objects.get()
    assert (redemption.promotion, redemption.top_up, redemption.benefit_amount) == (
        promotion,
        result.top_up,
        bonus,
    )
    assert bonus_entries(account) == [bonus]
    # Both entries of the payment name the promotion.
    assert set(LedgerEntry.objects.values_list("promotion", flat=True)) == {promotion.pk}
    stored = PrepaidBalance.objects.get(account=account)
    assert (stored.balance, stored.bonus_balance) == (paid + bonus, bonus)
    promotion.refresh_from_db()
    assert (promotion.redemptions, promotion.benefit_granted) == (1, bonus)
    assert audit_ledger() == []


def test_an_ineligible_top_up_gets_nothing(account, cashier, offer):
    _promotion, _good, _bonus, bad = offer

    top_up(account, actor=cashier, **bad)

    assert bonus_entries(account) == []
    assert PromotionRedemption.objects.count() == 0


def test_an_ineligible_offer_named_by_the_customer_is_refused_on_its_field(account, cashier, offer):
    promotion, _good, _bonus, bad = offer

    with pytest.raises(BillingError) as refused:
        top_up(account, actor=cashier, promotion=promotion.code, **bad)

    assert (refused.value.code, refused.value.field) == (
        BillingErrorCode.PROMOTION_NOT_ELIGIBLE,
        "promotion",
    )
    assert (TopUp.objects.count(), LedgerEntry.objects.count()) == (0, 0)


def test_an_expired_offer_gives_nothing_and_is_refused_when_named(account, cashier, offer):
    promotion, good, _bonus, _bad = offer
    Promotion.objects.filter(pk=promotion.pk).update(
        valid_from=today() - datetime.timedelta(days=30), valid_to=today() + YESTERDAY
    )

    top_up(account, actor=cashier, **good)
    with pytest.raises(BillingError) as refused:
        top_up(account, actor=cashier, promotion=promotion.code, **good)

    assert refused.value.code == BillingErrorCode.PROMOTION_EXPIRED
    assert bonus_entries(account) == []
    assert TopUp.objects.count() == 1


def test_an_offer_that_has_not_started_is_not_given(account, cashier, offer):
    promotion, good, _bonus, _bad = offer
    Promotion.objects.filter(pk=promotion.pk).update(
        valid_from=today() + datetime.timedelta(days=1)
    )

    with pytest.raises(BillingError) as refused:
        top_up(account, actor=cashier, promotion=promotion.code, **good)

    assert refused.value.code == BillingErrorCode.PROMOTION_NOT_ELIGIBLE


@pytest.mark.parametrize(
    "limit",
    [{"max_redemptions": 1}, {"budget": "10.00"}],
    ids=["uses", "budget"],
)
def test_an_offer_used_up_gives_nothing_more(cashier, offer, limit):
    promotion, good, bonus, _bad = offer
    if "budget" in limit:
        limit = {"budget": bonus}  # room for one bonus only
    Promotion.objects.filter(pk=promotion.pk).update(**limit)
    first, second = (CustomerFactory().billing_accounts.get() for _ in range(2))

    top_up(first, actor=cashier, **good)
    top_up(second, actor=cashier, **good)
    with pytest.raises(BillingError) as refused:
        top_up(second, actor=cashier, promotion=promotion.code, **good)

    assert refused.value.code == BillingErrorCode.PROMOTION_EXHAUSTED
    assert (bonus_entries(first), bonus_entries(second)) == ([bonus], [])
    promotion.refresh_from_db()
    assert (promotion.redemptions, promotion.benefit_granted) == (1, bonus)


def test_a_retried_payment_gets_its_offer_once(account, cashier, offer):
    _promotion, good, bonus, _bad = offer

    first = top_up(account, actor=cashier, idempotency_key="pay-1", **good)
    again = top_up(account, actor=cashier, idempotency_key="pay-1", **good)

    assert (first.replayed, again.replayed, again.top_up) == (False, True, first.top_up)
    assert bonus_entries(account) == [bonus]
    assert PromotionRedemption.objects.count() == 1
    assert balance_of(account) == Decimal(good["amount"]) + bonus


def test_naming_an_offer_is_part_of_the_request_a_retry_must_repeat(account, cashier, offer):
    promotion, good, _bonus, _bad = offer
    top_up(account, actor=cashier, idempotency_key="pay-2", **good)

    with pytest.raises(BillingError) as refused:
        top_up(account, actor=cashier, idempotency_key="pay-2", promotion=promotion.code, **good)

    assert refused.value.code == BillingErrorCode.IDEMPOTENCY_KEY_REUSED


def test_the_per_customer_limit_counts_the_customers_uses(account, cashier):
    promotion = PromotionFactory(per_customer_limit=2)

    for _ in range(3):
        top_up(account, amount="100", channel="online", actor=cashier)
    with pytest.raises(BillingError) as refused:
        top_up(account, amount="100", channel="online", actor=cashier, promotion=promotion.code)

    assert refused.value.code == BillingErrorCode.PROMOTION_LIMIT_REACHED
    assert bonus_entries(account) == [Decimal("20.00"), Decimal("20.00")]


def test_a_segment_offer_is_only_for_that_segment(cashier):
    PromotionFactory(segment=Segment.VIP)
    standard = CustomerFactory().billing_accounts.get()
    vip = CustomerFactory(segment=Segment.VIP).billing_accounts.get()

    top_up(standard, amount="100", channel="online", actor=cashier)
    top_up(vip, amount="100", channel="online", actor=cashier)

    assert (bonus_entries(standard), bonus_entries(vip)) == ([], [Decimal("20.00")])


def test_the_best_offer_applies_unless_the_customer_picks_one(cashier):
    PromotionFactory(code="flat-20")
    PromotionFactory(code="pct-5", benefit_amount="0", benefit_percent="5.00", min_amount="100.00")
    first, second = (CustomerFactory().billing_accounts.get() for _ in range(2))

    top_up(first, amount="500", channel="online", actor=cashier)
    top_up(second, amount="500", channel="online", actor=cashier, promotion="flat-20")

    assert (bonus_entries(first), bonus_entries(second)) == ([Decimal("25.00")], [Decimal("20.00")])


def test_an_unknown_offer_code_is_a_field_error(account, cashier):
    with pytest.raises(ValidationError) as refused:
        top_up(account, amount="100", channel="online", actor=cashier, promotion="no-such")

    assert list(refused.value.error_dict) == ["promotion"]


def test_a_bank_is_named_only_for_bank_card_top_ups(account, cashier):
    with pytest.raises(ValidationError) as refused:
        top_up(account, amount="100", channel="online", actor=cashier, bank=BankCode.ICBC)

    assert list(refused.value.error_dict) == ["bank"]


def test_debits_use_the_bonus_first_and_only_the_paid_part_is_refundable(account, cashier):
    PromotionFactory()
    top_up(account, amount="100", channel="online", actor=cashier)

    post_ledger_entry(account, kind=LedgerEntryKind.USAGE_CHARGE, amount=Decimal("-15.00"))
    after_small = PrepaidBalance.objects.get(account=account)
    post_ledger_entry(account, kind=LedgerEntryKind.MONTHLY_FEE, amount=Decimal("-10.00"))
    after_more = PrepaidBalance.objects.get(account=account)
    top_up(account, amount="50", channel="online", actor=cashier)
    after_paid = PrepaidBalance.objects.get(account=account)

    assert (after_small.balance, after_small.bonus_balance) == (Decimal("105.00"), Decimal("5.00"))
    assert (after_more.balance, after_more.bonus_balance) == (Decimal("95.00"), Decimal("0.00"))
    assert (after_paid.balance, after_paid.bonus_balance) == (Decimal("145.00"), Decimal("0.00"))


def test_the_bulk_ledger_uses_the_bonus_first_too(account, cashier):
    from billing.bulk_ledger import PendingEntry, post_ledger_entries

    PromotionFactory()
    top_up(account, amount="100", channel="online", actor=cashier)

    post_ledger_entries(
        [PendingEntry(account.pk, LedgerEntryKind.USAGE_CHARGE, Decimal("-12.50"))] * 2
    )

    stored = PrepaidBalance.objects.get(account=account)
    assert (stored.balance, stored.bonus_balance) == (Decimal("95.00"), Decimal("0.00"))
    assert audit_ledger() == []


# --- Enterprise group purchase ----------------------------------------------------------------


def enterprise_with_lines(lines: int, *, n: int):
    enterprise = EnterpriseFactory()
    for index in range(lines):
        line_for_customer(enterprise, n=n * 10 + index)
    return enterprise


@pytest.fixture
def group_price(db):
    return PromotionFactory(
        code="group-3",
        kind=PromotionKind.GROUP_PURCHASE,
        min_amount=None,
        min_group_size=3,
        benefit_amount="0",
        benefit_percent="10.00",
        max_benefit="300.00",
    )


def buy(seller, customer, **extra):
    verify_in_hall(seller, customer)
    return purchase_on_instalments(
        customer,
        device=DeviceFactory(code="DEV-GROUP"),
        months=12,
        down_payment="1000.00",
        seller=seller,
        **extra,
    )


def test_an_enterprise_with_enough_lines_gets_the_group_price(cashier, group_price):
    plan = buy(cashier, enterprise_with_lines(3, n=1))

    # 10 % of 3600.00 is 360.00, capped at 300.00; 1000.00 paid down.
    assert (plan.discount, plan.financed_amount, plan.promotion) == (
        Decimal("300.00"),
        Decimal("2300.00"),
        group_price,
    )
    assert PromotionRedemption.objects.get().instalment_plan == plan


def test_a_smaller_group_or_a_person_pays_the_full_price(cashier, group_price):
    small = buy(cashier, enterprise_with_lines(2, n=2))
    person = CustomerFactory()
    line_for_customer(person, n=30)
    personal = buy(cashier, person)

    assert (small.discount, personal.discount) == (Decimal("0.00"), Decimal("0.00"))
    with pytest.raises(BillingError) as refused:
        buy(cashier, enterprise_with_lines(2, n=4), promotion="group-3")
    assert refused.value.code == BillingErrorCode.PROMOTION_NOT_ELIGIBLE


def test_an_expired_or_used_up_group_price_is_not_given(cashier, group_price):
    Promotion.objects.filter(pk=group_price.pk).update(max_redemptions=1)
    first = buy(cashier, enterprise_with_lines(3, n=5))
    second = buy(cashier, enterprise_with_lines(3, n=6))
    Promotion.objects.filter(pk=group_price.pk).update(
        max_redemptions=None,
        valid_from=today() - datetime.timedelta(days=30),
        valid_to=today() + YESTERDAY,
    )
    third = buy(cashier, enterprise_with_lines(3, n=7))

    assert [plan.discount for plan in (first, second, third)] == [
        Decimal("300.00"),
        Decimal("0.00"),
        Decimal("0.00"),
    ]
