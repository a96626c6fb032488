"""/healthz tells the truth: 503 when the database or the broker is down, 200 "degraded" when
the worker heartbeat is missing or stale, and /healthz/web answers for the web node alone."""

import time
from datetime import timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from complaints.choices import NotificationStatus
from complaints.models import Notification
from complaints.notifications import notify_account_holder
from portal.health import check_broker
from portal.models import WorkerHeartbeat
from portal.services import record_worker_heartbeat
from tests.conftest import require_service
from tests.crm.factories import CustomerFactory

# Port 1 on loopback: nothing listens, the connection is refused at once.
REFUSING_BROKER = "redis://127.0.0.1:1/0"


def require_broker():
    broker = check_broker()
    require_service("the Celery broker", broker.ok, settings.CELERY_BROKER_URL)


def test_healthz_is_ok_when_database_broker_and_a_fresh_heartbeat_answer(client, db):
    require_broker()
    record_worker_heartbeat(worker="celery@node-1")

    response = client.get(reverse("healthz"))

    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "ok"
    assert body["reasons"] == []
    assert set(body["checks"]) == {"database", "broker", "worker", "outbox"}
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is True
    assert body["checks"]["worker"]["ok"] is True
    assert body["checks"]["worker"]["worker"] == "celery@node-1"
    assert 0 <= body["checks"]["worker"]["age_s"] < 60
    assert body["checks"]["worker"]["max_age_s"] == 180


def test_healthz_is_degraded_but_200_before_any_heartbeat(client, db):
    require_broker()

    response = client.get(reverse("healthz"))

    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "degraded"
    assert body["reasons"] == ["worker: no heartbeat recorded"]
    assert body["checks"]["worker"] == {
        "ok": False,
        "latency_ms": body["checks"]["worker"]["latency_ms"],
        "last_seen_at": None,
        "age_s": None,
        "max_age_s": 180,
        "worker": None,
        "error": "no heartbeat recorded",
    }


def test_healthz_is_degraded_when_the_newest_heartbeat_is_older_than_the_limit(
    client, db, settings
):
    require_broker()
    settings.HEALTHCHECK_WORKER_MAX_AGE_SECONDS = 120
    record_worker_heartbeat(worker="celery@node-1")
    WorkerHeartbeat.objects.update(last_seen_at=timezone.now() - timedelta(seconds=125))

    response = client.get(reverse("healthz"))

    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "degraded"
    assert body["reasons"] == ["worker: newest heartbeat is 125 s old (limit 120 s)"]
    assert body["checks"]["worker"]["ok"] is False
    assert body["checks"]["worker"]["worker"] == "celery@node-1"


def test_healthz_judges_the_newest_heartbeat_of_all_workers(client, db):
    require_broker()
    record_worker_heartbeat(worker="celery@node-1")
    record_worker_heartbeat(worker="celery@node-2")
    WorkerHeartbeat.objects.filter(worker="celery@node-1").update(
        last_seen_at=timezone.now() - timedelta(hours=1)
    )

    response = client.get(reverse("healthz"))

    assert response.json()["status"] == "ok"
    # `.ci/run`'s smoke test of `make run` greps the JSON text for exactly this.
    assert '"worker": "celery@node-2"' in response.content.decode()


def test_healthz_is_503_when_the_broker_does_not_answer(client, db, settings):
    settings.CELERY_BROKER_URL = REFUSING_BROKER
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    record_worker_heartbeat(worker="celery@node-1")

    response = client.get(reverse("healthz"))

    body = response.json()
    assert response.status_code == 503
    assert body["status"] == "unavailable"
    assert body["reasons"] == ["broker: OperationalError"]
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["broker"]["error"] == "OperationalError"
    assert body["checks"]["worker"]["ok"] is True


def test_healthz_names_every_reason_when_the_broker_is_down_and_the_heartbeat_missing(
    client, db, settings
):
    settings.CELERY_BROKER_URL = REFUSING_BROKER
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert response.json()["reasons"] == [
        "broker: OperationalError",
        "worker: no heartbeat recorded",
    ]


def test_healthz_web_answers_200_while_the_broker_is_down(client, db, settings):
    settings.CELERY_BROKER_URL = REFUSING_BROKER
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}

    response = client.get(reverse("healthz-web"))

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "reasons": [],
        "checks": {"database": response.json()["checks"]["database"]},
    }
    assert response.json()["checks"]["database"]["ok"] is True


def test_a_paused_broker_does_not_hold_healthz_beyond_its_timeout(
    client, db, settings, private_redis
):
    settings.CELERY_BROKER_URL = private_redis.url()
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    settings.HEALTHCHECK_TIMEOUT_SECONDS = 1.0
    # A first probe while the broker answers, so that the timing below is not kombu's import.
    assert client.get(reverse("healthz")).json()["checks"]["broker"]["ok"] is True
    private_redis.pause()
    try:
        started = time.monotonic()
        response = client.get(reverse("healthz"))
        elapsed = time.monotonic() - started
    finally:
        private_redis.resume()

    assert response.status_code == 503
    assert response.json()["reasons"] == [
        "broker: OperationalError",
        "worker: no heartbeat recorded",
    ]
    assert 1.0 <= elapsed < 1.3


def test_healthz_needs_no_login_and_is_never_cached(client, db):
    for name in ("healthz", "healthz-web"):
        response = client.get(reverse(name))

        assert response.status_code in {200, 503}
        assert "no-cache" in response["Cache-Control"]


def test_healthz_reports_the_outbox_backlog_and_failed_messages(client, db):
    require_broker()
    record_worker_heartbeat(worker="celery@node-1")
    failed, _waiting = notify_account_holder(
        CustomerFactory(email="li@example.com"), subject="提醒", body="余额不足。"
    )
    Notification.objects.filter(pk=failed.pk).update(status=NotificationStatus.FAILED)

    body = client.get(reverse("healthz")).json()

    outbox = body["checks"]["outbox"]
    assert body["status"] == "ok"
    assert (outbox["notifications"]["due"], outbox["notifications"]["failed"]) == (1, 1)
    assert outbox["notices"]["due"] == 0
    assert outbox["max_wait_s"] == 600


def test_healthz_is_degraded_when_a_message_waits_longer_than_the_limit(client, db):
    require_broker()
    record_worker_heartbeat(worker="celery@node-1")
    (stalled,) = notify_account_holder(CustomerFactory(), subject="提醒", body="余额不足。")
    Notification.objects.filter(pk=stalled.pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=11)
    )

    response = client.get(reverse("healthz"))

    body = response.json()
    waited = body["checks"]["outbox"]["notifications"]["oldest_due_age_s"]
    assert (response.status_code, body["status"]) == (200, "degraded")
    assert waited > 600
    assert body["reasons"] == [
        f"outbox: a message has waited {waited:.0f} s to go out (limit 600 s)"
    ]
