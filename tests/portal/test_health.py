"""/healthz answers 200 only when the database and the broker both answer."""

from django.conf import settings
from django.urls import reverse

from portal.health import check_broker
from portal.services import record_worker_heartbeat
from tests.conftest import require_service


def test_healthz_is_ok_when_database_and_broker_answer(client, db):
    broker = check_broker()
    require_service("the Celery broker", broker.ok, settings.CELERY_BROKER_URL)

    response = client.get(reverse("healthz"))

    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is True
    assert body["scheduler"] == {"last_seen_at": None, "age_s": None, "worker": None}


def test_healthz_is_503_when_the_broker_does_not_answer(client, db, settings):
    # Port 1 on loopback: nothing listens, the connection is refused at once.
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}

    response = client.get(reverse("healthz"))

    body = response.json()
    assert response.status_code == 503
    assert body["status"] == "unavailable"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["broker"]["error"] == "OperationalError"


def test_healthz_reports_the_latest_worker_heartbeat(client, db):
    record_worker_heartbeat(worker="celery@node-1")

    body = client.get(reverse("healthz")).json()

    assert body["scheduler"]["worker"] == "celery@node-1"
    assert 0 <= body["scheduler"]["age_s"] < 60


def test_healthz_needs_no_login_and_is_never_cached(client, db):
    response = client.get(reverse("healthz"))

    assert response.status_code in {200, 503}
    assert "no-cache" in response["Cache-Control"]
