"""Demo data of the staff workspaces, loaded by ``seed_demo`` after the other apps' demos.

- customer1's mobile line 18900000001 (大众卡) gets three full months of calls, messages and
  data, imported as a CDR file through ``billing.cdr_import.import_cdrs`` (rated and debited
  like any import; the usage costs less than the demo balance), so that the sales advisor's
  plan recommendation has something to say: the demo 飞Young 39 plan would have cost less.
  The demo lines are all opened on the day ``seed_demo`` first ran; this line's activation and
  the products it started with are moved back to before those three months first (demo data
  only).
- the tech-support engineer's first open demo fault gets a diagnosis
  (``complaints.services.add_diagnosis``).

Record ids are fixed, so a second run imports nothing (duplicates are dropped), and the
diagnosis is made once.
"""

import csv
import datetime
import io
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from billing.cdr_import import import_cdrs
from billing.recommendation import full_months_before
from complaints.choices import OPEN_STATUSES, FaultLocation, NoteKind, Queue, TicketKind
from complaints.models import Ticket
from complaints.services import add_diagnosis
from crm.models import Subscription, SubscriptionProduct

DEMO_MSISDN = "18900000001"
ENGINEER_USERNAME = "engineer"
# One month of the demo line's usage: local calls (seconds), messages, data sessions (KB).
CALLS = (1200,) * 10  # 10 calls of 20 minutes: 200 minutes
MESSAGES = 20
DATA_SESSIONS = (20_480,) * 2  # 2 sessions of 20 MB


def _month_rows(month: datetime.date) -> list[list[str]]:
    rows = []
    code = f"{month:%Y%m}"
    for n, seconds in enumerate(CALLS):
        started = datetime.datetime(month.year, month.month, 2 + n, 10, 15)
        rows.append(
            [f"DEMO-WS-{code}-V{n}", DEMO_MSISDN, "voice_out_local", started.isoformat(),
             str(seconds), "", "13800138000"]
        )  # fmt: skip
    for n in range(MESSAGES):
        started = datetime.datetime(month.year, month.month, 1 + n % 25, 12, n % 60)
        rows.append(
            [f"DEMO-WS-{code}-S{n}", DEMO_MSISDN, "sms", started.isoformat(), "", "",
             "13800138000"]
        )  # fmt: skip
    for n, volume in enumerate(DATA_SESSIONS):
        started = datetime.datetime(month.year, month.month, 5 + 7 * n, 20, 0)
        rows.append(
            [f"DEMO-WS-{code}-D{n}", DEMO_MSISDN, "data", started.isoformat(), "", str(volume), ""]
        )
    return rows


def seed_demo_usage() -> int:
    """Three months of usage on the demo line; returns how many records were rated now."""
    line = Subscription.objects.filter(
        msisdn=DEMO_MSISDN, customer__user__username="customer1"
    ).first()
    if line is None:
        return 0
    today = timezone.localdate()
    first = full_months_before(today, datetime.date.min)[0]
    if line.activated_on > first:
        # Demo only: the line (and what it started with) is as old as the usage it is given.
        with transaction.atomic():
            SubscriptionProduct.objects.filter(
                subscription=line, effective_from=line.activated_on
            ).update(effective_from=first)
            Subscription.objects.filter(pk=line.pk).update(activated_on=first)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
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
    for month in full_months_before(today, first):
        writer.writerows(_month_rows(month))
    result = import_cdrs(
        io.BytesIO(buffer.getvalue().encode()), file_name="demo-workspaces-usage.csv"
    )
    return result.cdr_import.rated


def seed_demo_diagnosis() -> int:
    """A diagnosis on the engineer's first open demo fault, once."""
    engineer = get_user_model().objects.filter(username=ENGINEER_USERNAME).first()
    fault = (
        Ticket.objects.filter(
            kind=TicketKind.FAULT,
            queue=Queue.TECH_SUPPORT,
            assignee=engineer,
            status__in=OPEN_STATUSES,
        )
        .order_by("pk")
        .first()
    )
    if engineer is None or fault is None or fault.notes.filter(kind=NoteKind.DIAGNOSIS).exists():
        return 0
    add_diagnosis(
        fault,
        author=engineer,
        fault_location=FaultLocation.RADIO,
        body="远程查询：所在小区基站2号扇区驻波告警，室内信号 -110 dBm。已派维护班组更换天馈。",
    )
    return 1


def demo_steps() -> list[tuple[str, Callable[[], int]]]:
    return [
        ("workspaces usage history", seed_demo_usage),
        ("workspaces diagnosis", seed_demo_diagnosis),
    ]
