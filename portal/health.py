"""Liveness of the parts the site depends on, for /healthz and for operators."""

import time
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone
from kombu import Connection
from kombu.exceptions import KombuError

from portal.models import WorkerHeartbeat


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    latency_ms: float
    error: str = ""

    def as_dict(self) -> dict:
        data = {"ok": self.ok, "latency_ms": round(self.latency_ms, 1)}
        if self.error:
            data["error"] = self.error
        return data


def check_database() -> CheckResult:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return CheckResult(False, _elapsed_ms(started), type(exc).__name__)
    return CheckResult(True, _elapsed_ms(started))


def check_broker(url: str | None = None) -> CheckResult:
    """Open a connection to the Celery broker with a short timeout; nothing is published."""
    timeout = settings.HEALTHCHECK_TIMEOUT_SECONDS
    transport_options = dict(settings.CELERY_BROKER_TRANSPORT_OPTIONS)
    transport_options.update(socket_connect_timeout=timeout, socket_timeout=timeout)
    started = time.perf_counter()
    broker = Connection(
        url or settings.CELERY_BROKER_URL,
        connect_timeout=timeout,
        transport_options=transport_options,
    )
    try:
        broker.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=timeout)
    # OSError covers refused and timed-out sockets that kombu does not wrap.
    except (KombuError, OSError) as exc:
        return CheckResult(False, _elapsed_ms(started), type(exc).__name__)
    finally:
        broker.release()
    return CheckResult(True, _elapsed_ms(started))


def last_worker_heartbeat() -> dict:
    """Informational: the newest heartbeat from any worker (None before the first one)."""
    heartbeat = WorkerHeartbeat.objects.order_by("-last_seen_at").first()
    if heartbeat is None:
        return {"last_seen_at": None, "age_s": None, "worker": None}
    age = (timezone.now() - heartbeat.last_seen_at).total_seconds()
    return {
        "last_seen_at": heartbeat.last_seen_at.isoformat(),
        "age_s": round(age, 1),
        "worker": heartbeat.worker,
    }


def _elapsed_ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
