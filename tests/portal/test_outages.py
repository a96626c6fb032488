"""Outages of the real parts, caused for real: a private Redis stopped or paused under a busy
worker, and a worker killed (``kill -9``) between the gateway's acceptance and the record of
it. The gateway is ``tests.gateways.RecordingSmsGateway``, which honours idempotency keys and
logs every call, so "delivered once" is counted, not assumed.
"""

import time
import uuid

import pytest

from complaints import tasks
from complaints.choices import NotificationStatus
from complaints.models import Notification
from complaints.notifications import notify_account_holder
from tests.conftest import WorkerProcess, publish, wait_for
from tests.crm.factories import CustomerFactory


def account_messages(count: int) -> list[Notification]:
    rows = []
    for _ in range(count):
        rows += notify_account_holder(CustomerFactory(), subject="余额提醒", body="余额不足。")
    return rows


@pytest.fixture
def start_worker(tmp_path, settings, django_db_serialized_rollback, transactional_db):
    """Start real workers (their own queue, the given broker); all stopped at the end."""
    started: list[WorkerProcess] = []

    def start(broker_url: str, queue: str, name: str, **options) -> WorkerProcess:
        settings.CELERY_BROKER_URL = broker_url
        worker = WorkerProcess(queue, tmp_path / f"{name}.log", **options)
        worker.start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def sweep_until_published(broker_url: str, queue: str, timeout: float = 60) -> bool:
    """Beat's notification sweep, sent again until the broker takes it."""

    def attempt() -> bool:
        try:
            publish(broker_url, tasks.deliver_pending_notifications, queue=f"{queue}.messages")
        except Exception:  # noqa: BLE001 - the broker may still be coming back
            return False
        return True

    return wait_for(attempt, timeout)


def all_sent(rows) -> bool:
    return not Notification.objects.filter(pk__in=[row.pk for row in rows]).exclude(
        status=NotificationStatus.SENT
    )


@pytest.mark.celery_worker
@pytest.mark.parametrize("outage", ["stopped", "paused"])
def test_a_worker_busy_delivering_when_redis_goes_away_keeps_running_and_delivers_after(
    private_redis, sms_gateway, start_worker, outage
):
    before = account_messages(16)
    sms_gateway.set_delay(0.5)  # the sweep takes ~8 s: the outage comes in the middle of it
    queue = f"test-outage-{uuid.uuid4().hex[:8]}"
    # The pool production runs (prefork); the sweep's time budget is longer than the outage.
    worker = start_worker(
        private_redis.url(),
        queue,
        "worker",
        pool="prefork",
        concurrency=2,
        env={"OUTBOX_SWEEP_SECONDS": "120"},
    )
    assert sweep_until_published(private_redis.url(), queue, timeout=10)
    assert wait_for(lambda: len(sms_gateway.accepted_keys()) >= 2, 30), worker.log()

    if outage == "stopped":
        private_redis.stop()
    else:
        private_redis.pause()
    time.sleep(8)
    assert worker.alive, worker.log()
    if outage == "stopped":
        private_redis.start()
    else:
        private_redis.resume()

    # The sweep that was running finished without the broker; later messages go out too.
    assert wait_for(lambda: all_sent(before), 60), worker.log()
    after = account_messages(4)
    sms_gateway.set_delay(0)
    assert sweep_until_published(private_redis.url(), queue)
    assert wait_for(lambda: all_sent(after), 90), worker.log()

    assert worker.alive, worker.log()
    assert "Unrecoverable error" not in worker.log()
    keys = {row.idempotency_key for row in before + after}
    assert sms_gateway.deliveries_per_key() == dict.fromkeys(keys, 1)


@pytest.mark.celery_worker
def test_a_worker_killed_after_the_gateway_accepted_causes_no_second_delivery(
    private_redis, sms_gateway, start_worker
):
    rows = account_messages(3)
    queue = f"test-kill-{uuid.uuid4().hex[:8]}"
    # A short claim timeout, so that the test need not wait ten minutes for the recovery.
    fast_recovery = {
        "OUTBOX_CLAIM_TIMEOUT_SECONDS": "2",
        "OUTBOX_CLAIM_BATCH": "1",
        "EMAIL_TIMEOUT": "1",
    }
    sms_gateway.set_hang_after_accept(True)
    first = start_worker(private_redis.url(), queue, "first", env=fast_recovery)
    assert sweep_until_published(private_redis.url(), queue, timeout=10)

    # The gateway has accepted the first message; the worker dies before it records that.
    assert wait_for(lambda: len(sms_gateway.accepted_keys()) == 1, 30), first.log()
    first.kill()
    (accepted,) = sms_gateway.accepted_keys()
    sms_gateway.set_hang_after_accept(False)
    stuck = Notification.objects.get(status=NotificationStatus.SENDING)
    assert stuck.idempotency_key == accepted

    second = start_worker(private_redis.url(), queue, "second", env=fast_recovery)
    time.sleep(2.5)
    assert sweep_until_published(private_redis.url(), queue)

    assert wait_for(lambda: all_sent(rows), 60), second.log()
    calls = [call for call in sms_gateway.calls() if call["key"] == accepted]
    assert [call["outcome"] for call in calls] == ["delivered", "repeat"]
    assert sms_gateway.deliveries_per_key() == {row.idempotency_key: 1 for row in rows}
