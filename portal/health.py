"""Liveness of the parts the site depends on, for /healthz and for operators.

A check answers whether one part works (``CheckResult``); a ``HealthCheck`` says what its
failure means for the site: the database and the broker are needed to work at all (their
failure makes the site *unavailable*, 503), a missing or stale worker heartbeat only makes it
*degraded* (200: a web node still serves pages while deliveries wait, so a load balancer keeps
it and a monitor alerts). ``run_checks`` runs a dict of them within one time budget, so that a
paused broker cannot hold the probe beyond ``HEALTHCHECK_TIMEOUT_SECONDS``.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone
from kombu import Connection
from kombu.exceptions import KombuError

from complaints.models import Notification
from crm.channel_models import NoticeDelivery
from portal import outbox
from portal.models import WorkerHeartbeat


class HealthStatus(StrEnum):
    # In order of severity: the site's status is its worst check's.
    OK = "ok"
    DEGRADED = "degraded"
    UNAVAILABLE = "unavailable"


_SEVERITY = list(HealthStatus)


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    latency_ms: float
    error: str = ""
    details: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        data = {"ok": self.ok, "latency_ms": round(self.latency_ms, 1), **self.details}
        if self.error:
            data["error"] = self.error
        return data


@dataclass(frozen=True)
class HealthCheck:
    """One part of the site: how to check it and what its failure means."""

    run: Callable[..., CheckResult]
    on_failure: HealthStatus
    # Checks that must pass first (the heartbeat is read from the database): when one of
    # them failed this check is skipped, so the report names the cause, not its echoes.
    needs: tuple[str, ...] = ()


@dataclass(frozen=True)
class HealthReport:
    status: HealthStatus
    reasons: list[str]
    checks: dict[str, CheckResult | None]

    @property
    def http_status(self) -> int:
        return 503 if self.status == HealthStatus.UNAVAILABLE else 200

    def as_dict(self) -> dict:
        return {
            "status": self.status,
            "reasons": self.reasons,
            "checks": {
                name: result.as_dict() if result else {"ok": None, "skipped": True}
                for name, result in self.checks.items()
            },
        }


def check_database(*, timeout: float | None = None) -> CheckResult:
    # The connection's own connect timeout bounds this (DATABASE_CONNECT_TIMEOUT_SECONDS).
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return CheckResult(False, _elapsed_ms(started), type(exc).__name__)
    return CheckResult(True, _elapsed_ms(started))


def check_broker(url: str | None = None, *, timeout: float | None = None) -> CheckResult:
    """Open a connection to the Celery broker within ``timeout`` seconds; nothing is published."""
    timeout = settings.HEALTHCHECK_TIMEOUT_SECONDS if timeout is None else timeout
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


def check_worker(*, timeout: float | None = None) -> CheckResult:
    """The newest heartbeat of any worker is at most HEALTHCHECK_WORKER_MAX_AGE_SECONDS old.

    Beat sends one heartbeat a minute to whichever worker takes it, so a fresh one proves that
    beat schedules and at least one worker consumes; which worker ran it is shown, not judged.
    """
    max_age = settings.HEALTHCHECK_WORKER_MAX_AGE_SECONDS
    started = time.perf_counter()
    heartbeat = WorkerHeartbeat.objects.order_by("-last_seen_at").first()
    if heartbeat is None:
        details = {"last_seen_at": None, "age_s": None, "max_age_s": max_age, "worker": None}
        return CheckResult(False, _elapsed_ms(started), "no heartbeat recorded", details)
    age = (timezone.now() - heartbeat.last_seen_at).total_seconds()
    details = {
        "last_seen_at": heartbeat.last_seen_at.isoformat(),
        "age_s": round(age, 1),
        "max_age_s": max_age,
        "worker": heartbeat.worker,
    }
    if age > max_age:
        error = f"newest heartbeat is {age:.0f} s old (limit {max_age} s)"
        return CheckResult(False, _elapsed_ms(started), error, details)
    return CheckResult(True, _elapsed_ms(started), details=details)


def check_outbox(*, timeout: float | None = None) -> CheckResult:
    """What waits in the outboxes (``portal.outbox.backlog``: due, delayed, sending, failed).

    Fails when the oldest message due has waited longer than HEALTHCHECK_OUTBOX_MAX_WAIT_SECONDS:
    deliveries have stalled (a gateway refusing everything, or no worker taking the sweeps).
    Failed messages are counted for the monitor, not judged: they wait for a supervisor.
    """
    max_wait = settings.HEALTHCHECK_OUTBOX_MAX_WAIT_SECONDS
    started = time.perf_counter()
    backlogs = {
        "notifications": outbox.backlog(Notification.objects.all()),
        "notices": outbox.backlog(NoticeDelivery.objects.all()),
    }
    details = {**backlogs, "max_wait_s": max_wait}
    waits = [b["oldest_due_age_s"] for b in backlogs.values() if b["oldest_due_age_s"]]
    if waits and max(waits) > max_wait:
        error = f"a message has waited {max(waits):.0f} s to go out (limit {max_wait} s)"
        return CheckResult(False, _elapsed_ms(started), error, details)
    return CheckResult(True, _elapsed_ms(started), details=details)


# What /healthz checks; add a part here (with what its failure means) and the probe reports it.
SITE_CHECKS: dict[str, HealthCheck] = {
    "database": HealthCheck(check_database, on_failure=HealthStatus.UNAVAILABLE),
    "broker": HealthCheck(check_broker, on_failure=HealthStatus.UNAVAILABLE),
    "worker": HealthCheck(check_worker, on_failure=HealthStatus.DEGRADED, needs=("database",)),
    "outbox": HealthCheck(check_outbox, on_failure=HealthStatus.DEGRADED, needs=("database",)),
}
# What serving pages needs, for the load balancer's probe (/healthz/web): a broker outage
# delays deliveries but must not take every web node out of rotation.
WEB_CHECKS: dict[str, HealthCheck] = {"database": SITE_CHECKS["database"]}


def run_checks(checks: dict[str, HealthCheck], *, timeout: float) -> HealthReport:
    """Run ``checks`` in order, each given what is left of ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    status = HealthStatus.OK
    reasons: list[str] = []
    results: dict[str, CheckResult | None] = {}
    for name, check in checks.items():
        if any(not (results.get(need) and results[need].ok) for need in check.needs):
            results[name] = None
            continue
        # A floor, so that a slow first check still leaves the next one a real attempt.
        result = check.run(timeout=max(deadline - time.monotonic(), 0.1))
        results[name] = result
        if not result.ok:
            reasons.append(f"{name}: {result.error}")
            status = max(status, check.on_failure, key=_SEVERITY.index)
    return HealthReport(status=status, reasons=reasons, checks=results)


def _elapsed_ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
