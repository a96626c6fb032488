"""The SMS gateway interface. The default backend stores messages in the outbox table.

Production plugs in the operator's SMS centre by naming a class with a ``send(message)`` method
in ``SMS_BACKEND``; whatever the backend, every message is first an ``OutboundSms`` row, so the
portal and staff can show what a customer was sent.
"""

from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from portal.models import OutboundSms


class SmsBackend(Protocol):
    def send(self, message: OutboundSms, body: str) -> None: ...


class OutboxBackend:
    """Delivers into the outbox itself: for development, demos and tests the outbox is the
    customer's phone, so it keeps the real text (a verification code can be read there)."""

    def send(self, message: OutboundSms, body: str) -> None:
        if message.body != body:
            message.body = body
            message.save(update_fields=["body"])


def send_sms(msisdn: str, body: str, *, sensitive_body: str | None = None) -> OutboundSms:
    """Record and send one SMS. ``sensitive_body`` is what the outbox keeps instead of a secret."""
    message = OutboundSms.objects.create(
        msisdn=msisdn,
        body=sensitive_body if sensitive_body is not None else body,
        sensitive=sensitive_body is not None,
    )
    backend: SmsBackend = import_string(settings.SMS_BACKEND)()
    backend.send(message, body)
    return message
