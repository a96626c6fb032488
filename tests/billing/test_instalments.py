"""Credit phone purchases: the eligibility check with each failure, schedules that add up, dues
charged on their dates or overdue, early payoff and cancellation with their ledger entries."""

import datetime
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError

from billing.choices import (
    InstalmentDueStatus,
    InstalmentEventKind,
    InstalmentPlanStatus,
    LedgerEntryKind,
)
from billing.error_codes import BillingErrorCode, EligibilityCode
from billing.instalments import (
    build_schedule,
    cancel_plan,
    charge_due_instalments,
    check_credit_purchase,
    interest_for,
    pay_off_plan,
    purchase_on_instalments,
)
from billing.models import InstalmentDue, InstalmentPlan, LedgerEntry
from billing.services import BillingError, audit_ledger, balance_of, post_ledger_entry, top_up
from crm.choices import DocumentType, Segment, SubscriptionStatus
from crm.services import transition_subscription
from portal.roles import Role
from tests.billing.factories import (
    DeviceFactory,
    eligible_customer,
    line_for_customer,
    today,
    verify_in_hall,
)
from tests.crm.factories import CustomerFactory, resident_id

D = Decimal


@pytest.fixture
def seller(make_user):
    return make_user(Role.SALES_ADVISOR, username="seller")


@pytest.fixture
def device(db):
    return DeviceFactory(code="DEV-3600", price=D("3600.00"))


def sell(seller, customer, device, *, months=3, down="2400.00", verify=True):
    if verify:
        verify_in_hall(seller, customer)
    return purchase_on_instalments(
        customer,
        device=device,
        months=months,
        down_payment=down,
        subscription=customer.subscriptions.first(),
        seller=seller,
    )


def dues_of(plan):
    return list(plan.dues.order_by("sequence"))


# --- Schedules ----------------------------------------------------------------------------------


def test_a_schedule_adds_up_to_the_fen_and_falls_on_month_ends():
    dues = build_schedule(D("1000.00"), D("10.01"), 3, datetime.date(2026, 1, 31))

    assert [(due.due_on, due.principal, due.interest, due.amount) for due in dues] == [
        (datetime.date(2026, 2, 28), D("333.34"), D("3.34"), D("336.68")),
        (datetime.date(2026, 3, 31), D("333.33"), D("3.34"), D("336.67")),
        (datetime.date(2026, 4, 30), D("333.33"), D("3.33"), D("336.66")),
    ]


@pytest.mark.parametrize("months", [3, 6, 12, 24])
@pytest.mark.parametrize("financed", ["0.01", "1.00", "2999.99", "5399.10"])
def test_every_schedule_sums_exactly_to_the_financed_amount_and_interest(months, financed):
    financed = D(financed)
    interest = interest_for(financed, months, D("0.006"))

    dues = build_schedule(financed, interest, months, datetime.date(2026, 5, 20))

    assert len(dues) == months
    assert sum(due.principal for due in dues) == financed
    assert sum(due.interest for due in dues) == interest
    assert max(due.amount for due in dues) - min(due.amount for due in dues) <= D("0.02")


def test_a_purchase_writes_the_plan_and_its_whole_schedule(seller, device):
    customer = eligible_customer(1)

    plan = sell(seller, customer, device, months=12, down="600.00")

    # 3000.00 financed over 12 months at 0.5 % a month: 180.00 interest.
    assert (plan.financed_amount, plan.interest_total, plan.monthly_rate) == (
        D("3000.00"),
        D("180.00"),
        D("0.005"),
    )
    dues = dues_of(plan)
    assert [due.due_on for due in dues] == [
        plan.purchased_on + relativedelta(months=k) for k in range(1, 13)
    ]
    assert {(due.principal, due.interest) for due in dues} == {(D("250.00"), D("15.00"))}
    assert plan.events.get().kind == InstalmentEventKind.CREATED
    # Nothing is charged at the purchase: the down payment is paid at the counter.
    assert LedgerEntry.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "extra"),
    [
        ("months", {"months": 9}),
        ("down_payment", {"down": "3600.00"}),
        ("down_payment", {"down": "x"}),
    ],
)
def test_bad_terms_are_field_errors(seller, device, field, extra):
    customer = eligible_customer(2)

    with pytest.raises(ValidationError) as refused:
        sell(seller, customer, device, **extra)

    assert list(refused.value.error_dict) == [field]
    assert InstalmentPlan.objects.count() == 0


# --- Eligibility --------------------------------------------------------------------------------


FINANCED = D("1200.00")


def failures(customer, seller, amount=FINANCED):
    result = check_credit_purchase(customer, seller=seller, financed_amount=amount)
    return [check.code for check in result.failures]


def test_an_adult_customer_in_good_standing_with_tenure_and_credit_is_eligible(seller):
    customer = eligible_customer(3)
    verify_in_hall(seller, customer)

    result = check_credit_purchase(customer, seller=seller, financed_amount=D("3000.00"))

    assert result.eligible
    assert [check.code for check in result.checks] == [
        EligibilityCode.IDENTITY_NOT_VERIFIED,
        EligibilityCode.NOT_IN_GOOD_STANDING,
        EligibilityCode.HAS_ARREARS,
        EligibilityCode.TOO_YOUNG,
        EligibilityCode.TENURE_TOO_SHORT,
        EligibilityCode.OVER_CREDIT_LIMIT,
    ]


def make_unverified(customer, seller):
    return customer


def make_suspended(customer, seller):
    transition_subscription(
        customer.subscriptions.get(), SubscriptionStatus.SUSPENDED, actor=seller, reason="挂失"
    )
    return customer


def make_owing(customer, seller):
    post_ledger_entry(
        customer.billing_accounts.get(), kind=LedgerEntryKind.USAGE_CHARGE, amount=D("-0.01")
    )
    return customer


def make_passport_holder(customer, seller):
    return eligible_customer(40, document_type=DocumentType.PASSPORT, document_number="E12345678")


def make_minor(customer, seller):
    return eligible_customer(41, document_number=resident_id(41, birth="20100301"))


def make_newcomer(customer, seller):
    newcomer = CustomerFactory()
    line_for_customer(newcomer, n=42, months_ago=2)
    return newcomer


def make_indebted(customer, seller):
    # 2000.00 still owed on an earlier plan: 1200.00 more passes the 3000.00 limit.
    verify_in_hall(seller, customer)
    purchase_on_instalments(
        customer, device=DeviceFactory(code="DEV-2000", price=D("2000.00")), months=6, seller=seller
    )
    return customer


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (make_unverified, EligibilityCode.IDENTITY_NOT_VERIFIED),
        (make_suspended, EligibilityCode.NOT_IN_GOOD_STANDING),
        (make_owing, EligibilityCode.HAS_ARREARS),
        (make_passport_holder, EligibilityCode.AGE_UNKNOWN),
        (make_minor, EligibilityCode.TOO_YOUNG),
        (make_newcomer, EligibilityCode.TENURE_TOO_SHORT),
        (make_indebted, EligibilityCode.OVER_CREDIT_LIMIT),
    ],
    ids=lambda value: value if isinstance(value, str) else value.__name__,
)
def test_each_failed_condition_is_named_and_refuses_the_purchase(seller, device, make, code):
    customer = make(eligible_customer(4), seller)
    if code != EligibilityCode.IDENTITY_NOT_VERIFIED:
        verify_in_hall(seller, customer)

    assert failures(customer, seller) == [code]
    with pytest.raises(BillingError) as refused:
        sell(seller, customer, device, verify=False)
    assert refused.value.code == code


def test_an_overdue_instalment_is_not_good_standing(seller, device):
    customer = eligible_customer(5)
    plan = sell(seller, customer, device)
    charge_due_instalments(dues_of(plan)[0].due_on)

    assert failures(customer, seller, D("1.00")) == [EligibilityCode.NOT_IN_GOOD_STANDING]


def test_vip_customers_have_their_own_limits(seller):
    vip = CustomerFactory(segment=Segment.VIP)
    line_for_customer(vip, n=60, months_ago=0)  # no minimum time on the network for VIPs
    verify_in_hall(seller, vip)

    assert failures(vip, seller, D("9000.00")) == []
    assert failures(vip, seller, D("10000.01")) == [EligibilityCode.OVER_CREDIT_LIMIT]


def test_the_verification_must_be_the_sellers_own(seller, make_user, device):
    customer = eligible_customer(7)
    verify_in_hall(make_user(Role.SERVICE_SPECIALIST, username="colleague"), customer)

    assert failures(customer, seller) == [EligibilityCode.IDENTITY_NOT_VERIFIED]


# --- Dues ---------------------------------------------------------------------------------------


def test_dues_are_charged_from_the_balance_on_their_dates_once(seller, device):
    customer = eligible_customer(8)
    account = customer.billing_accounts.get()
    top_up(account, amount="1200", channel="online", actor=seller)
    plan = sell(seller, customer, device)
    first, _second, third = dues_of(plan)

    early = charge_due_instalments(first.due_on - datetime.timedelta(days=1))
    on_time = charge_due_instalments(first.due_on)
    again = charge_due_instalments(first.due_on)

    assert (early["paid"], on_time["paid"], again["paid"]) == (0, 1, 0)
    first.refresh_from_db()
    assert (first.status, first.ledger_entry.amount) == (InstalmentDueStatus.PAID, D("-400.00"))
    assert balance_of(account) == D("800.00")

    charge_due_instalments(third.due_on)  # the second and the third
    plan.refresh_from_db()
    assert plan.status == InstalmentPlanStatus.COMPLETED
    assert balance_of(account) == D("0.00")
    assert (
        list(
            LedgerEntry.objects.filter(kind=LedgerEntryKind.INSTALMENT).values_list(
                "amount", flat=True
            )
        )
        == [D("-400.00")] * 3
    )
    assert audit_ledger() == []


def test_a_due_the_balance_cannot_pay_becomes_overdue_and_a_top_up_pays_it(seller, device):
    customer = eligible_customer(9)
    account = customer.billing_accounts.get()
    top_up(account, amount="100", channel="online", actor=seller)
    plan = sell(seller, customer, device)
    first = dues_of(plan)[0]

    counts = charge_due_instalments(first.due_on)
    first.refresh_from_db()
    top_up(account, amount="300", channel="online", actor=seller)
    paid = InstalmentDue.objects.get(pk=first.pk)

    assert counts == {"paid": 0, "overdue": 1, "settled": 0}
    assert (first.status, first.overdue_since) == (InstalmentDueStatus.OVERDUE, first.due_on)
    assert paid.status == InstalmentDueStatus.PAID
    assert balance_of(account) == D("0.00")
    kinds = list(plan.events.order_by("pk").values_list("kind", flat=True))
    assert kinds == [
        InstalmentEventKind.CREATED,
        InstalmentEventKind.DUE_OVERDUE,
        InstalmentEventKind.DUE_PAID,
    ]


# --- Early payoff and cancellation ----------------------------------------------------------------


def test_an_early_payoff_charges_the_principal_left_and_waives_future_interest(seller, device):
    customer = eligible_customer(10)
    account = customer.billing_accounts.get()
    top_up(account, amount="5000", channel="online", actor=seller)
    plan = sell(seller, customer, device, months=12, down="600.00")
    charge_due_instalments(dues_of(plan)[1].due_on)  # two dues of 265.00 paid

    pay_off_plan(plan, actor=customer.user or seller)

    plan.refresh_from_db()
    assert plan.status == InstalmentPlanStatus.PAID_OFF
    payoff = LedgerEntry.objects.filter(kind=LedgerEntryKind.INSTALMENT).order_by("pk").last()
    assert payoff.amount == D("-2500.00")  # 10 × 250.00 principal, no interest
    assert balance_of(account) == D("5000.00") - 2 * D("265.00") - D("2500.00")
    statuses = [due.status for due in dues_of(plan)]
    assert statuses == [InstalmentDueStatus.PAID] * 2 + [InstalmentDueStatus.SETTLED] * 10
    assert audit_ledger() == []


def test_an_early_payoff_needs_the_balance_for_it(seller, device):
    customer = eligible_customer(11)
    top_up(customer.billing_accounts.get(), amount="1199.99", channel="online", actor=seller)
    plan = sell(seller, customer, device)

    with pytest.raises(BillingError) as refused:
        pay_off_plan(plan, actor=seller)

    assert refused.value.code == BillingErrorCode.BALANCE_TOO_LOW
    plan.refresh_from_db()
    assert plan.status == InstalmentPlanStatus.ACTIVE


def test_a_cancellation_in_the_return_period_refunds_the_dues_paid(seller, device, settings):
    settings.BILLING_INSTALMENT_CANCEL_DAYS = 40
    customer = eligible_customer(12)
    account = customer.billing_accounts.get()
    top_up(account, amount="500", channel="online", actor=seller)
    plan = sell(seller, customer, device)
    charge_due_instalments(dues_of(plan)[0].due_on)

    cancel_plan(plan, actor=seller, reason="七天内退机")

    plan.refresh_from_db()
    assert plan.status == InstalmentPlanStatus.CANCELLED
    refund = LedgerEntry.objects.get(kind=LedgerEntryKind.REFUND)
    assert refund.amount == D("400.00")
    assert balance_of(account) == D("500.00")
    assert [due.status for due in dues_of(plan)] == [
        InstalmentDueStatus.PAID,
        InstalmentDueStatus.CANCELLED,
        InstalmentDueStatus.CANCELLED,
    ]


def test_after_the_return_period_a_plan_can_only_be_paid_off(seller, device):
    customer = eligible_customer(13)
    plan = sell(seller, customer, device)
    InstalmentPlan.objects.filter(pk=plan.pk).update(
        purchased_on=today() - datetime.timedelta(days=8)
    )

    with pytest.raises(BillingError) as refused:
        cancel_plan(plan, actor=seller, reason="不想要了")
    with pytest.raises(BillingError) as no_reason:
        cancel_plan(plan, actor=seller, reason=" ")

    assert refused.value.code == BillingErrorCode.CANCELLATION_PERIOD_OVER
    assert no_reason.value.code == BillingErrorCode.REASON_REQUIRED


def test_a_closed_plan_cannot_be_cancelled_or_paid_off_again(seller, device):
    customer = eligible_customer(14)
    plan = sell(seller, customer, device)
    cancel_plan(plan, actor=seller, reason="退机")

    for act in (
        lambda: cancel_plan(plan, actor=seller, reason="again"),
        lambda: pay_off_plan(plan, actor=seller),
    ):
        with pytest.raises(BillingError) as refused:
            act()
        assert refused.value.code == BillingErrorCode.INVALID_TRANSITION


def test_amounts_are_shown_only_once_the_seller_verified_the_customer(seller):
    customer = eligible_customer(15)
    post_ledger_entry(
        customer.billing_accounts.get(), kind=LedgerEntryKind.USAGE_CHARGE, amount=D("-7.25")
    )

    def messages():
        result = check_credit_purchase(customer, seller=seller, financed_amount=D("100.00"))
        return " ".join(check.message for check in result.checks)

    before = messages()
    verify_in_hall(seller, customer)
    after = messages()

    assert ("-7.25" in before, "3000.00" in before) == (False, False)
    assert ("-7.25" in after, "3000.00" in after) == (True, True)
