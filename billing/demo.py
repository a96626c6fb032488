"""Demo top-ups for the demo customers, loaded by ``seed_demo`` after ``crm.demo``.

Each payment goes through ``billing.services.top_up`` with a fixed ``Idempotency-Key``, so a
second ``seed_demo`` replays it instead of paying again: the same mechanism a retrying client
relies on. Bills appear once a month has closed (the scheduled bill run, or
``run_bill_run --period YYYY-MM``).
"""

from collections.abc import Callable

from django.contrib.auth import get_user_model

from billing.choices import TopUpChannel
from billing.services import top_up
from crm.models import BillingAccount

CASHIER_USERNAME = "sales"
# (amount, channel, reference) paid into every demo customer's account, in this order.
DEMO_PAYMENTS = (
    ("100.00", TopUpChannel.BUSINESS_HALL, "营业厅现金"),
    ("50.00", TopUpChannel.VOUCHER, "CARD-5000123"),
    ("30.00", TopUpChannel.ONLINE, ""),
)


def seed_demo_top_ups(account: BillingAccount) -> int:
    cashier = get_user_model().objects.get(username=CASHIER_USERNAME)
    created = 0
    for index, (amount, channel, reference) in enumerate(DEMO_PAYMENTS):
        result = top_up(
            account,
            amount=amount,
            channel=channel,
            reference=reference,
            actor=cashier,
            idempotency_key=f"demo-{account.account_number}-{index}",
        )
        created += not result.replayed
    return created


def seed_all_demo_top_ups() -> int:
    # Looked up when the step runs: the crm demo steps before it create these accounts.
    accounts = BillingAccount.objects.filter(customer__document_number__in=demo_documents())
    return sum(seed_demo_top_ups(account) for account in accounts.order_by("pk"))


def demo_documents() -> list[str]:
    from crm.demo import DEMO_CUSTOMERS

    return [spec.document_number for spec in DEMO_CUSTOMERS]


def demo_steps() -> list[tuple[str, Callable[[], int]]]:
    return [("billing top-ups", seed_all_demo_top_ups)]
