"""Several processes top up and charge one account at once: no update is lost.

Each process has its own database connection, as web and worker processes do in production;
on PostgreSQL they queue on the balance row's lock, on SQLite on the database write lock.
"""

import os
import subprocess
import sys
from decimal import Decimal

import pytest

from billing.models import LedgerEntry, TopUp
from billing.services import audit_ledger, balance_of
from portal.roles import Role
from tests.conftest import BASE_DIR, database_url_for_subprocess
from tests.crm.factories import CustomerFactory

WORKERS = 4
ROUNDS = 25


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_top_ups_and_charges_lose_no_update(make_user):
    actor = make_user(Role.SALES_ADVISOR, username="cashier")
    account = CustomerFactory(actor=actor).billing_accounts.get()
    env = {**os.environ, "DATABASE_URL": database_url_for_subprocess()}

    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.billing.ledger_worker",
                str(account.pk),
                str(actor.pk),
                str(ROUNDS),
                str(worker),
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for worker in range(WORKERS)
    ]
    outputs = [process.communicate(timeout=240)[0] for process in processes]

    assert [process.returncode for process in processes] == [0] * WORKERS, outputs
    # Shared keys credit once (25 × 1.00), own keys every time (4 × 25 × 2.00),
    # charges every time (4 × 25 × −0.37): 25 + 200 − 37.
    assert balance_of(account) == Decimal("188.00")
    assert TopUp.objects.count() == ROUNDS + WORKERS * ROUNDS
    assert LedgerEntry.objects.count() == ROUNDS + 2 * WORKERS * ROUNDS
    assert audit_ledger() == []
