"""The monthly bill run: fees by the fee rule (prorated in 28-, 30- and 31-day months), usage
by bill line, one bill per active mobile line, and safe re-runs."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from billing.bill_run import (
    VERIFICATION_ALPHABET,
    BillRunError,
    new_verification_code,
    parse_period,
    previous_period,
    run_bill_run,
)
from billing.choices import LedgerEntryKind, TopUpChannel, UsageEventType, UsageStatus
from billing.models import Bill, BillLine, LedgerEntry, PrepaidBalance
from billing.services import audit_ledger, balance_of, post_ledger_entry, top_up
from billing.tasks import run_bill_run_task
from crm.choices import SubscriptionKind, SubscriptionStatus
from crm.models import Product, Subscription, SubscriptionProduct
from tests.billing.factories import UsageRecordFactory
from tests.crm.factories import CustomerFactory, MobileLineFactory

MARCH = datetime.date(2026, 3, 1)


def at(day: int, hour: int = 10, month: int = 3) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(2026, month, day, hour, 0))


def add_product(line, code: str, effective_from: datetime.date | None = None, **extra):
    return SubscriptionProduct.objects.create(
        subscription=line,
        product=Product.objects.get(code=code),
        effective_from=effective_from or line.activated_on,
        **extra,
    )


def record(line, event_type, *, units, charge, day=10, status=UsageStatus.RATED, **fields):
    return UsageRecordFactory(
        subscription=line,
        event_type=event_type,
        started_at=at(day),
        charged_units=units,
        charge=Decimal(charge),
        status=status,
        tariff_rule=f"DAZHONG {event_type}",
        **fields,
    )


@pytest.fixture
def customer(db):
    return CustomerFactory(name="王小明")


@pytest.fixture
def account(customer):
    return customer.billing_accounts.get()


@pytest.fixture
def busy_line(customer):
    """Whole March: DAZHONG 5.00 + caller ID 5.00, and usage of every kind."""
    line = MobileLineFactory(customer=customer, activated_on=datetime.date(2026, 1, 15))
    add_product(line, "CALLER_ID")
    local = UsageEventType.VOICE_OUT_LOCAL
    record(line, local, units=2, charge="0.40", duration_s=61)
    record(line, local, units=1, charge="0.20", duration_s=30)
    record(line, UsageEventType.VOICE_IN, units=2, charge="0.00", duration_s=120)
    record(line, UsageEventType.VOICE_OUT_LD, units=2, charge="0.60", duration_s=90)
    record(line, UsageEventType.VOICE_OUT_ROAMING, units=1, charge="0.60", duration_s=60)
    record(line, UsageEventType.VOICE_IN_ROAMING, units=2, charge="0.80", duration_s=61)
    for _ in range(3):
        record(line, UsageEventType.SMS, units=1, charge="0.10", duration_s=None)
    record(line, UsageEventType.DATA, units=1000, charge="0.30", duration_s=None, volume_kb=1000)
    record(line, UsageEventType.DATA, units=1, charge="0.01", duration_s=None, volume_kb=1)
    # Not on the March bill: a rejected session, and February's usage.
    record(
        line,
        UsageEventType.DATA,
        units=0,
        charge="0.00",
        duration_s=None,
        volume_kb=5000,
        status=UsageStatus.REJECTED,
        rejection_reason="over the 20 GB cut-off",
    )
    UsageRecordFactory(
        subscription=line, started_at=at(27, month=2), charged_units=9, charge=Decimal("1.80")
    )
    return line


@pytest.fixture
def new_line(customer):
    """Activated on 17 March with ring-back tone: 15 of 31 days, no usage."""
    line = MobileLineFactory(customer=customer, activated_on=datetime.date(2026, 3, 17))
    add_product(line, "RING_BACK_TONE")
    return line


@pytest.fixture
def lines_not_billed_in_march(customer):
    gone = MobileLineFactory(
        customer=customer,
        activated_on=datetime.date(2025, 6, 1),
        status=SubscriptionStatus.TERMINATED,
        terminated_on=datetime.date(2026, 2, 28),
    )
    later = MobileLineFactory(customer=customer, activated_on=datetime.date(2026, 4, 1))
    broadband = Subscription.objects.create(
        customer=customer,
        billing_account=customer.billing_accounts.get(),
        kind=SubscriptionKind.BROADBAND,
        installation_address="上海市黄浦区南京东路1号",
        activated_on=datetime.date(2026, 1, 1),
    )
    add_product(broadband, "DEMO_BROADBAND_300M")
    return [gone, later, broadband]


def lines_of(bill) -> list[tuple[str, int, str]]:
    return [(line.kind, line.quantity, str(line.amount)) for line in bill.lines.order_by("pk")]


def test_bill_run_writes_one_bill_per_line_with_lines_by_kind(
    personas, account, busy_line, new_line, lines_not_billed_in_march
):
    top_up(account, amount="50.00", channel=TopUpChannel.ONLINE, actor=personas["outsider"])

    result = run_bill_run(MARCH)

    assert (result.lines, result.bills_created, result.already_billed) == (2, 2, 0)
    assert (result.fee_entries, result.fees_charged) == (2, Decimal("15.32"))
    busy = Bill.objects.get(subscription=busy_line, period=MARCH)
    assert lines_of(busy) == [
        ("monthly_fees", 2, "10.00"),
        ("local", 5, "0.60"),
        ("long_distance", 2, "0.60"),
        ("roaming", 3, "1.40"),
        ("sms", 3, "0.30"),
        ("data", 1001, "0.31"),
    ]
    assert busy.total == Decimal("13.21")
    fresh = Bill.objects.get(subscription=new_line, period=MARCH)
    assert lines_of(fresh) == [("monthly_fees", 2, "5.32")]
    assert fresh.total == Decimal("5.32")
    assert Bill.objects.count() == 2


def test_bill_run_debits_the_monthly_fees_once_per_line_and_keeps_the_ledger_balanced(
    personas, account, busy_line, new_line
):
    top_up(account, amount="50.00", channel=TopUpChannel.ONLINE, actor=personas["outsider"])

    run_bill_run(MARCH)

    fees = LedgerEntry.objects.filter(kind=LedgerEntryKind.MONTHLY_FEE).order_by("pk")
    assert [
        (entry.subscription_id, entry.period, entry.amount, entry.balance_after) for entry in fees
    ] == [
        (busy_line.pk, MARCH, Decimal("-10.00"), Decimal("40.00")),
        (new_line.pk, MARCH, Decimal("-5.32"), Decimal("34.68")),
    ]
    assert fees[0].description.endswith(": DAZHONG 5.00, CALLER_ID 5.00")
    assert balance_of(account) == Decimal("34.68")
    assert audit_ledger() == []


@pytest.mark.parametrize(
    ("period", "activated_on", "fees"),
    [
        # 28 days: 19 active days. 5 × 19/28 = 3.3928… ; 6 × 19/28 = 4.0714…
        (datetime.date(2026, 2, 1), datetime.date(2026, 2, 10), ["3.39", "4.07"]),
        # 30 days: 10 active days. 5 × 10/30 = 1.666… ; 6 × 10/30 = 2
        (datetime.date(2026, 4, 1), datetime.date(2026, 4, 21), ["1.67", "2.00"]),
        # 31 days: 15 active days. 5 × 15/31 = 2.4193… ; 6 × 15/31 = 2.9032…
        (datetime.date(2026, 3, 1), datetime.date(2026, 3, 17), ["2.42", "2.90"]),
    ],
)
def test_monthly_fees_are_prorated_by_day_in_the_activation_month(
    customer, account, period, activated_on, fees
):
    line = MobileLineFactory(customer=customer, activated_on=activated_on)
    add_product(line, "RING_BACK_TONE")

    run_bill_run(period)

    bill = Bill.objects.get(subscription=line)
    total = sum((Decimal(fee) for fee in fees), Decimal("0.00"))
    assert lines_of(bill) == [("monthly_fees", 2, str(total))]
    days = (period.replace(month=period.month + 1) - activated_on).days
    last_day = (period.replace(month=period.month + 1) - datetime.timedelta(days=1)).day
    assert bill.lines.get().tariff_rule == (
        f"DAZHONG {fees[0]} (5.00/month × {days}/{last_day} days); "
        f"RING_BACK_TONE {fees[1]} (6.00/month × {days}/{last_day} days)"
    )
    assert balance_of(account) == -total


def test_the_month_after_activation_charges_the_whole_fee(customer):
    line = MobileLineFactory(customer=customer, activated_on=datetime.date(2026, 3, 17))
    add_product(line, "RING_BACK_TONE")

    run_bill_run(datetime.date(2026, 4, 1))

    assert lines_of(Bill.objects.get(subscription=line)) == [("monthly_fees", 2, "11.00")]
    assert Bill.objects.get(subscription=line).lines.get().tariff_rule == (
        "DAZHONG 5.00; RING_BACK_TONE 6.00"
    )


def test_a_line_terminated_during_the_month_is_billed(customer):
    line = MobileLineFactory(
        customer=customer,
        activated_on=datetime.date(2025, 6, 1),
        status=SubscriptionStatus.TERMINATED,
        terminated_on=datetime.date(2026, 3, 1),
    )

    run_bill_run(MARCH)

    assert lines_of(Bill.objects.get(subscription=line)) == [("monthly_fees", 1, "5.00")]


def test_a_line_without_fees_or_usage_gets_an_empty_bill_and_no_ledger_entry(customer, account):
    line = MobileLineFactory(customer=customer, activated_on=datetime.date(2026, 1, 15))
    SubscriptionProduct.objects.filter(subscription=line).update(
        effective_to=datetime.date(2026, 2, 28)
    )

    run_bill_run(MARCH)

    bill = Bill.objects.get(subscription=line)
    assert (bill.total, lines_of(bill)) == (Decimal("0.00"), [])
    assert LedgerEntry.objects.count() == 0


def test_each_bill_line_names_the_plan_and_rates_it_was_built_from(busy_line):
    run_bill_run(MARCH)

    rules = dict(Bill.objects.get(subscription=busy_line).lines.values_list("kind", "tariff_rule"))
    assert rules == {
        "monthly_fees": "DAZHONG 5.00; CALLER_ID 5.00",
        "local": "DAZHONG: voice_out_local 0.20/min, voice_in 0.00/min, per started minute",
        "long_distance": "DAZHONG: voice_out_ld 0.30/min, per started minute",
        "roaming": (
            "DAZHONG: voice_out_roaming 0.60/min, voice_in_roaming 0.40/min, per started minute"
        ),
        "sms": "DAZHONG: sms 0.10 each",
        "data": (
            "DAZHONG: data 0.0003/KB per session, rounded up to the fen; "
            "cap 1000.00 incl. monthly fees; cut-off 20971520 KB; after re-opening 0.0003/KB"
        ),
    }


def test_running_the_same_period_again_changes_nothing(personas, account, busy_line, new_line):
    top_up(account, amount="50.00", channel=TopUpChannel.ONLINE, actor=personas["outsider"])
    run_bill_run(MARCH)
    bills_before = list(
        Bill.objects.values_list("pk", "subscription", "total", "verification_code")
    )
    lines_before = list(BillLine.objects.values_list("pk", "bill", "kind", "quantity", "amount"))
    entries_before = LedgerEntry.objects.count()

    again = run_bill_run(MARCH)

    assert (again.lines, again.bills_created, again.already_billed, again.fee_entries) == (
        2,
        0,
        2,
        0,
    )
    assert list(Bill.objects.values_list("pk", "subscription", "total", "verification_code")) == (
        bills_before
    )
    assert list(BillLine.objects.values_list("pk", "bill", "kind", "quantity", "amount")) == (
        lines_before
    )
    assert LedgerEntry.objects.count() == entries_before
    assert balance_of(account) == Decimal("34.68")
    assert audit_ledger() == []


def test_a_line_whose_fee_was_already_debited_gets_its_bill_without_a_second_debit(
    account, busy_line
):
    # As if an earlier run had charged the fee by hand (or crashed between two steps).
    post_ledger_entry(
        account,
        kind=LedgerEntryKind.MONTHLY_FEE,
        amount=Decimal("-10.00"),
        subscription=busy_line,
        period=MARCH,
    )

    result = run_bill_run(MARCH)

    assert (result.bills_created, result.fee_entries) == (1, 0)
    assert Bill.objects.get(subscription=busy_line).total == Decimal("13.21")
    assert LedgerEntry.objects.filter(kind=LedgerEntryKind.MONTHLY_FEE).count() == 1
    assert balance_of(account) == Decimal("-10.00")


def test_small_chunks_give_the_same_bills_as_one_chunk(customer, account):
    lines = [
        MobileLineFactory(customer=customer, activated_on=datetime.date(2026, 3, day))
        for day in (1, 9, 17, 25, 31)
    ]

    result = run_bill_run(MARCH, chunk_size=2)

    assert (result.lines, result.bills_created, result.fee_entries) == (5, 5, 5)
    totals = dict(Bill.objects.values_list("subscription", "total"))
    # 5 × 31/31, 5 × 23/31 = 3.709…, 5 × 15/31, 5 × 7/31 = 1.129…, 5 × 1/31 = 0.161…
    assert [str(totals[line.pk]) for line in lines] == ["5.00", "3.71", "2.42", "1.13", "0.16"]
    assert balance_of(account) == Decimal("-12.42")
    assert [
        str(value)
        for value in LedgerEntry.objects.order_by("pk").values_list("balance_after", flat=True)
    ] == ["-5.00", "-8.71", "-11.13", "-12.26", "-12.42"]
    assert audit_ledger() == []


def test_bill_run_creates_the_balance_row_of_an_account_that_had_none(customer, account):
    MobileLineFactory(customer=customer, activated_on=datetime.date(2026, 1, 15))
    assert PrepaidBalance.objects.filter(account=account).exists() is False

    run_bill_run(MARCH)

    assert PrepaidBalance.objects.get(account=account).balance == Decimal("-5.00")


def test_verification_codes_are_sixteen_unambiguous_characters_and_differ(busy_line, new_line):
    run_bill_run(MARCH)

    codes = list(Bill.objects.values_list("verification_code", flat=True))
    assert [len(code) for code in codes] == [16, 16]
    assert {char for code in codes for char in code} <= set(VERIFICATION_ALPHABET)
    assert set(VERIFICATION_ALPHABET) & set("01ILO") == set()
    assert codes[0] != codes[1]


def test_new_verification_code_draws_every_symbol():
    drawn = {char for _ in range(200) for char in new_verification_code()}

    assert drawn == set(VERIFICATION_ALPHABET)


def test_bill_run_refuses_a_month_that_has_not_ended(db):
    with pytest.raises(BillRunError):
        run_bill_run(datetime.date(2026, 3, 1), today=datetime.date(2026, 3, 31))
    with pytest.raises(BillRunError):
        run_bill_run(datetime.date(2026, 3, 2), today=datetime.date(2026, 5, 1))


def test_previous_period_is_the_month_before_today():
    assert previous_period(datetime.date(2026, 1, 1)) == datetime.date(2025, 12, 1)
    assert previous_period(datetime.date(2026, 3, 31)) == datetime.date(2026, 2, 1)


@pytest.mark.parametrize("text", ["2026-3-1", "2026/03", "March", "", "2026-13"])
def test_parse_period_refuses_anything_but_a_month(text):
    with pytest.raises(ValueError):
        parse_period(text)


def test_parse_period_reads_year_and_month():
    assert parse_period(" 2026-03 ") == MARCH


def test_command_runs_the_bill_run_and_reports_it(busy_line, new_line, capsys):
    call_command("run_bill_run", "--period", "2026-03", "--no-progress")
    call_command("run_bill_run", "--period", "2026-03", "--no-progress")

    lines = capsys.readouterr().out.splitlines()
    assert [line.rsplit(",", 1)[0] for line in lines] == [
        "2026-03: 2 lines, 2 bills created, 0 already billed, 2 monthly-fee entries (15.32 yuan)",
        "2026-03: 2 lines, 0 bills created, 2 already billed, 0 monthly-fee entries (0.00 yuan)",
    ]
    assert Bill.objects.count() == 2


@pytest.mark.parametrize(
    ("period", "message"),
    [
        ("2026-3", "--period: '2026-3' is not a month (YYYY-MM)"),
        ("2999-01", "2999-01 has not ended yet"),
    ],
)
def test_command_refuses_a_bad_period(db, period, message):
    with pytest.raises(CommandError) as refused:
        call_command("run_bill_run", "--period", period, "--no-progress")

    assert str(refused.value) == message


def test_celery_task_closes_the_given_month(busy_line, new_line):
    created = run_bill_run_task.apply(args=["2026-03-01"]).get()

    assert created == 2
    assert Bill.objects.filter(period=MARCH).count() == 2


def test_celery_task_without_a_period_closes_the_previous_month(customer):
    previous = previous_period()
    line = MobileLineFactory(customer=customer, activated_on=previous - datetime.timedelta(days=40))

    created = run_bill_run_task.apply().get()

    assert created == 1
    assert Bill.objects.get(subscription=line).period == previous
