"""The commerce jobs run on a real Celery worker over the configured broker (the filesystem
transport by default, Redis on the PostgreSQL run), and beat has their schedules."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from billing import tasks
from billing.choices import ArrearsStatus, InstalmentDueStatus, PointsEntryKind
from billing.instalments import purchase_on_instalments
from billing.models import ArrearsCase, InstalmentDue, PointsEntry
from billing.points import points_balance
from billing.services import top_up
from complaints.tasks import deliver_pending_notifications
from crm.choices import SubscriptionStatus
from portal.models import OutboundSms
from portal.roles import Role
from tests.billing.factories import DeviceFactory, eligible_customer, verify_in_hall
from tests.conftest import wait_for


def test_beat_has_the_commerce_schedules(db):
    schedules = {
        task.name: (task.task, task.enabled)
        for task in PeriodicTask.objects.filter(name__startswith="billing: ")
    }

    assert schedules["billing: charge due instalments"] == (
        "billing.tasks.charge_due_instalments_task",
        True,
    )
    assert schedules["billing: arrears and low-balance sweep"] == (
        "billing.tasks.review_account_standing_task",
        True,
    )
    assert schedules["billing: expire points"] == ("billing.tasks.expire_points_task", True)


@pytest.mark.celery_worker
def test_dues_arrears_suspension_and_expiry_run_on_a_real_worker(celery_worker, make_user):
    seller = make_user(Role.SALES_ADVISOR, username="seller")
    customer = eligible_customer(1)
    account = customer.billing_accounts.get()
    line = customer.subscriptions.get()
    top_up(account, amount="100", channel="online", actor=seller)
    verify_in_hall(seller, customer)
    plan = purchase_on_instalments(
        customer,
        device=DeviceFactory(code="DEV-W", price=Decimal("3600.00")),
        months=3,
        down_payment="2400.00",
        subscription=line,
        seller=seller,
    )
    first = plan.dues.get(sequence=1)

    # The hourly job on the first due's day: 100.00 cannot pay 400.00.
    tasks.charge_due_instalments_task.delay(first.due_on.isoformat())
    overdue = wait_for(
        lambda: InstalmentDue.objects.filter(
            pk=first.pk, status=InstalmentDueStatus.OVERDUE
        ).exists(),
        timeout=30,
    )
    assert overdue, celery_worker.log()

    # The sweep notices the arrears...
    tasks.review_account_standing_task.delay()
    case = wait_for(lambda: ArrearsCase.objects.first(), timeout=30)
    assert case is not None, celery_worker.log()
    # ...and, once the grace period is over, suspends the line.
    ArrearsCase.objects.filter(pk=case.pk).update(
        suspend_after=timezone.now() - datetime.timedelta(minutes=1)
    )
    tasks.review_account_standing_task.delay()
    suspended = wait_for(
        lambda: ArrearsCase.objects.filter(pk=case.pk, status=ArrearsStatus.SUSPENDED).exists(),
        timeout=30,
    )
    assert suspended, celery_worker.log()
    line.refresh_from_db()
    assert line.status == SubscriptionStatus.SUSPENDED

    # The messages go out through the notification worker.
    deliver_pending_notifications.delay()
    texts = wait_for(lambda: OutboundSms.objects.filter(msisdn=line.msisdn).count() == 2, 30)
    assert texts, celery_worker.log()

    # A top-up restores the line at once, in its own transaction, without the worker.
    top_up(account, amount="300", channel="online", actor=seller)
    line.refresh_from_db()
    assert line.status == SubscriptionStatus.ACTIVE

    # The nightly expiry takes the points of a lot past its day.
    PointsEntry.objects.filter(kind=PointsEntryKind.EARN).update(
        expires_on=timezone.localdate() - datetime.timedelta(days=1)
    )
    tasks.expire_points_task.delay()
    expired = wait_for(lambda: points_balance(customer) == 0, timeout=30)
    assert expired, celery_worker.log()
    assert PointsEntry.objects.filter(kind=PointsEntryKind.EXPIRE).get().points == -400
