"""Top-ups: every channel through one service, bad amounts refused, retries credited once."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from billing.choices import TopUpChannel
from billing.error_codes import BillingErrorCode
from billing.models import LedgerEntry, TopUp
from billing.services import BillingError, audit_ledger, balance_of, top_up
from portal.roles import Role
from tests.crm.factories import CustomerFactory


@pytest.fixture
def account(db):
    return CustomerFactory().billing_accounts.get()


@pytest.fixture
def cashier(make_user):
    return make_user(Role.SALES_ADVISOR, username="cashier")


@pytest.mark.parametrize("channel", TopUpChannel.values)
def test_a_top_up_on_every_channel_credits_the_account(account, cashier, channel):
    result = top_up(account, amount="50", channel=channel, actor=cashier, reference="SN-1")

    assert result.replayed is False
    assert (result.top_up.amount, result.top_up.channel) == (Decimal("50.00"), channel)
    assert result.top_up.ledger_entry.amount == Decimal("50.00")
    assert balance_of(account) == Decimal("50.00")


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        ("0", BillingErrorCode.AMOUNT_OUT_OF_RANGE),
        ("-10", BillingErrorCode.AMOUNT_OUT_OF_RANGE),
        ("10.001", BillingErrorCode.INVALID_AMOUNT),
        ("ten", BillingErrorCode.INVALID_AMOUNT),
        ("NaN", BillingErrorCode.INVALID_AMOUNT),
        ("", BillingErrorCode.INVALID_AMOUNT),
        (10.5, BillingErrorCode.INVALID_AMOUNT),
        ("5000.01", BillingErrorCode.AMOUNT_OUT_OF_RANGE),
        ("0.99", BillingErrorCode.AMOUNT_OUT_OF_RANGE),
    ],
)
def test_bad_amounts_are_refused_and_nothing_is_stored(account, cashier, amount, code):
    with pytest.raises(ValidationError) as refused:
        top_up(account, amount=amount, channel="online", actor=cashier)

    assert [error.code for error in refused.value.error_dict["amount"]] == [code]
    assert (TopUp.objects.count(), LedgerEntry.objects.count()) == (0, 0)


@pytest.mark.parametrize("amount", ["1.00", "5000.00", "49.90", "10.500"])
def test_amounts_within_the_limits_are_accepted(account, cashier, amount):
    assert top_up(account, amount=amount, channel="online", actor=cashier).top_up.amount == (
        Decimal(amount).quantize(Decimal("0.01"))
    )


def test_a_retry_with_the_same_key_and_body_returns_the_first_and_credits_once(account, cashier):
    first = top_up(
        account, amount="100.00", channel="bank_card", actor=cashier, idempotency_key="k1"
    )
    retry = top_up(account, amount="100", channel="bank_card", actor=cashier, idempotency_key="k1")

    assert (first.replayed, retry.replayed) == (False, True)
    assert retry.top_up.pk == first.top_up.pk
    assert balance_of(account) == Decimal("100.00")
    assert LedgerEntry.objects.count() == 1


def test_the_same_key_with_another_body_is_refused(account, cashier):
    top_up(account, amount="100.00", channel="bank_card", actor=cashier, idempotency_key="k1")

    with pytest.raises(BillingError) as reused:
        top_up(account, amount="200.00", channel="bank_card", actor=cashier, idempotency_key="k1")

    assert reused.value.code == BillingErrorCode.IDEMPOTENCY_KEY_REUSED
    assert balance_of(account) == Decimal("100.00")


def test_keys_belong_to_their_sender(account, cashier, make_user):
    other = make_user(Role.SALES_ADVISOR, username="other-cashier")

    top_up(account, amount="10.00", channel="online", actor=cashier, idempotency_key="same")
    top_up(account, amount="10.00", channel="online", actor=other, idempotency_key="same")

    assert balance_of(account) == Decimal("20.00")


def test_top_ups_without_a_key_are_each_credited(account, cashier):
    top_up(account, amount="10.00", channel="online", actor=cashier)
    top_up(account, amount="10.00", channel="online", actor=cashier)

    assert balance_of(account) == Decimal("20.00")
    assert audit_ledger() == []
