"""The arrears and low-balance sweep over many accounts, and the hourly instalment job.

python -m bench.account_standing [--accounts 50000] [--arrears 1000] [--low 1000] [--dues 1000]

Builds, in bulk (fixture rows, not business writes), ``--accounts`` customers, each with a
billing account, a mobile line and a prepaid balance: ``--arrears`` of them below zero,
``--low`` of them below the low-balance threshold, the rest well above it; and ``--dues``
instalment plans whose first due is today, half of them on accounts that cannot pay it. Then
``ANALYZE`` and, timed:

1. ``billing.arrears.review_account_standing`` as beat runs it (one sweep, at most 1,000 of each
   action): notices for the accounts in arrears, reminders for the low balances;
2. the same sweep again, with nothing left to do (what nearly every 5-minute run is);
3. the sweep after the grace period: the lines of every notified account suspended;
4. ``billing.instalments.charge_due_instalments`` for the day: each due charged or overdue.

Target: a sweep with nothing to do in a handful of queries and well under a second; acting on
1,000 accounts in a few seconds (the sweep runs every five minutes).
"""

import argparse
import datetime
import time
from decimal import Decimal

from bench.harness import benchmark_database, emit, peak_memory_mb

BATCH = 5000


class QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def timed(action) -> dict:
    from django.db import connection

    counter = QueryCounter()
    started = time.perf_counter()
    with connection.execute_wrapper(counter):
        result = action()
    return {
        "seconds": round(time.perf_counter() - started, 2),
        "queries": counter.count,
        "result": result,
    }


def build(accounts: int, arrears: int, low: int, dues: int) -> None:
    from django.db import connection
    from django.utils import timezone

    from billing.models import Device, InstalmentDue, InstalmentPlan, PrepaidBalance
    from crm.choices import Channel, CustomerKind, DocumentType, SubscriptionKind
    from crm.models import BillingAccount, Customer, Subscription
    from tests.portal.factories import UserFactory

    for start in range(0, accounts, BATCH):
        Customer.objects.bulk_create(
            Customer(
                customer_number=f"8{n:09d}",
                kind=CustomerKind.INDIVIDUAL,
                name=f"客户{n}",
                document_type=DocumentType.PASSPORT,
                document_number=f"T{n:08d}",
                contact_phone=f"137{n:08d}",
                channel=Channel.BUSINESS_HALL,
            )
            for n in range(start, min(start + BATCH, accounts))
        )
    customer_ids = list(Customer.objects.order_by("pk").values_list("pk", flat=True))
    BillingAccount.objects.bulk_create(
        (BillingAccount(account_number=f"T{pk:010d}", customer_id=pk) for pk in customer_ids),
        batch_size=BATCH,
    )
    account_ids = list(BillingAccount.objects.order_by("pk").values_list("pk", flat=True))
    Subscription.objects.bulk_create(
        (
            Subscription(
                customer_id=customer_id,
                billing_account_id=account_id,
                kind=SubscriptionKind.MOBILE,
                msisdn=f"136{n:08d}",
                activated_on=datetime.date(2025, 1, 1),
            )
            for n, (customer_id, account_id) in enumerate(
                zip(customer_ids, account_ids, strict=True)
            )
        ),
        batch_size=BATCH,
    )

    def balance(n: int) -> Decimal:
        if n < arrears:
            return Decimal("-12.50")
        if n < arrears + low:
            return Decimal("4.20")
        if n < arrears + low + dues:
            # Plans' accounts: half can pay the 100.00 due, half cannot.
            return Decimal("150.00") if n % 2 else Decimal("20.00")
        return Decimal("88.00")

    PrepaidBalance.objects.bulk_create(
        (PrepaidBalance(account_id=pk, balance=balance(n)) for n, pk in enumerate(account_ids)),
        batch_size=BATCH,
    )
    seller = UserFactory(username="bench-seller")
    device = Device.objects.create(code="BENCH", brand="B", name="B1", price=Decimal("400.00"))
    today = timezone.localdate()
    plan_accounts = account_ids[arrears + low : arrears + low + dues]
    InstalmentPlan.objects.bulk_create(
        (
            InstalmentPlan(
                number=f"IPBENCH{n:07d}",
                customer_id=customer_ids[arrears + low + n],
                account_id=account_id,
                device=device,
                device_price=Decimal("400.00"),
                financed_amount=Decimal("300.00"),
                down_payment=Decimal("100.00"),
                months=3,
                purchased_on=today - datetime.timedelta(days=31),
                seller=seller,
            )
            for n, account_id in enumerate(plan_accounts)
        ),
        batch_size=BATCH,
    )
    InstalmentDue.objects.bulk_create(
        (
            InstalmentDue(
                plan_id=plan_id,
                sequence=sequence,
                due_on=today + datetime.timedelta(days=31 * (sequence - 1)),
                principal=Decimal("100.00"),
                amount=Decimal("100.00"),
            )
            for plan_id in InstalmentPlan.objects.values_list("pk", flat=True)
            for sequence in (1, 2, 3)
        ),
        batch_size=BATCH,
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=50_000)
    parser.add_argument("--arrears", type=int, default=1_000)
    parser.add_argument("--low", type=int, default=1_000)
    parser.add_argument("--dues", type=int, default=1_000)
    args = parser.parse_args()

    from django.conf import settings
    from django.utils import timezone

    with benchmark_database():
        from billing.arrears import review_account_standing
        from billing.instalments import charge_due_instalments

        started = time.perf_counter()
        build(args.accounts, args.arrears, args.low, args.dues)
        build_seconds = time.perf_counter() - started
        now = timezone.now()
        grace = datetime.timedelta(hours=settings.BILLING_ARREARS_GRACE_HOURS, minutes=1)

        notices = timed(lambda: review_account_standing(now))
        idle = timed(lambda: review_account_standing(now))
        suspensions = timed(lambda: review_account_standing(now + grace))
        instalments = timed(lambda: charge_due_instalments())
        emit(
            "account_standing",
            accounts=args.accounts,
            build_seconds=round(build_seconds, 1),
            sweep_notices_and_reminders=notices,
            sweep_nothing_to_do=idle,
            sweep_suspensions=suspensions,
            instalments_due_today=instalments,
            peak_rss_mb=peak_memory_mb(),
        )


if __name__ == "__main__":
    main()
