"""The SMS gateway interface. The default backend stores messages in the outbox table.

Production plugs in the operator's SMS centre by naming a class in ``SMS_BACKEND`` with a
``send(message, body, *, idempotency_key)`` method that raises when the message was not
accepted. Whatever the backend, every message is an ``OutboundSms`` row, so the portal and staff
can show what a customer was sent, and the gateway is never called inside a transaction:

- ``deliver_sms`` is for outbox workers (``portal.outbox``): called with no transaction open and
  the outbox row's key; a retry finds the same ``OutboundSms`` row by that key.
- ``send_sms`` is for a text the customer waits for right now (a one-time code, the bill the
  caller asked the voice menu for): the row is written in the caller's transaction and handed
  to the gateway once, right after the commit. A code is worth nothing after its few minutes,
  so a failure is recorded, not retried: the customer asks for a new one.
"""

import logging
from typing import Protocol

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from portal.models import OutboundSms

logger = logging.getLogger(__name__)


class SmsBackend(Protocol):
    def send(self, message: OutboundSms, body: str, *, idempotency_key: str) -> None:
        """Hand one message to the gateway; raise if it was not accepted. A gateway that is
        given a key it accepted before must not send that message again."""


class OutboxBackend:
    """Delivers into the outbox itself: for development, demos and tests the outbox is the
    customer's phone, so it keeps the real text (a verification code can be read there).
    Keys are honoured by construction: one row per key."""

    def send(self, message: OutboundSms, body: str, *, idempotency_key: str) -> None:
        if message.body != body:
            message.body = body
            message.save(update_fields=["body"])


def gateway() -> SmsBackend:
    return import_string(settings.SMS_BACKEND)()


def deliver_sms(msisdn: str, body: str, *, idempotency_key: str) -> OutboundSms:
    """Hand an outbox message to the gateway (raises when it was not accepted). Call it with no
    transaction open: the row is committed before the gateway is called, so that a worker that
    dies after the gateway accepted leaves the key behind for the next attempt."""
    message, _created = OutboundSms.objects.get_or_create(
        idempotency_key=idempotency_key, defaults={"msisdn": msisdn, "body": body}
    )
    try:
        gateway().send(message, body, idempotency_key=idempotency_key)
    except Exception as exc:
        _record(message, OutboundSms.Status.FAILED, error=str(exc))
        raise
    _record(message, OutboundSms.Status.SENT)
    return message


def send_sms(msisdn: str, body: str, *, sensitive_body: str | None = None) -> OutboundSms:
    """Record a text and hand it to the gateway once the caller's transaction commits (at once
    outside one). ``sensitive_body`` is what the row keeps instead of a secret; the secret
    itself lives only in memory until the gateway has it."""
    message = OutboundSms.objects.create(
        msisdn=msisdn,
        body=sensitive_body if sensitive_body is not None else body,
        sensitive=sensitive_body is not None,
    )
    transaction.on_commit(lambda: _send_once(message, body), robust=True)
    return message


def _send_once(message: OutboundSms, body: str) -> None:
    try:
        gateway().send(message, body, idempotency_key=message.gateway_key)
    except Exception as exc:  # noqa: BLE001 - a refused text is recorded; the customer asks again
        logger.warning("SMS %s not accepted by the gateway: %s", message.pk, exc)
        _record(message, OutboundSms.Status.FAILED, error=str(exc))
        return
    _record(message, OutboundSms.Status.SENT)


def _record(message: OutboundSms, status: str, *, error: str = "") -> None:
    message.status, message.error = status, error[:300]
    message.sent_at = timezone.now() if status == OutboundSms.Status.SENT else None
    OutboundSms.objects.filter(pk=message.pk).update(
        status=message.status, error=message.error, sent_at=message.sent_at
    )
