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
    PROMOTION_BONUS = "promotion_bonus", _("Promotion bonus")
    POINTS_CREDIT = "points_credit", _("Points redemption credit")
    INSTALMENT = "instalment", _("Device instalment")
    TERMINATION_FEE = "termination_fee", _("Early-termination fee")


# Kinds that add money to the account (their amount is positive); the others take it away.
CREDIT_KINDS = frozenset(
    {
        LedgerEntryKind.TOP_UP,
        LedgerEntryKind.REFUND,
        LedgerEntryKind.PROMOTION_BONUS,
        LedgerEntryKind.POINTS_CREDIT,
    }
)
# Credits the customer did not pay for: tracked as the account's bonus balance, which a refund
# of the balance never pays out (see ``PrepaidBalance.bonus_balance``).
BONUS_KINDS = frozenset({LedgerEntryKind.PROMOTION_BONUS, LedgerEntryKind.POINTS_CREDIT})


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


# --- Commerce: promotions, points, instalments, arrears --------------------------------------


class BankCode(models.TextChoices):
    """Banks whose card top-ups may carry a bank offer (营业厅 8.3.3 银行优惠)."""

    ICBC = "ICBC", _("Industrial and Commercial Bank of China")
    CCB = "CCB", _("China Construction Bank")
    ABC = "ABC", _("Agricultural Bank of China")
    BOC = "BOC", _("Bank of China")
    BOCOM = "BOCOM", _("Bank of Communications")
    CMB = "CMB", _("China Merchants Bank")


class PromotionKind(models.TextChoices):
    """The four offers of the business-hall guide (营业厅 8.3 充值缴费优惠政策)."""

    TOP_UP_BONUS = "top_up_bonus", _("Limited-time top-up offer")
    POINTS_REDEMPTION = "points_redemption", _("Points redemption")
    BANK_OFFER = "bank_offer", _("Bank offer")
    GROUP_PURCHASE = "group_purchase", _("Enterprise group purchase")


# Kinds a top-up may get (the best eligible one, or the one the customer picks).
TOP_UP_PROMOTION_KINDS = frozenset({PromotionKind.TOP_UP_BONUS, PromotionKind.BANK_OFFER})


class RewardKind(models.TextChoices):
    """What a points redemption gives."""

    BILL_CREDIT = "bill_credit", _("Bill credit")
    VALUE_ADDED_SERVICE = "value_added_service", _("Value-added service")


class PointsEntryKind(models.TextChoices):
    EARN = "earn", _("Earned")
    REDEEM = "redeem", _("Redeemed")
    EXPIRE = "expire", _("Expired")


class InstalmentPlanStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("instalment plan", "Active")
    COMPLETED = "completed", _("Completed")
    PAID_OFF = "paid_off", _("Paid off early")
    CANCELLED = "cancelled", _("Cancelled")


INSTALMENT_PLAN_TRANSITIONS: dict[str, frozenset[str]] = {
    InstalmentPlanStatus.ACTIVE: frozenset(
        {
            InstalmentPlanStatus.COMPLETED,
            InstalmentPlanStatus.PAID_OFF,
            InstalmentPlanStatus.CANCELLED,
        }
    ),
    InstalmentPlanStatus.COMPLETED: frozenset(),
    InstalmentPlanStatus.PAID_OFF: frozenset(),
    InstalmentPlanStatus.CANCELLED: frozenset(),
}


class InstalmentDueStatus(models.TextChoices):
    SCHEDULED = "scheduled", pgettext_lazy("instalment", "Scheduled")
    PAID = "paid", _("Paid")
    OVERDUE = "overdue", _("Overdue")
    SETTLED = "settled", _("Settled by early payoff")
    CANCELLED = "cancelled", _("Cancelled")


# A due is charged on its date (paid) or, without the balance for it, becomes overdue until a
# top-up pays it; an early payoff settles what is left, a cancellation drops it.
INSTALMENT_DUE_TRANSITIONS: dict[str, frozenset[str]] = {
    InstalmentDueStatus.SCHEDULED: frozenset(
        {
            InstalmentDueStatus.PAID,
            InstalmentDueStatus.OVERDUE,
            InstalmentDueStatus.SETTLED,
            InstalmentDueStatus.CANCELLED,
        }
    ),
    InstalmentDueStatus.OVERDUE: frozenset(
        {InstalmentDueStatus.PAID, InstalmentDueStatus.SETTLED, InstalmentDueStatus.CANCELLED}
    ),
    InstalmentDueStatus.PAID: frozenset(),
    InstalmentDueStatus.SETTLED: frozenset(),
    InstalmentDueStatus.CANCELLED: frozenset(),
}
OPEN_DUE_STATUSES = frozenset({InstalmentDueStatus.SCHEDULED, InstalmentDueStatus.OVERDUE})


class InstalmentEventKind(models.TextChoices):
    CREATED = "created", _("Purchased on instalments")
    DUE_PAID = "due_paid", _("Instalment paid")
    DUE_OVERDUE = "due_overdue", _("Instalment overdue")
    COMPLETED = "completed", _("All instalments paid")
    PAID_OFF = "paid_off", _("Paid off early")
    CANCELLED = "cancelled", _("Cancelled")


class ArrearsCause(models.TextChoices):
    NEGATIVE_BALANCE = "negative_balance", _("Balance below the credit limit")
    OVERDUE_INSTALMENT = "overdue_instalment", _("Overdue instalment")


class ArrearsStatus(models.TextChoices):
    NOTIFIED = "notified", _("Notified, in the grace period")
    SUSPENDED = "suspended", _("Lines suspended")
    CLEARED = "cleared", _("Cleared")


ARREARS_TRANSITIONS: dict[str, frozenset[str]] = {
    ArrearsStatus.NOTIFIED: frozenset({ArrearsStatus.SUSPENDED, ArrearsStatus.CLEARED}),
    ArrearsStatus.SUSPENDED: frozenset({ArrearsStatus.CLEARED}),
    ArrearsStatus.CLEARED: frozenset(),
}
OPEN_ARREARS_STATUSES = frozenset({ArrearsStatus.NOTIFIED, ArrearsStatus.SUSPENDED})


class ArrearsEventKind(models.TextChoices):
    NOTIFIED = "notified", _("Arrears notice sent")
    LINE_SUSPENDED = "line_suspended", _("Line suspended (outgoing barred)")
    LINE_RESTORED = "line_restored", _("Line restored")
    CLEARED = "cleared", _("Arrears cleared")
