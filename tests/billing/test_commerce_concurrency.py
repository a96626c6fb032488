"""Concurrent writers cannot overspend points, overrun a promotion's budget, or give one payment
its offer twice.

Each thread has its own database connection, as web and worker processes have; on PostgreSQL
they queue on the row locks (points account, promotion, balance), on SQLite on the database's
write lock. A barrier releases them together.
"""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from billing.choices import LedgerEntryKind, PromotionKind, RewardKind
from billing.models import LedgerEntry, PointsAccount, Promotion, PromotionRedemption, TopUp
from billing.points import audit_points, points_balance, redeem_points
from billing.services import BillingError, audit_ledger, top_up
from portal.roles import Role
from tests.billing.factories import PromotionFactory
from tests.crm.factories import CustomerFactory

THREADS = 8


def run_together(work, count: int = THREADS) -> list:
    """Run ``work(index)`` in ``count`` threads at once; return each result or exception."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def target(index):
        try:
            barrier.wait(timeout=30)
            results[index] = work(index)
        except Exception as exc:  # noqa: BLE001 - the test inspects what each thread got
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_redemptions_cannot_overspend_points(make_user):
    cashier = make_user(Role.SALES_ADVISOR, username="cashier")
    customer = CustomerFactory(actor=cashier)
    top_up(customer.billing_accounts.get(), amount="1000", channel="online", actor=cashier)
    offer = PromotionFactory(
        code="points-300",
        kind=PromotionKind.POINTS_REDEMPTION,
        min_amount=None,
        points_cost=300,
        reward=RewardKind.BILL_CREDIT,
        benefit_amount="3.00",
    )

    results = run_together(lambda index: redeem_points(customer, offer, actor=cashier))

    succeeded = [result for result in results if not isinstance(result, Exception)]
    refused = [result for result in results if isinstance(result, BillingError)]
    assert (len(succeeded), len(refused)) == (3, THREADS - 3)
    assert {error.code for error in refused} == {"not_enough_points"}
    assert points_balance(customer) == 100
    assert PointsAccount.objects.get(customer=customer).balance >= 0
    assert LedgerEntry.objects.filter(kind=LedgerEntryKind.POINTS_CREDIT).count() == 3
    assert audit_points() == []
    assert audit_ledger() == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_top_ups_cannot_overrun_a_promotions_uses(make_user):
    cashier = make_user(Role.SALES_ADVISOR, username="cashier")
    accounts = [CustomerFactory(actor=cashier).billing_accounts.get() for _ in range(THREADS)]
    promotion = PromotionFactory(max_redemptions=3, budget="100.00")

    results = run_together(
        lambda index: top_up(accounts[index], amount="100", channel="online", actor=cashier)
    )

    assert [type(result).__name__ for result in results] == ["TopUpResult"] * THREADS
    promotion.refresh_from_db()
    assert (promotion.redemptions, promotion.benefit_granted) == (3, Decimal("60.00"))
    assert PromotionRedemption.objects.count() == 3
    assert LedgerEntry.objects.filter(kind=LedgerEntryKind.PROMOTION_BONUS).count() == 3
    assert audit_ledger() == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_payment_retried_at_once_from_several_nodes_gets_its_offer_once(make_user):
    cashier = make_user(Role.SALES_ADVISOR, username="cashier")
    account = CustomerFactory(actor=cashier).billing_accounts.get()
    PromotionFactory()

    results = run_together(
        lambda index: top_up(
            account, amount="100", channel="online", actor=cashier, idempotency_key="same-pay"
        )
    )

    assert sorted(result.replayed for result in results) == [False] + [True] * (THREADS - 1)
    assert TopUp.objects.count() == 1
    assert PromotionRedemption.objects.count() == 1
    assert list(LedgerEntry.objects.order_by("pk").values_list("kind", "amount")) == [
        (LedgerEntryKind.TOP_UP, Decimal("100.00")),
        (LedgerEntryKind.PROMOTION_BONUS, Decimal("20.00")),
    ]
    assert Promotion.objects.get().redemptions == 1
