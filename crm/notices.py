"""Notices to customers (fraud warnings, planned maintenance; 营业厅 11.3 防范网络诈骗): targeted by
segment and area, shown as a banner in the customer portal, texted through the SMS outbox.

Publishing fixes the audience in the publishing transaction: one ``NoticeDelivery`` row per
customer (set-based, ``portal.bulk_sql.insert_rows``). The banner reads those rows; beat's
``deliver_pending_notices`` texts them on the bulk lane, as every outbox is delivered
(``portal.outbox``): claimed with ``SKIP LOCKED``, handed to the gateway with no transaction
open under the key ``notice-delivery-<id>`` (``portal.sms.deliver_sms``), marked sent with its
SMS, or retried with backoff for ``OUTBOX_RETRY_WINDOW_HOURS``. A row left claimed by a worker
that died goes back after ``OUTBOX_CLAIM_TIMEOUT_SECONDS`` and keeps its key.
"""

import datetime
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.channel_choices import NOTICE_TRANSITIONS, DeliveryStatus, NoticeKind, NoticeStatus
from crm.channel_errors import ContactError, ContactErrorCode
from crm.channel_models import Notice, NoticeDelivery
from crm.choices import Segment
from crm.models import Customer
from portal import outbox
from portal.bulk_sql import insert_rows
from portal.models import DeliveryRetry
from portal.sms import deliver_sms

logger = logging.getLogger(__name__)

INSERT_CHUNK = 5000


def clean_notice(
    *,
    kind: str,
    title: str,
    body: str,
    sms_text: str = "",
    segment: str = "",
    area: str = "",
    starts_at: datetime.datetime | None = None,
    ends_at: datetime.datetime | None = None,
) -> dict:
    errors = {}
    if kind not in NoticeKind.values:
        errors["kind"] = ValidationError(_("Unknown kind of notice."), code="invalid")
    if not (title or "").strip():
        errors["title"] = ValidationError(_("Give the notice a title."), code="required")
    if not (body or "").strip():
        errors["body"] = ValidationError(_("Write the notice."), code="required")
    if segment and segment not in Segment.values:
        errors["segment"] = ValidationError(_("Unknown customer segment."), code="invalid")
    if len((sms_text or "").strip()) > 300:
        errors["sms_text"] = ValidationError(_("Keep the SMS under 300 characters."), "max")
    starts_at = starts_at or timezone.now()
    if ends_at is not None and ends_at <= starts_at:
        errors["ends_at"] = ValidationError(_("The end must come after the start."), "invalid")
    if errors:
        raise ValidationError(errors)
    return {
        "kind": kind,
        "title": title.strip()[:120],
        "body": body.strip(),
        "sms_text": (sms_text or "").strip(),
        "segment": segment or "",
        "area": (area or "").strip()[:60],
        "starts_at": starts_at,
        "ends_at": ends_at,
    }


@transaction.atomic
def create_notice(*, actor, send_sms: bool = True, **fields) -> Notice:
    """A draft notice; nothing reaches a customer until it is published."""
    return Notice.objects.create(**clean_notice(**fields), send_sms=send_sms, created_by=actor)


def audience(notice: Notice) -> QuerySet[Customer]:
    """The customers a notice targets: its segment (all when empty) and its area, found in the
    customer's address or a line's installation address (all when empty)."""
    customers = Customer.objects.all()
    if notice.segment:
        customers = customers.filter(segment=notice.segment)
    if notice.area:
        in_area = Customer.objects.filter(
            Q(address__contains=notice.area)
            | Q(subscriptions__installation_address__contains=notice.area)
        ).values("pk")
        customers = customers.filter(pk__in=in_area)
    return customers


def _move(notice: Notice, to_status: str) -> None:
    if to_status not in NOTICE_TRANSITIONS[notice.status]:
        raise ContactError(
            ContactErrorCode.INVALID_TRANSITION,
            _("A notice cannot go from %(from)s to %(to)s.")
            % {"from": NoticeStatus(notice.status).label, "to": NoticeStatus(to_status).label},
        )
    notice.status = to_status


@transaction.atomic
def publish_notice(notice: Notice, *, actor) -> Notice:
    """Publish: the audience is fixed now (one delivery row each) and the banner shows from
    ``starts_at``; the SMS go out with the next delivery sweep."""
    notice = Notice.objects.select_for_update().get(pk=notice.pk)
    _move(notice, NoticeStatus.PUBLISHED)
    # Customers who turned service notices by SMS off in the portal's privacy settings get the
    # banner only (the same query, an EXISTS per row).
    from portal.selfservice.selectors import sms_notice_opt_outs

    status = DeliveryStatus.PENDING if notice.send_sms else DeliveryStatus.BANNER_ONLY
    now = timezone.now()
    retry_until = outbox.default_retry_until()
    reached = 0
    batch = []
    customers = audience(notice).annotate(
        no_sms=Exists(sms_notice_opt_outs().filter(customer_id=OuterRef("pk")))
    )
    for customer_id, phone, no_sms in customers.order_by("pk").values_list(
        "pk", "contact_phone", "no_sms"
    ):
        row_status = DeliveryStatus.BANNER_ONLY if no_sms else status
        batch.append((notice.pk, customer_id, phone, row_status, 0, "", now, now, retry_until))
        if len(batch) >= INSERT_CHUNK:
            reached += _insert(batch)
            batch = []
    reached += _insert(batch)
    if not reached:
        raise ContactError(
            ContactErrorCode.NOTICE_AUDIENCE_EMPTY,
            _("No customer is in this segment and area: nothing was published."),
        )
    notice.published_by, notice.published_at, notice.audience_size = actor, now, reached
    notice.save(
        update_fields=["status", "published_by", "published_at", "audience_size", "updated_at"]
    )
    return notice


def _insert(rows: list[tuple]) -> int:
    return insert_rows(
        NoticeDelivery,
        [
            "notice",
            "customer",
            "msisdn",
            "status",
            "attempts",
            "error",
            "created_at",
            "next_attempt_at",
            "retry_until",
        ],
        rows,
    )


@transaction.atomic
def withdraw_notice(notice: Notice, *, actor) -> Notice:
    """Take the banner down; SMS not yet sent are not sent."""
    notice = Notice.objects.select_for_update().get(pk=notice.pk)
    _move(notice, NoticeStatus.WITHDRAWN)
    notice.save(update_fields=["status", "updated_at"])
    notice.deliveries.filter(status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.FAILED, error=_("The notice was withdrawn.")
    )
    return notice


def retry_notice_deliveries(notice: Notice, *, actor) -> int:
    """A supervisor sends a published notice's failed or delayed SMS again now (with a fresh
    retry window); recorded with how many. A withdrawn notice sends nothing more."""
    return outbox.retry_rows(
        NoticeDelivery.objects.filter(notice=notice, notice__status=NoticeStatus.PUBLISHED),
        actor=actor,
        outbox=DeliveryRetry.Outbox.NOTICES,
        scope=notice.title,
    )


def deliver_pending_notices(*, now=None, budget_seconds: float | None = None) -> int:
    """A sweep of the notice outbox (the bulk lane): put back rows a dead worker left claimed,
    then text what is due, oldest first, until nothing is due or the time budget is spent.
    Returns how many were sent."""
    now_of = outbox.clock(now)
    rows = NoticeDelivery.objects.filter(notice__status=NoticeStatus.PUBLISHED)
    outbox.recover_stale_claims(NoticeDelivery.objects.all(), now=now_of())
    return outbox.sweep(
        NoticeDelivery,
        lambda: outbox.claim(rows, now=now_of(), limit=settings.OUTBOX_CLAIM_BATCH),
        lambda claimed: deliver_claimed(claimed, now=now_of()),
        budget_seconds=budget_seconds,
    )


def deliver_claimed(claimed: outbox.Claim, *, now=None) -> bool:
    """Text one claimed delivery with no transaction open; True when the gateway took it."""
    delivery = NoticeDelivery.objects.select_related("notice").get(pk=claimed.pk)
    try:
        sms = deliver_sms(
            delivery.msisdn, delivery.notice.sms_body, idempotency_key=delivery.idempotency_key
        )
    except Exception as exc:  # noqa: BLE001 - any gateway failure is recorded and retried
        logger.warning("notice delivery %s failed: %s", delivery.pk, exc)
        outbox.record_failure(NoticeDelivery, claimed, exc, now=now or timezone.now())
        return False
    return outbox.record_sent(NoticeDelivery, claimed, now=now or timezone.now(), sms=sms)
