"""Arrears: notice, suspension after the grace period, restoration at once by a top-up that
clears them; low-balance reminders once per dip. Every step recorded and told to the customer."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from billing.arrears import review_account_standing, standing_of
from billing.choices import (
    ArrearsCause,
    ArrearsEventKind,
    ArrearsStatus,
    InstalmentDueStatus,
    InstalmentPlanStatus,
    LedgerEntryKind,
)
from billing.instalments import charge_due_instalments, purchase_on_instalments
from billing.models import ArrearsCase, LowBalanceAlert
from billing.services import audit_ledger, balance_of, grant_adjustment, post_ledger_entry, top_up
from complaints.models import Notification
from complaints.selectors import customer_messages
from crm.choices import Segment, SubscriptionStatus
from crm.models import SubscriptionStatusChange
from crm.services import transition_subscription
from portal.roles import Role
from tests.billing.factories import (
    DeviceFactory,
    eligible_customer,
    line_for_customer,
    verify_in_hall,
)

D = Decimal


@pytest.fixture(autouse=True)
def _english():
    # Messages are written in the language active in the writer: English here, to read them.
    with translation.override("en"):
        yield


@pytest.fixture
def cashier(make_user):
    return make_user(Role.SALES_ADVISOR, username="cashier")


@pytest.fixture
def customer(db, make_user):
    customer = eligible_customer(1, user=make_user(Role.CUSTOMER, username="owner"))
    line_for_customer(customer, n=2)
    return customer


@pytest.fixture
def account(customer):
    return customer.billing_accounts.get()


def charge(account, amount: str):
    return post_ledger_entry(account, kind=LedgerEntryKind.USAGE_CHARGE, amount=-D(amount))


def after_grace(settings, now=None):
    now = now or timezone.now()
    return now + datetime.timedelta(hours=settings.BILLING_ARREARS_GRACE_HOURS, minutes=1)


def statuses(customer):
    return sorted(customer.subscriptions.values_list("status", flat=True))


def subjects(customer):
    return list(
        Notification.objects.filter(customer=customer, ticket__isnull=True)
        .order_by("pk")
        .values_list("subject", flat=True)
    )


def test_a_negative_balance_is_notified_then_suspended_then_restored_by_a_top_up(
    customer, account, cashier, settings
):
    charge(account, "12.50")
    now = timezone.now()

    first = review_account_standing(now)
    case = ArrearsCase.objects.get()
    within_grace = review_account_standing(now + datetime.timedelta(hours=1))
    suspended = review_account_standing(after_grace(settings, now))
    case.refresh_from_db()
    lines_while_suspended = statuses(customer)

    assert first == {"cleared": 0, "opened": 1, "suspended": 0, "reminded": 0}
    assert (case.cause, case.balance_at_opening) == (ArrearsCause.NEGATIVE_BALANCE, D("-12.50"))
    assert within_grace == {"cleared": 0, "opened": 0, "suspended": 0, "reminded": 0}
    assert suspended["suspended"] == 1
    assert case.status == ArrearsStatus.SUSPENDED
    assert lines_while_suspended == [SubscriptionStatus.SUSPENDED] * 2

    # Not enough: the lines stay barred. Enough: restored in the same transaction.
    top_up(account, amount="10", channel="online", actor=cashier)
    assert statuses(customer) == [SubscriptionStatus.SUSPENDED] * 2
    top_up(account, amount="5", channel="online", actor=customer.user)

    case.refresh_from_db()
    assert case.status == ArrearsStatus.CLEARED
    assert statuses(customer) == [SubscriptionStatus.ACTIVE] * 2
    assert list(case.events.order_by("pk").values_list("kind", flat=True)) == [
        ArrearsEventKind.NOTIFIED,
        ArrearsEventKind.LINE_SUSPENDED,
        ArrearsEventKind.LINE_SUSPENDED,
        ArrearsEventKind.LINE_RESTORED,
        ArrearsEventKind.LINE_RESTORED,
        ArrearsEventKind.CLEARED,
    ]
    changes = SubscriptionStatusChange.objects.order_by("pk")
    assert [(c.from_status, c.to_status, c.actor) for c in changes] == [
        (SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED, None),
        (SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED, None),
        (SubscriptionStatus.SUSPENDED, SubscriptionStatus.ACTIVE, customer.user),
        (SubscriptionStatus.SUSPENDED, SubscriptionStatus.ACTIVE, customer.user),
    ]
    assert subjects(customer) == [
        f"Arrears on account {account}",
        f"Service suspended on account {account}",
        f"Arrears cleared on account {account}",
    ]
    # The customer reads them under /my/messages/.
    assert customer_messages(customer.user).count() == 3


def test_the_notice_tells_what_to_pay_and_by_when(customer, account, settings):
    charge(account, "12.50")
    now = timezone.now()

    review_account_standing(now)

    notice = Notification.objects.get(customer=customer)
    deadline = timezone.localtime(ArrearsCase.objects.get().suspend_after)
    assert "12.50" in notice.body
    assert f"{deadline:%Y-%m-%d %H:%M}" in notice.body
    assert notice.address == customer.subscriptions.order_by("pk").first().msisdn


def test_arrears_paid_within_the_grace_period_suspend_nothing(customer, account, cashier, settings):
    charge(account, "3.00")
    now = timezone.now()
    review_account_standing(now)

    top_up(account, amount="3", channel="online", actor=cashier)
    later = review_account_standing(after_grace(settings, now))

    assert later["suspended"] == 0
    assert ArrearsCase.objects.get().status == ArrearsStatus.CLEARED
    assert statuses(customer) == [SubscriptionStatus.ACTIVE] * 2


def test_a_credit_other_than_a_top_up_is_noticed_by_the_sweep(
    customer, account, settings, personas
):
    supervisor = personas[Role.SUPERVISOR]
    charge(account, "8.00")
    now = timezone.now()
    review_account_standing(now)
    review_account_standing(after_grace(settings, now))

    grant_adjustment(account, amount="8.00", approver=supervisor, reason="争议退费")
    swept = review_account_standing(after_grace(settings, now))

    assert swept["cleared"] == 1
    assert statuses(customer) == [SubscriptionStatus.ACTIVE] * 2


def test_vip_customers_may_go_below_zero_down_to_their_credit_limit(db, settings):
    vip = eligible_customer(3, segment=Segment.VIP)
    account = vip.billing_accounts.get()

    charge(account, "100.00")
    within = review_account_standing()
    charge(account, "0.01")
    beyond = review_account_standing()

    assert (within["opened"], beyond["opened"]) == (0, 1)
    assert standing_of(account).owed == D("0.01")


def test_lines_suspended_for_another_reason_stay_suspended(customer, account, cashier, settings):
    lost, other = customer.subscriptions.order_by("pk")
    transition_subscription(lost, SubscriptionStatus.SUSPENDED, actor=cashier, reason="挂失")
    charge(account, "1.00")
    now = timezone.now()
    review_account_standing(now)
    review_account_standing(after_grace(settings, now))

    top_up(account, amount="1", channel="online", actor=cashier)

    lost.refresh_from_db()
    other.refresh_from_db()
    assert (lost.status, other.status) == (SubscriptionStatus.SUSPENDED, SubscriptionStatus.ACTIVE)


def test_a_second_sweep_or_two_at_once_open_one_case(customer, account):
    charge(account, "1.00")

    review_account_standing()
    review_account_standing()

    assert ArrearsCase.objects.count() == 1
    assert Notification.objects.filter(customer=customer).count() == 1


def test_accounts_without_live_lines_are_left_alone(db):
    customer = eligible_customer(4)
    line = customer.subscriptions.get()
    transition_subscription(line, SubscriptionStatus.TERMINATED, actor=None, reason="销户")
    charge(customer.billing_accounts.get(), "5.00")

    assert review_account_standing() == {"cleared": 0, "opened": 0, "suspended": 0, "reminded": 0}


# --- Low balance --------------------------------------------------------------------------------


def test_a_low_balance_is_reminded_once_per_dip(customer, account, cashier, settings):
    settings.BILLING_LOW_BALANCE_THRESHOLD = D("10.00")
    top_up(account, amount="12", channel="online", actor=cashier)

    above = review_account_standing()
    charge(account, "3.00")
    first = review_account_standing()
    charge(account, "1.00")
    same_dip = review_account_standing()
    top_up(account, amount="20", channel="online", actor=cashier)
    back_up = review_account_standing()
    charge(account, "25.00")
    second_dip = review_account_standing()

    assert [r["reminded"] for r in (above, first, same_dip, back_up, second_dip)] == [0, 1, 0, 0, 1]
    assert LowBalanceAlert.objects.filter(closed_at__isnull=False).count() == 1
    reminder = Notification.objects.filter(customer=customer).order_by("pk").first()
    assert "9.00" in reminder.body
    assert reminder.subject == f"Low balance on account {account}"


def test_an_account_in_arrears_gets_the_arrears_notice_not_a_reminder(customer, account):
    charge(account, "1.00")

    counts = review_account_standing()

    assert (counts["opened"], counts["reminded"]) == (1, 0)


# --- Instalments and arrears, end to end ----------------------------------------------------------


def test_an_overdue_instalment_leads_to_suspension_and_a_top_up_restores_everything(
    customer, account, cashier, settings
):
    top_up(account, amount="500", channel="online", actor=cashier)
    verify_in_hall(cashier, customer)
    plan = purchase_on_instalments(
        customer,
        device=DeviceFactory(code="DEV-E2E", price=D("3600.00")),
        months=3,
        down_payment="2400.00",
        subscription=customer.subscriptions.first(),
        seller=cashier,
    )
    first, second, third = plan.dues.order_by("sequence")

    # First due: paid from the balance. Second: 100.00 left, 400.00 due: overdue.
    assert charge_due_instalments(first.due_on) == {"paid": 1, "overdue": 0, "settled": 0}
    assert charge_due_instalments(second.due_on) == {"paid": 0, "overdue": 1, "settled": 0}
    now = timezone.now()
    assert review_account_standing(now)["opened"] == 1
    case = ArrearsCase.objects.get()
    assert (case.cause, case.overdue_at_opening) == (
        ArrearsCause.OVERDUE_INSTALMENT,
        D("400.00"),
    )
    assert review_account_standing(after_grace(settings, now))["suspended"] == 1
    assert statuses(customer) == [SubscriptionStatus.SUSPENDED] * 2

    # A top-up pays the overdue due and restores the lines at once.
    top_up(account, amount="300", channel="online", actor=customer.user)
    second.refresh_from_db()
    case.refresh_from_db()
    assert second.status == InstalmentDueStatus.PAID
    assert case.status == ArrearsStatus.CLEARED
    assert statuses(customer) == [SubscriptionStatus.ACTIVE] * 2
    assert balance_of(account) == D("0.00")

    # The last due, paid after another top-up: the plan is complete.
    top_up(account, amount="400", channel="online", actor=customer.user)
    charge_due_instalments(third.due_on)
    plan.refresh_from_db()
    assert plan.status == InstalmentPlanStatus.COMPLETED
    assert balance_of(account) == D("0.00")
    assert audit_ledger() == []
