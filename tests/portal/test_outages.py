"""Outages of the real parts, caused for real: a private Redis stopped or paused under a busy
worker, and a worker killed (``kill -9``) between the gateway's acceptance and the record of
it. The gateway is ``tests.gateways.RecordingSmsGateway``, which honours idempotency keys and
logs every call, so "delivered once" is counted, not assumed.
"""

import threading
import time
import urllib.error
import urllib.request
import uuid

import environ
import pytest
from django.conf import settings
from django.test import Client
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from complaints import tasks
from complaints.choices import NotificationStatus, SurveyStatus, TicketStatus
from complaints.models import Notification, Survey
from complaints.notifications import notify_account_holder
from complaints.services import assign_ticket, resolve_ticket, transition_ticket
from portal.roles import Role
from tests.complaints.factories import make_ticket
from tests.conftest import (
    WorkerProcess,
    publish,
    start_beat,
    wait_for,
)
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


# --- the whole site: web, worker and beat through Redis stopped, then paused ----------------


class Pinger(threading.Thread):
    """A browser that keeps asking for signed-in pages (a customer's and a specialist's, and a
    session-authenticated API list), noting each answer's status and time per phase."""

    def __init__(self, base_url: str, pages: list[tuple[str, str]]):
        super().__init__(daemon=True)
        self.base_url, self.pages = base_url, pages
        self.phase = "before"
        self.answers: list[tuple[str, str, int, float]] = []
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            for path, session in self.pages:
                request = urllib.request.Request(  # noqa: S310 - the test's own live server
                    self.base_url + path,
                    headers={"Cookie": f"{settings.SESSION_COOKIE_NAME}={session}"},
                )
                started = time.monotonic()
                try:
                    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                        status = response.status
                except urllib.error.HTTPError as exc:
                    status = exc.code
                except OSError:
                    status = 0
                self.answers.append((self.phase, path, status, time.monotonic() - started))
            time.sleep(0.05)

    def during(self, phase: str) -> list[tuple[str, int, float]]:
        return [(path, status, took) for p, path, status, took in self.answers if p == phase]


def p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[int(0.95 * (len(ordered) - 1))]


def tickets_in_progress(count: int, personas) -> list:
    engineer = personas[Role.TECH_SUPPORT]
    tickets = []
    for _ in range(count):
        ticket = make_ticket(personas[Role.SERVICE_SPECIALIST])
        ticket = assign_ticket(ticket, engineer, actor=engineer)
        tickets.append(transition_ticket(ticket, TicketStatus.IN_PROGRESS, actor=engineer))
    return tickets


@pytest.mark.celery_worker
def test_the_site_answers_through_a_redis_outage_and_every_survey_goes_out_once_after(
    private_redis, sms_gateway, start_worker, live_server, personas, settings, tmp_path
):
    settings.COMPLAINTS_SURVEY_DELAY_HOURS = 0
    # Redis as in production: the broker, and the cache (which must hold nothing a page needs).
    settings.CACHES = {"default": environ.Env.cache_url_config(private_redis.url(1))}
    queue = f"test-site-{uuid.uuid4().hex[:8]}"
    worker = start_worker(private_redis.url(), queue, "worker", pool="prefork", concurrency=2)
    # Beat's two message sweeps every 2 s instead of every minute and every 10 s.
    fast, _ = IntervalSchedule.objects.get_or_create(every=2, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.filter(
        task__in=[
            "complaints.tasks.dispatch_due_surveys",
            "complaints.tasks.deliver_pending_notifications",
        ]
    ).update(interval=fast)
    beat = start_beat(tmp_path / "beat.log", queue)
    customer_user = personas[Role.CUSTOMER]
    CustomerFactory(user=customer_user)
    sessions = {}
    for name, user in (("customer", customer_user), ("staff", personas[Role.SERVICE_SPECIALIST])):
        client = Client()
        client.force_login(user)
        sessions[name] = client.cookies[settings.SESSION_COOKIE_NAME].value
    pinger = Pinger(
        live_server.url,
        [
            ("/my/", sessions["customer"]),
            ("/workspace/specialist/", sessions["staff"]),
            ("/api/v1/tickets/", sessions["staff"]),
        ],
    )
    tickets = tickets_in_progress(1000, personas)
    pinger.start()
    try:
        time.sleep(2)
        pinger.phase = "stopped"
        private_redis.stop()
        engineer = personas[Role.TECH_SUPPORT]
        for ticket in tickets:
            resolve_ticket(ticket, actor=engineer, resolution="已恢复。")
        assert Survey.objects.filter(status=SurveyStatus.SCHEDULED).count() == len(tickets)
        pinger.phase = "back"
        private_redis.start()

        def surveys_sent() -> bool:
            return Survey.objects.filter(status=SurveyStatus.SENT).count() == len(tickets)

        assert wait_for(surveys_sent, 600), worker.log()[-5000:]
        pinger.phase = "paused"
        private_redis.pause()
        time.sleep(10)
        private_redis.resume()
        pinger.phase = "after"
        (late,) = notify_account_holder(CustomerFactory(), subject="提醒", body="暂停之后。")
        assert wait_for(lambda: all_sent([late]), 120), worker.log()[-5000:]
    finally:
        pinger.done.set()
        pinger.join(timeout=60)
        beat.terminate()
        beat.wait(timeout=15)

    for phase in ("stopped", "paused"):
        answers = pinger.during(phase)
        assert answers, phase
        assert {status for _path, status, _took in answers} == {200}, (phase, answers[:20])
        assert p95([took for _path, _status, took in answers]) <= 1.0, phase
    survey_messages = Notification.objects.filter(survey__isnull=False, channel="sms")
    assert survey_messages.count() == len(tickets)
    assert set(survey_messages.values_list("status", flat=True)) == {NotificationStatus.SENT}
    delivered = sms_gateway.deliveries_per_key()
    assert {delivered.get(m.idempotency_key) for m in survey_messages} == {1}
    # Nothing needed a restart: the worker lived through both outages, beat until stopped.
    assert worker.alive, worker.log()[-5000:]
    assert beat.returncode in (0, -15), (tmp_path / "beat.log").read_text()[-5000:]
    assert "Unrecoverable error" not in worker.log()
