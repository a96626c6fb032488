"""Choices of the billing app."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class LedgerEntryKind(models.TextChoices):
    TOP_UP = "top_up", _("Top-up")
    USAGE_CHARGE = "usage_charge", _("Usage charge")
    MONTHLY_FEE = "monthly_fee", _("Monthly fee")
    ADJUSTMENT = "adjustment", _("Adjustment")
    REFUND = "refund", _("Refund")
    TERMINATION_FEE = "termination_fee", _("Early-termination fee")


# Kinds that add money to the account (their amount is positive); the others take it away.
CREDIT_KINDS = frozenset({LedgerEntryKind.TOP_UP, LedgerEntryKind.REFUND})


class TopUpChannel(models.TextChoices):
    """Where the money came in (营业厅业务办理指南: the payment channels)."""

    ONLINE = "online", _("Online")
    BUSINESS_HALL = "business_hall", _("Business hall")
    BANK_CARD = "bank_card", _("Bank card")
    VOUCHER = "voucher", _("Top-up card")
    SELF_SERVICE_TERMINAL = "self_service_terminal", _("Self-service terminal")


class UsageEventType(models.TextChoices):
    VOICE_OUT_LOCAL = "voice_out_local", _("Local call")
    VOICE_OUT_LD = "voice_out_ld", _("Domestic long-distance call")
    VOICE_OUT_ROAMING = "voice_out_roaming", _("Roaming outgoing call")
    VOICE_IN = "voice_in", _("Incoming call")
    VOICE_IN_ROAMING = "voice_in_roaming", _("Roaming incoming call")
    SMS = "sms", pgettext_lazy("usage", "SMS")
    DATA = "data", _("Data")


VOICE_EVENTS = frozenset(
    {
        UsageEventType.VOICE_OUT_LOCAL,
        UsageEventType.VOICE_OUT_LD,
        UsageEventType.VOICE_OUT_ROAMING,
        UsageEventType.VOICE_IN,
        UsageEventType.VOICE_IN_ROAMING,
    }
)


class UsageStatus(models.TextChoices):
    RATED = "rated", _("Rated")
    REJECTED = "rejected", _("Rejected")


class BillLineKind(models.TextChoices):
    """The lines of a monthly bill, in the order they are printed."""

    MONTHLY_FEES = "monthly_fees", _("Monthly fees")
    LOCAL = "local", _("Local calls")
    LONG_DISTANCE = "long_distance", _("Long-distance calls")
    ROAMING = "roaming", _("Roaming")
    SMS = "sms", pgettext_lazy("bill line", "SMS")
    DATA = "data", _("Data")


# Which bill line each usage event is printed on.
BILL_LINE_FOR_EVENT = {
    UsageEventType.VOICE_OUT_LOCAL: BillLineKind.LOCAL,
    UsageEventType.VOICE_IN: BillLineKind.LOCAL,
    UsageEventType.VOICE_OUT_LD: BillLineKind.LONG_DISTANCE,
    UsageEventType.VOICE_OUT_ROAMING: BillLineKind.ROAMING,
    UsageEventType.VOICE_IN_ROAMING: BillLineKind.ROAMING,
    UsageEventType.SMS: BillLineKind.SMS,
    UsageEventType.DATA: BillLineKind.DATA,
}
