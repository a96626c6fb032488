"""A separate process that hammers one account (used by test_ledger_concurrency).

DATABASE_URL=... python -m tests.billing.ledger_worker ACCOUNT_ID ACTOR_ID ROUNDS WORKER
"""

import os
import sys
from decimal import Decimal


def main(account_id: int, actor_id: int, rounds: int, worker: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from billing.choices import LedgerEntryKind
    from billing.services import post_ledger_entry, top_up
    from crm.models import BillingAccount

    account = BillingAccount.objects.get(pk=account_id)
    actor = get_user_model().objects.get(pk=actor_id)
    for round_ in range(rounds):
        # Every worker sends the same "shared" payment: a client retrying on several nodes.
        top_up(account, amount="1.00", channel="online", actor=actor, idempotency_key=f"s{round_}")
        top_up(
            account,
            amount="2.00",
            channel="online",
            actor=actor,
            idempotency_key=f"w{worker}-{round_}",
        )
        post_ledger_entry(account, kind=LedgerEntryKind.USAGE_CHARGE, amount=Decimal("-0.37"))


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:5]))
