"""Outbox delivery: claim a row, call the gateway outside any transaction, record the result.

Every table of messages the platform owes someone (``complaints.Notification``,
``crm.NoticeDelivery``) is an outbox with the fields of ``OutboxFields`` and is delivered the
same way:

1. **claim** — one short transaction selects due rows (``pending`` and ``next_attempt_at`` passed)
   with ``FOR UPDATE SKIP LOCKED`` and marks them ``sending`` with ``claimed_at`` and one more
   attempt. Two workers never claim the same row and never wait on each other's locks, so more
   workers deliver more.
2. **send** — the gateway is called with no transaction open and with the row's stable
   idempotency key (``<table>-<id>``), the same on every attempt.
3. **record** — ``sent``, or on an error ``pending`` again at ``next_attempt_at`` = now + an
   exponential, jittered delay, or ``failed`` when ``retry_until`` (24 hours after the row was
   written, by default) has passed. Only the claim that is still current may record (the row's
   ``claimed_at`` is the claim's token).

A worker that dies between 1 and 3 leaves its rows ``sending``. After ``OUTBOX_CLAIM_TIMEOUT``
they go back to ``pending`` and are sent again with the same key: a gateway that honours keys
drops the repeat, so a message reaches the customer once.
"""

import datetime
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import models, transaction
from django.db.models import Count, F, Min, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.masking import mask_pii
from portal.models import DeliveryRetry

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
ERROR_LENGTH = 300
# Waiting for another attempt after failed ones; and what a person may want to look at.
DELAYED = Q(status=PENDING, attempts__gt=0)
PROBLEMS = Q(status=FAILED) | DELAYED


def default_retry_until() -> datetime.datetime:
    return timezone.now() + datetime.timedelta(hours=settings.OUTBOX_RETRY_WINDOW_HOURS)


class OutboxFields(models.Model):
    """The delivery state of an outbox row (its ``status`` field is the table's own, with at
    least the values pending, sending, sent and failed)."""

    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.CharField(_("last error"), max_length=ERROR_LENGTH, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    retry_until = models.DateTimeField(_("retried until"), default=default_retry_until)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def is_delayed(self) -> bool:
        """Waiting for another attempt after a failed one."""
        return self.status == PENDING and self.attempts > 0


@dataclass(frozen=True)
class RetryPolicy:
    first_delay: datetime.timedelta
    longest_delay: datetime.timedelta

    def delay(self, attempts: int, rng: random.Random | None = None) -> datetime.timedelta:
        """After the ``attempts``-th failure: the first delay doubled each time up to the longest,
        then a random part of it dropped ("equal jitter": between half and all of it), so that
        the messages of one outage do not all come back at the same second."""
        ceiling = min(self.first_delay * 2 ** max(attempts - 1, 0), self.longest_delay)
        return ceiling * (0.5 + (rng or random).random() / 2)


def retry_policy() -> RetryPolicy:
    return RetryPolicy(
        first_delay=datetime.timedelta(seconds=settings.OUTBOX_RETRY_FIRST_DELAY_SECONDS),
        longest_delay=datetime.timedelta(seconds=settings.OUTBOX_RETRY_LONGEST_DELAY_SECONDS),
    )


@dataclass(frozen=True)
class Claim:
    pk: int
    claimed_at: datetime.datetime


def claim(
    rows: QuerySet, *, now: datetime.datetime, limit: int, order_by: Iterable[str] = ("pk",)
) -> list[Claim]:
    """Claim up to ``limit`` due rows of ``rows`` (a queryset of one outbox table)."""
    with transaction.atomic():
        ids = list(
            rows.filter(status=PENDING, next_attempt_at__lte=now)
            .order_by(*order_by)
            .select_for_update(skip_locked=True, of=("self",))
            .values_list("pk", flat=True)[:limit]
        )
        if ids:
            rows.model.objects.filter(pk__in=ids, status=PENDING).update(
                status=SENDING, claimed_at=now, attempts=F("attempts") + 1
            )
    return [Claim(pk, now) for pk in ids]


def record_sent(model, claim: Claim, *, now: datetime.datetime, **fields) -> bool:
    """Mark a claimed row sent; False when the claim was no longer current."""
    return (
        model.objects.filter(pk=claim.pk, status=SENDING, claimed_at=claim.claimed_at).update(
            status=SENT, sent_at=now, error="", **fields
        )
        == 1
    )


def record_outcome(model, claim: Claim, status: str, *, error: str = "") -> bool:
    """End a claimed row in a status of the table's own (say, skipped) without sending."""
    return (
        model.objects.filter(pk=claim.pk, status=SENDING, claimed_at=claim.claimed_at).update(
            status=status, error=error[:ERROR_LENGTH]
        )
        == 1
    )


def record_failure(
    model,
    claim: Claim,
    exc: Exception,
    *,
    now: datetime.datetime,
    policy: RetryPolicy | None = None,
) -> str | None:
    """A failed attempt: back to pending for a later attempt, or failed once the row's retry
    window has passed. The error is kept for staff (numbers in it masked, as in the logs).
    Returns the new status (None when the claim was no longer current)."""
    row = (
        model.objects.filter(pk=claim.pk, status=SENDING, claimed_at=claim.claimed_at)
        .values("attempts", "retry_until")
        .first()
    )
    if row is None:
        return None
    next_attempt_at = now + (policy or retry_policy()).delay(row["attempts"])
    status = FAILED if next_attempt_at > row["retry_until"] else PENDING
    error = mask_pii(f"{type(exc).__name__}: {exc}")[:ERROR_LENGTH]
    updated = model.objects.filter(pk=claim.pk, status=SENDING, claimed_at=claim.claimed_at).update(
        status=status, next_attempt_at=next_attempt_at, error=error
    )
    return status if updated else None


def recover_stale_claims(rows: QuerySet, *, now: datetime.datetime) -> int:
    """Put back rows left ``sending`` by a worker that died (same key on the next attempt)."""
    timeout = datetime.timedelta(seconds=settings.OUTBOX_CLAIM_TIMEOUT_SECONDS)
    return rows.filter(status=SENDING, claimed_at__lt=now - timeout).update(
        status=PENDING, next_attempt_at=now
    )


def backlog(rows: QuerySet, *, now: datetime.datetime | None = None) -> dict:
    """What waits in an outbox (one query; sent rows are never read): ``due`` now, ``delayed``
    after failed attempts, being ``sending``, ``failed`` for good, and the age in seconds of the
    oldest due row (None when nothing is due)."""
    now = now or timezone.now()
    due = Q(status=PENDING, next_attempt_at__lte=now)
    counts = rows.filter(status__in=(PENDING, SENDING, FAILED)).aggregate(
        due=Count("pk", filter=due),
        delayed=Count("pk", filter=DELAYED),
        sending=Count("pk", filter=Q(status=SENDING)),
        failed=Count("pk", filter=Q(status=FAILED)),
        oldest_due=Min("next_attempt_at", filter=due),
    )
    oldest = counts.pop("oldest_due")
    counts["oldest_due_age_s"] = round((now - oldest).total_seconds(), 1) if oldest else None
    return counts


@transaction.atomic
def retry_rows(rows: QuerySet, *, actor, outbox: str, scope: str) -> int:
    """A staff member's decision: failed and delayed rows are due again now, with a fresh retry
    window; the decision is recorded with how many it concerned. Returns that number."""
    now = timezone.now()
    count = rows.filter(PROBLEMS).update(
        status=PENDING,
        next_attempt_at=now,
        retry_until=now + datetime.timedelta(hours=settings.OUTBOX_RETRY_WINDOW_HOURS),
    )
    if count:
        DeliveryRetry.objects.create(actor=actor, outbox=outbox, scope=scope[:200], row_count=count)
    return count


def clock(now: datetime.datetime | None = None) -> Callable[[], datetime.datetime]:
    """The time of each step of a sweep: the real one, or a fixed one a caller gives (say, a
    test that plays an outage of several hours)."""
    if now is not None:
        return lambda: now
    return timezone.now


def sweep(
    model,
    claim_batch: Callable[[], list[Claim]],
    deliver: Callable[[Claim], bool],
    *,
    budget_seconds: float | None = None,
) -> int:
    """Claim and deliver batch after batch until nothing is due or the time budget is spent
    (so that one sweep never holds a worker for long); returns how many were sent."""
    budget = settings.OUTBOX_SWEEP_SECONDS if budget_seconds is None else budget_seconds
    deadline = time.monotonic() + budget
    sent = 0
    while time.monotonic() < deadline:
        claims = claim_batch()
        if not claims:
            break
        for index, claimed in enumerate(claims):
            if time.monotonic() >= deadline:
                # Out of time: the rest go back at once rather than wait for the claim timeout.
                release(model, claims[index:])
                return sent
            sent += bool(deliver(claimed))
    return sent


def release(model, claims: list[Claim]) -> int:
    """Hand claimed rows back unsent, due at once; their attempt does not count."""
    released = 0
    for claimed in claims:
        released += model.objects.filter(
            pk=claimed.pk, status=SENDING, claimed_at=claimed.claimed_at
        ).update(status=PENDING, attempts=F("attempts") - 1)
    return released
