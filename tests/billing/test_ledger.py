"""The prepaid ledger: every balance change is an entry, and the balance is their sum."""

from decimal import Decimal

import pytest

from billing.choices import LedgerEntryKind
from billing.models import LedgerEntry, PrepaidBalance
from billing.services import audit_ledger, balance_of, post_ledger_entry
from tests.crm.factories import CustomerFactory


@pytest.fixture
def account(db):
    return CustomerFactory().billing_accounts.get()


def test_entries_move_the_balance_and_record_it(account):
    first = post_ledger_entry(account, kind=LedgerEntryKind.TOP_UP, amount=Decimal("50.00"))
    second = post_ledger_entry(account, kind=LedgerEntryKind.USAGE_CHARGE, amount=Decimal("-12.35"))

    assert (first.balance_after, second.balance_after) == (Decimal("50.00"), Decimal("37.65"))
    assert balance_of(account) == Decimal("37.65")
    assert audit_ledger() == []


def test_an_account_without_entries_has_a_zero_balance(account):
    assert balance_of(account) == Decimal("0.00")


def test_a_balance_may_go_negative_through_charges(account):
    post_ledger_entry(account, kind=LedgerEntryKind.USAGE_CHARGE, amount=Decimal("-0.20"))

    assert balance_of(account) == Decimal("-0.20")


@pytest.mark.parametrize(
    ("kind", "amount", "message"),
    [
        (LedgerEntryKind.TOP_UP, Decimal("-1.00"), "top_up entries must be credits"),
        (LedgerEntryKind.USAGE_CHARGE, Decimal("1.00"), "usage_charge entries must be debits"),
        (LedgerEntryKind.MONTHLY_FEE, Decimal("0.00"), "a ledger entry moves money"),
    ],
)
def test_entries_of_the_wrong_sign_or_zero_are_refused(account, kind, amount, message):
    with pytest.raises(ValueError, match=message):
        post_ledger_entry(account, kind=kind, amount=amount)

    assert LedgerEntry.objects.count() == 0


def test_floats_never_reach_the_ledger(account):
    with pytest.raises(TypeError):
        post_ledger_entry(account, kind=LedgerEntryKind.TOP_UP, amount=10.5)


def test_adjustments_may_go_either_way(account):
    post_ledger_entry(account, kind=LedgerEntryKind.ADJUSTMENT, amount=Decimal("3.00"))
    post_ledger_entry(account, kind=LedgerEntryKind.ADJUSTMENT, amount=Decimal("-1.00"))

    assert balance_of(account) == Decimal("2.00")


def test_the_audit_finds_a_balance_changed_behind_the_ledgers_back(account):
    post_ledger_entry(account, kind=LedgerEntryKind.TOP_UP, amount=Decimal("10.00"))
    PrepaidBalance.objects.filter(account=account).update(balance=Decimal("99.00"))

    mismatches = audit_ledger()

    assert [(m.account_id, m.stored, m.entries) for m in mismatches] == [
        (account.pk, Decimal("99.00"), Decimal("10.00"))
    ]
