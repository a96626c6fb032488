"""Bill run: close a month for N mobile lines; wall time and peak memory of the real run.

python -m bench.bill_run [--lines 100000] [--period 2026-03]

Builds N lines in bulk (4 lines per customer and account; every line on DAZHONG, every 3rd with
caller ID, every 5th with ring-back tone, 1 in 10 activated during the month, so prorated),
3 rated usage records per line (a local call, an SMS, a data session), and a top-up on every
account. Then ``manage.py run_bill_run`` runs in a fresh process (so its peak RSS is the bill
run's alone, with DEBUG off as in production), and once more to time an idempotent re-run.
Prints one JSON line; the target on PostgreSQL is 100,000 lines in <= 60 s and <= 500 MB.
"""

import argparse
import datetime
import json
import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

# Before Django starts: with DEBUG on, every bulk INSERT would be kept in the query log.
os.environ.setdefault("DEBUG", "false")

from bench.harness import benchmark_database, database_url, emit

ROOT = Path(__file__).resolve().parent.parent
BATCH = 5000


def batched(rows, size=BATCH):
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def build(lines: int, period: datetime.date) -> None:
    """Rows straight into the tables (fixture data for a benchmark, not business writes)."""
    from django.utils import timezone

    from billing.choices import LedgerEntryKind, UsageEventType, UsageStatus
    from billing.models import CdrImport, LedgerEntry, PrepaidBalance, UsageRecord
    from crm.choices import Channel, CustomerKind, DocumentType, SubscriptionKind
    from crm.models import BillingAccount, Customer, Product, Subscription, SubscriptionProduct

    customers = (lines + 3) // 4
    start_pk = (Customer.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1

    def customer_rows():
        for n in range(customers):
            yield Customer(
                customer_number=f"9{n:09d}",
                kind=CustomerKind.INDIVIDUAL,
                name=f"客户{n}",
                document_type=DocumentType.PASSPORT,
                document_number=f"E{n:08d}",
                contact_phone=f"138{n:08d}",
                channel=Channel.BUSINESS_HALL,
            )

    for batch in batched(customer_rows()):
        Customer.objects.bulk_create(batch)
    customer_ids = list(
        Customer.objects.filter(pk__gte=start_pk).order_by("pk").values_list("pk", flat=True)
    )
    for batch in batched(customer_ids):
        BillingAccount.objects.bulk_create(
            BillingAccount(account_number=f"A{pk:010d}", customer_id=pk) for pk in batch
        )
    accounts = dict(
        BillingAccount.objects.filter(customer_id__in=customer_ids).values_list("customer", "pk")
    )
    for batch in batched(list(accounts.values())):
        PrepaidBalance.objects.bulk_create(
            PrepaidBalance(account_id=pk, balance=Decimal("100.00")) for pk in batch
        )
        LedgerEntry.objects.bulk_create(
            LedgerEntry(
                account_id=pk,
                kind=LedgerEntryKind.TOP_UP,
                amount=Decimal("100.00"),
                balance_after=Decimal("100.00"),
            )
            for pk in batch
        )

    def line_rows():
        for n in range(lines):
            customer = customer_ids[n // 4]
            yield Subscription(
                customer_id=customer,
                billing_account_id=accounts[customer],
                kind=SubscriptionKind.MOBILE,
                msisdn=f"139{n:08d}",
                activated_on=(
                    period.replace(day=1 + n % 28) if n % 10 == 0 else datetime.date(2025, 12, 1)
                ),
            )

    for batch in batched(line_rows()):
        Subscription.objects.bulk_create(batch)
    products = dict(Product.objects.values_list("code", "pk"))
    line_rows = list(
        Subscription.objects.filter(customer_id__in=customer_ids)
        .order_by("pk")
        .values_list("pk", "activated_on")
    )

    def product_rows():
        for n, (pk, activated_on) in enumerate(line_rows):
            yield SubscriptionProduct(
                subscription_id=pk, product_id=products["DAZHONG"], effective_from=activated_on
            )
            if n % 3 == 0:
                yield SubscriptionProduct(
                    subscription_id=pk,
                    product_id=products["CALLER_ID"],
                    effective_from=activated_on,
                )
            if n % 5 == 0:
                yield SubscriptionProduct(
                    subscription_id=pk,
                    product_id=products["RING_BACK_TONE"],
                    effective_from=activated_on,
                )

    for batch in batched(product_rows()):
        SubscriptionProduct.objects.bulk_create(batch)

    cdr_import = CdrImport.objects.create(file_name="bench.csv")
    started = timezone.make_aware(datetime.datetime.combine(period, datetime.time(9, 0)))

    def usage_rows():
        for n, (pk, _activated_on) in enumerate(line_rows):
            at = started + datetime.timedelta(days=27, minutes=n % 600)
            common = {
                "cdr_import_id": cdr_import.pk,
                "subscription_id": pk,
                "started_at": at,
                "billing_month": period,
                "status": UsageStatus.RATED,
            }
            yield UsageRecord(
                record_id=f"B{n:09d}L",
                event_type=UsageEventType.VOICE_OUT_LOCAL,
                duration_s=61 + n % 300,
                charged_units=2 + (n % 300) // 60,
                charge=Decimal("0.20") * (2 + (n % 300) // 60),
                tariff_rule="DAZHONG voice_out_local 0.20/min",
                counterpart="13800000000",
                **common,
            )
            yield UsageRecord(
                record_id=f"B{n:09d}S",
                event_type=UsageEventType.SMS,
                charged_units=1,
                charge=Decimal("0.10"),
                tariff_rule="DAZHONG sms 0.10",
                **common,
            )
            yield UsageRecord(
                record_id=f"B{n:09d}D",
                event_type=UsageEventType.DATA,
                volume_kb=1000 + n % 5000,
                charged_units=1000 + n % 5000,
                charge=(Decimal("0.0003") * (1000 + n % 5000)).quantize(Decimal("0.01")),
                tariff_rule="DAZHONG data 0.0003/KB",
                **common,
            )

    for batch in batched(usage_rows()):
        UsageRecord.objects.bulk_create(batch)


def run_child(period: str) -> dict:
    """The real command in a fresh process; returns its own measurement."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
    }
    # Our own interpreter and module, with a period the parent already parsed.
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "bench.bill_run", "--child", "--period", period],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=1800,
    )
    if done.returncode != 0:
        raise SystemExit(f"bill run failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def child(period: str) -> None:
    import resource

    from django.core.management import call_command

    started = time.perf_counter()
    call_command("run_bill_run", "--period", period, "--no-progress")
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    sys.stdout.write(json.dumps({"seconds": round(seconds, 2), "peak_rss_mb": round(peak, 1)}))
    sys.stdout.write("\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--period", default="2026-03")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.period)
        return

    from billing.bill_run import parse_period
    from billing.models import Bill, BillLine, LedgerEntry
    from billing.services import audit_ledger

    period = parse_period(args.period)
    with benchmark_database():
        started = time.perf_counter()
        build(args.lines, period)
        build_seconds = time.perf_counter() - started
        first = run_child(args.period)
        again = run_child(args.period)
        bills = Bill.objects.filter(period=period).count()
        figures = {
            "lines": args.lines,
            "seconds": first["seconds"],
            "peak_rss_mb": first["peak_rss_mb"],
            "bills": bills,
            "bill_lines": BillLine.objects.count(),
            "fee_entries": LedgerEntry.objects.filter(period=period).count(),
            "rerun_seconds": again["seconds"],
            "rerun_bills": Bill.objects.filter(period=period).count() - bills,
            "ledger_mismatches": len(audit_ledger()),
            "build_seconds": round(build_seconds, 1),
        }
    emit("bill_run", **figures)


if __name__ == "__main__":
    main()
