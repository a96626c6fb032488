"""CDR import + rating: a synthetic month of call detail records through the real import path.

python -m bench.cdr_import [--rows 1000000] [--lines 20000] [--seed 7]

Builds a throw-away database, creates the lines in bulk (DAZHONG, one in ten on the demo bundle
plan with inclusions, one in a hundred a heavy data user who passes the charge cap and the 20 GB
cut-off), streams a CSV of March 2026 to a temporary file (voice of every kind, SMS and data,
about 0.1 % bad rows of every kind), then times ``billing.cdr_import.import_cdrs`` — the function
``manage.py import_cdrs`` calls — and prints one JSON line. DEBUG is off, as in production.
"""

import argparse
import csv
import datetime
import os
import random
import tempfile
import time
from pathlib import Path

# Before Django starts: DEBUG off as in production (with it on, every query is also logged).
os.environ.setdefault("DEBUG", "false")

from bench.harness import benchmark_database, emit, peak_memory_mb

PLAN_DAZHONG = "DAZHONG"
PLAN_BUNDLE = "DEMO_FEIYOUNG_39"
MONTH_START = datetime.datetime(2026, 3, 1)
MONTH_SECONDS = 31 * 24 * 3600
# (event type, weight)
EVENT_MIX = [
    ("voice_out_local", 25),
    ("voice_out_ld", 8),
    ("voice_out_roaming", 4),
    ("voice_in", 10),
    ("voice_in_roaming", 3),
    ("sms", 20),
    ("data", 30),
]
BAD_ROWS = [
    ["{rid}", "{msisdn}", "video", "2026-03-05T10:00:00+08:00", "", "", ""],
    ["{rid}", "{msisdn}", "voice_out_local", "2026-03-32T10:00:00", "60", "", ""],
    ["{rid}", "{msisdn}", "voice_out_local", "2026-03-05T10:00:00", "-5", "", ""],
    ["{rid}", "{msisdn}", "data", "2026-03-05T10:00:00", "", "1.5", ""],
    ["{rid}", "{msisdn}", "data", "2026-03-05T10:00:00", "", "", ""],
    ["{rid}", "{msisdn}", "sms", "2026-03-05T10:00:00"],
    ["{rid}", "13300000000", "sms", "2026-03-05T10:00:00", "", "", ""],
]


def msisdn_of(n: int) -> str:
    return f"189{n:08d}"


def create_lines(count: int) -> None:
    """Customers, accounts, lines and their plans in bulk (the services are per-customer)."""
    from crm.choices import Channel, CustomerKind, DocumentType, SubscriptionKind
    from crm.models import BillingAccount, Customer, Product, Subscription, SubscriptionProduct

    activated = datetime.date(2026, 1, 15)
    customers = Customer.objects.bulk_create(
        [
            Customer(
                customer_number=f"{n:010d}",
                kind=CustomerKind.INDIVIDUAL,
                name=f"用户{n}",
                document_type=DocumentType.PASSPORT,
                document_number=f"BENCH{n:08d}",
                contact_phone=msisdn_of(n),
                channel=Channel.BUSINESS_HALL,
            )
            for n in range(count)
        ],
        batch_size=5_000,
    )
    accounts = BillingAccount.objects.bulk_create(
        [
            BillingAccount(account_number=f"B{n:010d}", customer=customer)
            for n, customer in enumerate(customers)
        ],
        batch_size=5_000,
    )
    lines = Subscription.objects.bulk_create(
        [
            Subscription(
                customer=customer,
                billing_account=account,
                kind=SubscriptionKind.MOBILE,
                msisdn=msisdn_of(n),
                activated_on=activated,
            )
            for n, (customer, account) in enumerate(zip(customers, accounts, strict=True))
        ],
        batch_size=5_000,
    )
    plans = {code: Product.objects.get(code=code) for code in (PLAN_DAZHONG, PLAN_BUNDLE)}
    SubscriptionProduct.objects.bulk_create(
        [
            SubscriptionProduct(
                subscription=line,
                product=plans[PLAN_BUNDLE if n % 10 == 3 else PLAN_DAZHONG],
                effective_from=activated,
            )
            for n, line in enumerate(lines)
        ],
        batch_size=5_000,
    )


def write_cdrs(path: Path, *, rows: int, lines: int, seed: int) -> None:
    """Stream a month of CDRs to ``path``; about one row in a thousand is bad."""
    rng = random.Random(seed)
    events, weights = zip(*EVENT_MIX, strict=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "record_id",
                "msisdn",
                "event_type",
                "started_at",
                "duration_s",
                "volume_kb",
                "counterpart",
            ]
        )
        batch = []
        for n in range(rows):
            rid = f"CDR{n:012d}"
            line = rng.randrange(lines)
            msisdn = msisdn_of(line)
            if n % 1000 == 999:
                template = BAD_ROWS[(n // 1000) % len(BAD_ROWS)]
                batch.append([cell.format(rid=rid, msisdn=msisdn) for cell in template])
            else:
                batch.append(random_cdr(rng, n, rid, line, msisdn, events, weights))
            if len(batch) >= 10_000:
                writer.writerows(batch)
                batch.clear()
        writer.writerows(batch)


def random_cdr(rng, n: int, rid: str, line: int, msisdn: str, events, weights) -> list[str]:
    if n % 5000 == 4998:
        rid = f"CDR{n - 1:012d}"  # the same record twice in the file
    moment = MONTH_START + datetime.timedelta(seconds=rng.randrange(MONTH_SECONDS))
    # Half the rows carry an offset (UTC), half are local time without one.
    if n % 2:
        started = (moment - datetime.timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M:%SZ")
    else:
        started = moment.strftime("%Y-%m-%dT%H:%M:%S")
    event = rng.choices(events, weights)[0]
    duration = volume = counterpart = ""
    if event.startswith("voice"):
        duration = str(int(rng.expovariate(1 / 120)))
        counterpart = f"139{rng.randrange(10**8):08d}"
    elif event == "sms":
        counterpart = f"139{rng.randrange(10**8):08d}"
    elif line % 100 == 7:
        # Heavy users: about 2 GB a session, through the charge cap and the cut-off.
        volume = str(rng.randrange(1_500_000, 2_500_000))
    else:
        volume = str(int(rng.expovariate(1 / 20_000)))
    return [rid, msisdn, event, started, duration, volume, counterpart]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--lines", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as workdir, benchmark_database():
        from billing.cdr_import import import_cdrs
        from billing.services import audit_ledger

        path = Path(workdir) / "cdrs.csv"
        write_cdrs(path, rows=args.rows, lines=args.lines, seed=args.seed)
        create_lines(args.lines)
        # ru_maxrss is the process's peak: what it was before shows what the import added.
        rss_before_import = peak_memory_mb()
        started = time.perf_counter()
        with path.open("rb") as source:
            result = import_cdrs(source, file_name=path.name)
        seconds = time.perf_counter() - started
        if audit_ledger():
            raise SystemExit("balance != sum(entries) after the import")
        cdr_import = result.cdr_import
        emit(
            "cdr_import",
            rows=cdr_import.rows,
            lines=args.lines,
            file_mb=round(path.stat().st_size / 2**20, 1),
            seconds=round(seconds, 2),
            rows_per_s=round(cdr_import.rows / seconds),
            peak_rss_mb=peak_memory_mb(),
            peak_rss_before_import_mb=rss_before_import,
            rated=cdr_import.rated,
            rejected=cdr_import.rejected,
            duplicates=cdr_import.duplicates,
            bad=cdr_import.bad_rows,
            ledger_entries=result.ledger_entries,
        )


if __name__ == "__main__":
    main()
