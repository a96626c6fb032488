"""The customer 360 page with 100,000 customers and 1,000,000 records.

python -m bench.customer_360 [--customers 100000] [--repeat 200] [--profile]

Builds, with ``COPY`` on PostgreSQL (``portal.bulk_sql.insert_rows`` elsewhere), ``--customers``
customers, each with a billing account and its prepaid balance, a mobile line on the tariff
sheet's DAZHONG plan (every 5th also broadband), and in all 1,000,000 records for the page to
read around: 120,000 lines, 250,000 ledger entries, 350,000 usage records, 100,000 bills,
30,000 service orders, 30,000 tickets and 120,000 interactions (at 100,000 customers; the
counts scale with ``--customers``), plus this month's usage totals of every mobile line; then
``ANALYZE``. Two customers are measured: a typical one (one of each) and a busy one (3 lines,
36 bills, 40 orders, 40 tickets, 60 interactions).

Measured in-process with ``django.test.Client`` (``DEBUG=false``): the customer page
(``crm:customer-detail``) as a service specialist who verified the caller in their open
interaction (the flow: account detail shown, nothing logged) and as a supervisor (account
detail without verification: each look writes an access-log row), and the specialist's search
box finding the customer by phone number among the 100,000. For each: the queries of one
request (after a warm-up one), then p50/p95/max over ``--repeat`` requests after 5 warm-up
requests. Target: a constant number of queries; p95 <= 100 ms.
"""

import argparse
import datetime
import os
import time
from decimal import Decimal

# Before Django starts: requests run as in production, without the query log (queries are
# counted by CaptureQueriesContext, which turns the log on for its block only).
os.environ.setdefault("DEBUG", "false")

from bench.harness import benchmark_database, emit, peak_memory_mb, timings_ms

# Per 100,000 customers.
SHARES = {
    "ledger_entries": 250_000,
    "usage_records": 350_000,
    "bills": 100_000,
    "orders": 30_000,
    "tickets": 30_000,
    "interactions": 120_000,
}
BUSY = {"lines": 3, "bills": 36, "orders": 40, "tickets": 40, "interactions": 60}
STAFF = 10
SERVICE_PASSWORD = "123456"  # noqa: S105 - a throw-away customer's, for the benchmark


def copy_rows(model, rows, defaults: dict | None = None) -> int:
    """Insert ``rows`` (dicts of attribute names) into ``model``'s table; columns not in a row
    take ``defaults`` or the field's default. ``COPY`` on PostgreSQL, ``insert_rows`` else."""
    from django.db import connection
    from django.db.models import JSONField
    from django.utils import timezone

    from portal.bulk_sql import insert_rows

    now = timezone.now()
    defaults = defaults or {}
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    if model._meta.pk.remote_field is not None:  # a one-to-one primary key (prepaid balance)
        fields = [model._meta.pk, *fields]
    columns = []
    for field in fields:
        if field.attname in defaults:
            default = defaults[field.attname]
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            default = now
        else:
            default = field.get_default()
        columns.append((field, field.attname, default))
    count = 0
    if connection.vendor != "postgresql":
        names = [field.name for field, _attname, _default in columns]
        batch = []
        for row in rows:
            batch.append([row.get(attname, default) for _field, attname, default in columns])
            if len(batch) == 5_000:
                count += insert_rows(model, names, batch)
                batch = []
        return count + insert_rows(model, names, batch)
    from psycopg.types.json import Jsonb

    json_columns = {
        index for index, (field, *_rest) in enumerate(columns) if isinstance(field, JSONField)
    }
    quote = connection.ops.quote_name
    sql = (
        f"COPY {quote(model._meta.db_table)} "
        f"({', '.join(quote(field.column) for field, *_rest in columns)}) FROM STDIN"
    )
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            values = [row.get(attname, default) for _field, attname, default in columns]
            for index in json_columns:
                values[index] = Jsonb(values[index])
            copy.write_row(values)
            count += 1
    return count


def build(customers: int, now) -> dict:
    """The data set; returns the ids the measurement needs."""
    from django.contrib.auth.models import Group

    from billing.models import Bill, LedgerEntry, PrepaidBalance, UsageMonth, UsageRecord
    from complaints.models import Ticket
    from crm.models import (
        BillingAccount,
        Customer,
        Interaction,
        Product,
        ServiceOrder,
        Subscription,
        SubscriptionProduct,
    )
    from tests.portal.factories import UserFactory

    scale = customers / 100_000
    share = {name: int(count * scale) for name, count in SHARES.items()}
    staff = []
    for n in range(STAFF):
        user = UserFactory(username=f"bench-specialist-{n}")
        user.groups.add(Group.objects.get(name="service_specialist"))
        staff.append(user.pk)
    supervisor = UserFactory(username="bench-supervisor")
    supervisor.groups.add(Group.objects.get(name="supervisor"))
    cdrs = _cdr_import(staff[0])
    today = now.date()
    month = today.replace(day=1)

    copy_rows(
        Customer,
        (
            {
                "customer_number": f"8{n:09d}",
                "kind": "individual",
                "name": f"客户{n}",
                "document_type": "passport",
                "document_number": f"T{n:08d}",
                "contact_phone": f"137{n:08d}",
                "segment": "vip" if n % 20 == 0 else "standard",
                "channel": "business_hall",
            }
            for n in range(customers)
        ),
    )
    first_customer = Customer.objects.order_by("pk").values_list("pk", flat=True)[0]
    copy_rows(
        BillingAccount,
        (
            {"account_number": f"A{n:010d}", "customer_id": first_customer + n}
            for n in range(customers)
        ),
    )
    first_account = BillingAccount.objects.order_by("pk").values_list("pk", flat=True)[0]
    # Mobile lines first (line n of customer n), then broadband for every 5th customer.
    mobile = [(first_customer + n, first_account + n, f"136{n:08d}") for n in range(customers)]
    broadband = [(first_customer + n, first_account + n) for n in range(0, customers, 5)]
    copy_rows(
        Subscription,
        [
            {
                "customer_id": customer,
                "billing_account_id": account,
                "kind": "mobile",
                "msisdn": msisdn,
                "activated_on": datetime.date(2025, 1, 1 + n % 28),
            }
            for n, (customer, account, msisdn) in enumerate(mobile)
        ]
        + [
            {
                "customer_id": customer,
                "billing_account_id": account,
                "kind": "broadband",
                "installation_address": "上海市浦东新区世纪大道100号",
                "activated_on": datetime.date(2025, 3, 1),
            }
            for customer, account in broadband
        ],
    )
    first_line = Subscription.objects.order_by("pk").values_list("pk", flat=True)[0]
    plans = dict(
        Product.objects.filter(code__in=["DAZHONG", "DEMO_BROADBAND_300M"]).values_list(
            "code", "pk"
        )
    )
    broadband_plan = plans.get("DEMO_BROADBAND_300M") or plans["DAZHONG"]
    copy_rows(
        SubscriptionProduct,
        (
            {
                "subscription_id": first_line + n,
                "product_id": plans["DAZHONG"] if n < customers else broadband_plan,
                "effective_from": datetime.date(2025, 1, 1),
            }
            for n in range(customers + len(broadband))
        ),
    )
    copy_rows(
        PrepaidBalance,
        (
            {"account_id": first_account + n, "balance": Decimal("50.00") + n % 100}
            for n in range(customers)
        ),
    )
    copy_rows(
        LedgerEntry,
        (
            {
                "account_id": first_account + n % customers,
                "kind": "top_up" if n % 2 else "usage_charge",
                "amount": Decimal("30.00") if n % 2 else Decimal("-4.50"),
                "balance_after": Decimal("50.00"),
                "description": "充值" if n % 2 else "通话费",
                "created_at": now - datetime.timedelta(hours=n % 2000),
            }
            for n in range(share["ledger_entries"])
        ),
    )
    events = ("voice_out_local", "sms", "data", "voice_in", "voice_out_ld")
    copy_rows(
        UsageRecord,
        (
            {
                "record_id": f"B{n:011d}",
                "cdr_import_id": cdrs,
                "subscription_id": first_line + n % customers,
                "event_type": events[n % 5],
                "started_at": now - datetime.timedelta(minutes=7 * n % 40_000),
                "billing_month": (now - datetime.timedelta(minutes=7 * n % 40_000))
                .date()
                .replace(day=1),
                "duration_s": None if events[n % 5] in ("sms", "data") else 60 + n % 600,
                "volume_kb": 2048 if events[n % 5] == "data" else None,
                "counterpart": "13900000000",
                "charged_units": 1,
                "charge": Decimal("0.20"),
                "status": "rated",
                "tariff_rule": "DAZHONG",
            }
            for n in range(share["usage_records"])
        ),
    )
    copy_rows(
        UsageMonth,
        (
            {"subscription_id": first_line + n, "month": month, "data_kb": 1024 * (n % 4000)}
            for n in range(customers)
        ),
        defaults={
            "data_charge": Decimal("3.00"),
            "voice_charge": Decimal("1.20"),
            "sms_charge": Decimal("0.10"),
        },
    )
    periods = [(month - datetime.timedelta(days=28 * k)).replace(day=1) for k in range(1, 13)]
    copy_rows(
        Bill,
        (
            {
                "subscription_id": first_line + n % customers,
                "period": periods[n // customers % 12],
                "total": Decimal("38.50"),
                "verification_code": f"V{n:012d}",
            }
            for n in range(share["bills"])
        ),
    )
    copy_rows(
        ServiceOrder,
        (
            {
                "number": f"SB{n:010d}",
                "kind": "reopen_data",
                "status": "completed",
                "customer_id": first_customer + (n * 7) % customers,
                "subscription_id": first_line + (n * 7) % customers,
                "channel": "business_hall",
                "created_by_id": staff[n % STAFF],
                "created_at": now - datetime.timedelta(hours=n % 5000),
            }
            for n in range(share["orders"])
        ),
    )
    copy_rows(
        Interaction,
        (
            {
                "number": f"IB{n:010d}",
                "channel": "hotline",
                "customer_id": first_customer + (n * 3) % customers,
                "staff_id": staff[n % STAFF],
                "reason": "查询话费",
                "outcome": "information_given",
                "started_at": now - datetime.timedelta(minutes=11 * n % 500_000),
                "ended_at": now - datetime.timedelta(minutes=11 * n % 500_000 - 5),
            }
            for n in range(share["interactions"])
        ),
    )
    copy_rows(
        Ticket,
        (
            {
                "number": f"TB{n:010d}",
                "kind": "fault",
                "category": "mobile_signal",
                "priority": "high",
                "status": "closed" if n % 3 else "in_progress",
                "queue": "tech_support",
                "customer_id": first_customer + (n * 11) % customers,
                "subscription_id": first_line + (n * 11) % customers,
                "channel": "hotline",
                "subject": "家中信号差",
                "description": "客厅通话经常断线。",
                "created_by_id": staff[n % STAFF],
                "resolution_due_at": now + datetime.timedelta(hours=n % 48),
                "created_at": now - datetime.timedelta(hours=n % 3000),
            }
            for n in range(share["tickets"])
        ),
    )
    busy = first_customer + customers // 2 + 1
    _make_busy(busy, first_account + customers // 2 + 1, staff, cdrs, now)
    typical = first_customer + customers // 3
    return {"typical": typical, "busy": busy, "staff": staff, "supervisor": supervisor.pk}


def _cdr_import(user_id: int) -> int:
    from billing.models import CdrImport

    return CdrImport.objects.create(file_name="bench.csv", created_by_id=user_id).pk


def _make_busy(customer: int, account: int, staff: list[int], cdrs: int, now) -> None:
    """Two more lines and many bills, orders, tickets and interactions for one customer."""
    from billing.models import Bill
    from complaints.models import Ticket
    from crm.models import Interaction, ServiceOrder, Subscription

    copy_rows(
        Subscription,
        (
            {
                "customer_id": customer,
                "billing_account_id": account,
                "kind": "mobile",
                "msisdn": f"135{n:08d}",
                "activated_on": datetime.date(2025, 5, 1),
            }
            for n in range(BUSY["lines"] - 1)
        ),
    )
    lines = list(Subscription.objects.filter(customer_id=customer).values_list("pk", flat=True))
    month = now.date().replace(day=1)
    copy_rows(
        Bill,
        (
            {
                "subscription_id": lines[n % len(lines)],
                "period": (month - datetime.timedelta(days=28 * (1 + n // 3 + 12))).replace(day=1),
                "total": Decimal("66.00"),
                "verification_code": f"W{n:012d}",
            }
            for n in range(BUSY["bills"])
        ),
    )
    copy_rows(
        ServiceOrder,
        (
            {
                "number": f"SX{n:010d}",
                "kind": "reopen_data",
                "status": "completed",
                "customer_id": customer,
                "subscription_id": lines[0],
                "channel": "business_hall",
                "created_by_id": staff[0],
                "created_at": now - datetime.timedelta(hours=n),
            }
            for n in range(BUSY["orders"])
        ),
    )
    copy_rows(
        Ticket,
        (
            {
                "number": f"TX{n:010d}",
                "kind": "complaint",
                "category": "service_quality",
                "priority": "normal",
                "status": "closed",
                "queue": "complaints",
                "customer_id": customer,
                "channel": "hotline",
                "subject": "服务态度",
                "description": "营业厅排队时间过长。",
                "created_by_id": staff[0],
                "created_at": now - datetime.timedelta(hours=n),
            }
            for n in range(BUSY["tickets"])
        ),
    )
    copy_rows(
        Interaction,
        (
            {
                "number": f"IX{n:010d}",
                "channel": "hotline",
                "customer_id": customer,
                "staff_id": staff[n % STAFF],
                "reason": "咨询",
                "outcome": "information_given",
                "started_at": now - datetime.timedelta(hours=n + 1),
                "ended_at": now - datetime.timedelta(hours=n),
            }
            for n in range(BUSY["interactions"])
        ),
    )


def verify_caller(staff_id: int, customer_id: int) -> None:
    """The specialist's open hotline contact with a passed service-password check."""
    from django.contrib.auth import get_user_model

    from crm.choices import Channel, VerificationMethod
    from crm.models import Customer
    from crm.services import record_verification, set_service_password, start_interaction

    user = get_user_model().objects.get(pk=staff_id)
    customer = Customer.objects.get(pk=customer_id)
    set_service_password(customer, SERVICE_PASSWORD, actor=user)
    interaction = start_interaction(
        channel=Channel.HOTLINE, reason="查询账单", customer=customer, actor=user
    )
    record_verification(
        interaction,
        customer,
        method=VerificationMethod.SERVICE_PASSWORD,
        actor=user,
        service_password=SERVICE_PASSWORD,
    )


def analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def measure(client, method: str, url: str, repeat: int, data=None, profile=False) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def request():
        if method == "post":
            return client.post(url, data)
        return client.get(url)

    request()
    with CaptureQueriesContext(connection) as queries:
        response = request()
    figures = {"status": response.status_code, "queries": len(queries)}
    if profile:
        figures["sql"] = [
            {"ms": round(float(query["time"]) * 1000, 2), "sql": query["sql"][:200]}
            for query in queries.captured_queries
        ]
    figures.update(timings_ms(request, repeat=repeat))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--profile", action="store_true", help="print each query and its time")
    args = parser.parse_args()

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    with benchmark_database():
        from crm.models import Customer

        now = timezone.now()
        started = time.perf_counter()
        ids = build(args.customers, now)
        analyze()
        build_seconds = time.perf_counter() - started
        counts = table_counts()

        specialist = get_user_model().objects.get(pk=ids["staff"][0])
        supervisor = get_user_model().objects.get(pk=ids["supervisor"])
        results = {}
        for label in ("typical", "busy"):
            customer_id = ids[label]
            verify_caller(specialist.pk, customer_id)
            page = reverse("crm:customer-detail", args=[customer_id])
            as_specialist = Client()
            as_specialist.force_login(specialist)
            as_supervisor = Client()
            as_supervisor.force_login(supervisor)
            results[label] = {
                "specialist_verified": measure(
                    as_specialist, "get", page, args.repeat, profile=args.profile
                ),
                "supervisor": measure(as_supervisor, "get", page, args.repeat),
            }
        phone = Customer.objects.get(pk=ids["typical"]).contact_phone
        search = Client()
        search.force_login(specialist)
        results["search_by_phone"] = measure(
            search, "post", reverse("workspaces:search"), args.repeat, data={"q": phone}
        )
        emit(
            "customer_360",
            customers=args.customers,
            records=counts,
            build_seconds=round(build_seconds, 1),
            vendor=connection.vendor,
            **results,
            peak_rss_mb=peak_memory_mb(),
        )


def table_counts() -> dict:
    from billing.models import Bill, LedgerEntry, UsageRecord
    from complaints.models import Ticket
    from crm.models import Customer, Interaction, ServiceOrder, Subscription

    counts = {
        model._meta.model_name: model.objects.count()
        for model in (
            Customer,
            Subscription,
            LedgerEntry,
            UsageRecord,
            Bill,
            ServiceOrder,
            Ticket,
            Interaction,
        )
    }
    counts["records_besides_customers"] = sum(
        count for name, count in counts.items() if name != "customer"
    )
    return counts


if __name__ == "__main__":
    main()
