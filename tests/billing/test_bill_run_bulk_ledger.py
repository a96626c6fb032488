"""The bill run's bulk ledger posting keeps balance == sum(entries), like post_ledger_entry."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from billing.bulk_ledger import PendingEntry, post_ledger_entries
from billing.choices import LedgerEntryKind
from billing.models import LedgerEntry, PrepaidBalance
from billing.services import audit_ledger, balance_of, post_ledger_entry
from tests.crm.factories import CustomerFactory

D = Decimal


@pytest.fixture
def accounts(db):
    return [CustomerFactory().billing_accounts.get() for _ in range(2)]


def test_bulk_posting_applies_each_accounts_entries_in_order(accounts):
    first, second = accounts
    post_ledger_entry(first, kind=LedgerEntryKind.TOP_UP, amount=D("20.00"))

    created = post_ledger_entries(
        [
            PendingEntry(first.pk, LedgerEntryKind.MONTHLY_FEE, D("-5.00"), "fee"),
            PendingEntry(second.pk, LedgerEntryKind.MONTHLY_FEE, D("-2.42")),
            PendingEntry(first.pk, LedgerEntryKind.ADJUSTMENT, D("1.50")),
            PendingEntry(first.pk, LedgerEntryKind.USAGE_CHARGE, D("-0.01")),
        ]
    )

    assert [(entry.account_id, entry.amount, entry.balance_after) for entry in created] == [
        (first.pk, D("-5.00"), D("15.00")),
        (second.pk, D("-2.42"), D("-2.42")),
        (first.pk, D("1.50"), D("16.50")),
        (first.pk, D("-0.01"), D("16.49")),
    ]
    assert [entry.pk is not None for entry in created] == [True] * 4
    assert (balance_of(first), balance_of(second)) == (D("16.49"), D("-2.42"))
    assert LedgerEntry.objects.count() == 5
    assert audit_ledger() == []


def test_bulk_posting_then_single_posting_continue_one_running_balance(accounts):
    first, _ = accounts
    post_ledger_entries([PendingEntry(first.pk, LedgerEntryKind.MONTHLY_FEE, D("-5.00"))])

    entry = post_ledger_entry(first, kind=LedgerEntryKind.TOP_UP, amount=D("30.00"))

    assert entry.balance_after == D("25.00")
    assert PrepaidBalance.objects.get(account=first).balance == D("25.00")
    assert audit_ledger() == []


def test_bulk_posting_nothing_writes_nothing(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert post_ledger_entries([]) == []


def test_bulk_posting_runs_a_fixed_number_of_statements(accounts, django_assert_num_queries):
    entries = [
        PendingEntry(account.pk, LedgerEntryKind.MONTHLY_FEE, D("-1.00"))
        for account in accounts * 20
    ]
    # Savepoint, create missing balance rows, lock the balances, insert the entries, update
    # the balances, release the savepoint.
    with django_assert_num_queries(6):
        post_ledger_entries(entries)

    assert [balance_of(account) for account in accounts] == [D("-20.00"), D("-20.00")]


@pytest.mark.parametrize(
    ("kind", "amount", "error"),
    [
        (LedgerEntryKind.MONTHLY_FEE, D("0.00"), ValueError),
        (LedgerEntryKind.MONTHLY_FEE, D("5.00"), ValueError),
        (LedgerEntryKind.TOP_UP, D("-5.00"), ValueError),
        (LedgerEntryKind.MONTHLY_FEE, -5.0, TypeError),
    ],
)
def test_bulk_posting_refuses_what_post_ledger_entry_refuses(accounts, kind, amount, error):
    good = PendingEntry(accounts[0].pk, LedgerEntryKind.MONTHLY_FEE, D("-1.00"))

    with pytest.raises(error):
        post_ledger_entries([good, PendingEntry(accounts[1].pk, kind, amount)])

    assert LedgerEntry.objects.count() == 0
    assert PrepaidBalance.objects.count() == 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_bulk_and_single_postings_racing_lose_no_update():
    accounts = [CustomerFactory().billing_accounts.get() for _ in range(4)]
    rounds = 15
    errors = []

    def in_thread(work):
        def run():
            try:
                work()
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                errors.append(exc)
            finally:
                connection.close()

        return threading.Thread(target=run)

    def bulk_poster():
        for _ in range(rounds):
            # Given in reverse: the function locks in account order whatever the input order.
            post_ledger_entries(
                [
                    PendingEntry(account.pk, LedgerEntryKind.MONTHLY_FEE, D("-1.00"))
                    for account in reversed(accounts)
                ]
            )

    def single_poster():
        for _ in range(rounds):
            for account in accounts:
                post_ledger_entry(account, kind=LedgerEntryKind.TOP_UP, amount=D("3.00"))

    threads = [in_thread(bulk_poster), in_thread(single_poster), in_thread(bulk_poster)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert [balance_of(account) for account in accounts] == [D("15.00")] * 4
    assert LedgerEntry.objects.count() == 4 * rounds * 3
    assert audit_ledger() == []
