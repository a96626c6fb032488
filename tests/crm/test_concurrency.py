"""Races settled by the database: a number opened twice at once, numbers allocated at once.

Threads each hold their own database connection; on PostgreSQL the second writer blocks on the
unique index until the first commits, on SQLite on the write lock. Either way exactly one wins.
"""

import threading

import pytest
from django.db import close_old_connections, connection

from crm.choices import OrderKind, OrderStatus, SubscriptionStatus
from crm.error_codes import CrmErrorCode
from crm.models import Product, Subscription
from crm.services import CrmError, advance_order, create_service_order
from portal.numbering import next_number
from portal.roles import Role
from tests.crm.factories import CustomerFactory


def run_together(workers: int, action):
    """Run ``action(index)`` in ``workers`` threads released at the same instant."""
    barrier = threading.Barrier(workers)
    results: list = [None] * workers

    def worker(index: int):
        try:
            barrier.wait(timeout=10)
            results[index] = action(index)
        except Exception as exc:  # noqa: BLE001  (the outcome of each racer is the result)
            results[index] = exc
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_halls_opening_the_same_number_at_once_give_it_to_exactly_one(make_user):
    clerk = make_user(Role.SALES_ADVISOR, username="clerk")
    plan = Product.objects.get(code="DAZHONG")
    orders = []
    for index in range(2):
        order = create_service_order(
            kind=OrderKind.OPEN_NUMBER,
            customer=CustomerFactory(),
            actor=clerk,
            product=plan,
            service_number="13312345678",
            iccid=f"8986031234567890000{index}",
        )
        while order.status != OrderStatus.PROCESSING:
            order = advance_order(order, actor=clerk)
        orders.append(order)

    results = run_together(2, lambda index: advance_order(orders[index], actor=clerk))

    winners = [r for r in results if not isinstance(r, Exception)]
    losers = [r for r in results if isinstance(r, Exception)]
    assert len(winners) == 1
    assert [type(r) for r in losers] == [CrmError]
    assert losers[0].code == CrmErrorCode.MSISDN_TAKEN
    assert (
        Subscription.objects.filter(msisdn="13312345678", status=SubscriptionStatus.ACTIVE).count()
        == 1
    )
    statuses = sorted(type(o).objects.get(pk=o.pk).status for o in orders)
    assert statuses == [OrderStatus.CONFIRMATION, OrderStatus.PROCESSING]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_numbers_allocated_at_once_are_all_different():
    results = run_together(8, lambda index: [next_number("TT") for _ in range(5)])

    numbers = [number for batch in results for number in batch]
    assert len(numbers) == 40
    assert len(set(numbers)) == 40
