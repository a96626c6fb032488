"""Choices of the crm app and the allowed transitions of its status fields."""

from itertools import pairwise

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class CustomerKind(models.TextChoices):
    INDIVIDUAL = "individual", _("Individual")
    ENTERPRISE = "enterprise", _("Enterprise")


class DocumentType(models.TextChoices):
    RESIDENT_ID = "resident_id", _("Resident ID card")
    CREDIT_CODE = "credit_code", _("Unified social credit code")
    PASSPORT = "passport", _("Passport")


class Segment(models.TextChoices):
    STANDARD = "standard", _("Standard")
    VIP = "vip", _("VIP")


class Channel(models.TextChoices):
    """Where a contact happened or a record was created (the documents' service channels)."""

    HOTLINE = "hotline", _("Hotline")
    IVR = "ivr", _("IVR self-service")
    ONLINE_CHAT = "online_chat", _("Online chat")
    EMAIL = "email", _("E-mail")
    SOCIAL_MEDIA = "social_media", _("Social media")
    BUSINESS_HALL = "business_hall", _("Business hall")
    WEB_PORTAL = "web_portal", _("Self-service portal")


class ProductKind(models.TextChoices):
    MOBILE_PLAN = "mobile_plan", _("Mobile plan")
    VALUE_ADDED = "value_added", _("Value-added service")
    FEATURE = "feature", _("Feature")
    BROADBAND_PLAN = "broadband_plan", _("Broadband plan")
    FIXED_LINE_PLAN = "fixed_line_plan", _("Fixed-line plan")
    ONE_TIME = "one_time", _("One-time charge")


class SubscriptionKind(models.TextChoices):
    MOBILE = "mobile", _("Mobile line")
    BROADBAND = "broadband", _("Broadband")
    FIXED_LINE = "fixed_line", _("Fixed line")


# Which plan kind each kind of subscription takes.
PLAN_KIND_FOR_SUBSCRIPTION = {
    SubscriptionKind.MOBILE: ProductKind.MOBILE_PLAN,
    SubscriptionKind.BROADBAND: ProductKind.BROADBAND_PLAN,
    SubscriptionKind.FIXED_LINE: ProductKind.FIXED_LINE_PLAN,
}


class SubscriptionStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    TERMINATED = "terminated", _("Terminated")


SUBSCRIPTION_TRANSITIONS: dict[str, frozenset[str]] = {
    SubscriptionStatus.ACTIVE: frozenset(
        {SubscriptionStatus.SUSPENDED, SubscriptionStatus.TERMINATED}
    ),
    SubscriptionStatus.SUSPENDED: frozenset(
        {SubscriptionStatus.ACTIVE, SubscriptionStatus.TERMINATED}
    ),
    SubscriptionStatus.TERMINATED: frozenset(),
}


class VerificationMethod(models.TextChoices):
    """How a caller proved who they are (客服呼叫流程 §三.2)."""

    ID_AND_NAME = "id_and_name", _("ID number and name")
    SERVICE_PASSWORD = "service_password", _("Service password")
    SMS_CODE = "sms_code", _("SMS code to the line on file")


class VerificationResult(models.TextChoices):
    PASSED = "passed", _("Passed")
    FAILED = "failed", _("Failed")


class PiiField(models.TextChoices):
    """Protected data whose disclosure is logged."""

    DOCUMENT_NUMBER = "document_number", _("ID number")
    CONTACT_PHONE = "contact_phone", _("Contact phone")
    ACCOUNT_DETAIL = "account_detail", _("Balance, bills and usage")


class OrderKind(models.TextChoices):
    OPEN_NUMBER = "open_number", _("Open a mobile number")
    CHANGE_PLAN = "change_plan", _("Change plan")
    SUBSCRIBE_SERVICE = "subscribe_service", _("Subscribe to a value-added service")
    UNSUBSCRIBE_SERVICE = "unsubscribe_service", _("Unsubscribe from a value-added service")
    BROADBAND_INSTALLATION = "broadband_installation", _("Broadband installation")
    FIXED_LINE_INSTALLATION = "fixed_line_installation", _("Fixed-line installation")
    CUSTOMER_DATA_CHANGE = "customer_data_change", _("Customer data change")
    OWNERSHIP_TRANSFER = "ownership_transfer", _("Ownership transfer")
    CANCEL_NUMBER = "cancel_number", _("Cancel a number")
    REOPEN_DATA = "reopen_data", _("Re-open data after the cap cut-off")


class OrderStatus(models.TextChoices):
    """The business hall's steps (营业厅业务办理流程 §1.1), then the two ends."""

    RECEPTION = "reception", _("Reception")
    CONSULTATION = "consultation", _("Consultation")
    ACCEPTANCE = "acceptance", _("Acceptance")
    REVIEW = "review", _("Review")
    PROCESSING = "processing", _("Processing")
    CONFIRMATION = "confirmation", _("Confirmation")
    PAYMENT = "payment", pgettext_lazy("order step", "Payment")
    FOLLOW_UP = "follow_up", _("Follow-up visit")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


# The one table of allowed order moves. Each step leads to the next; a review may send the
# order back to acceptance (documents rejected, with a reason); any open step may be cancelled.
# Leaving PROCESSING fulfils the order: the subscription changes in the same transaction.
ORDER_STEPS = (
    OrderStatus.RECEPTION,
    OrderStatus.CONSULTATION,
    OrderStatus.ACCEPTANCE,
    OrderStatus.REVIEW,
    OrderStatus.PROCESSING,
    OrderStatus.CONFIRMATION,
    OrderStatus.PAYMENT,
    OrderStatus.FOLLOW_UP,
    OrderStatus.COMPLETED,
)
ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    **{
        step: frozenset({following, OrderStatus.CANCELLED})
        for step, following in pairwise(ORDER_STEPS)
    },
    OrderStatus.COMPLETED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}
ORDER_TRANSITIONS[OrderStatus.REVIEW] = frozenset(
    {OrderStatus.PROCESSING, OrderStatus.ACCEPTANCE, OrderStatus.CANCELLED}
)
# Fulfilment is irreversible: once processed, an order can no longer be cancelled.
for _fulfilled in (OrderStatus.CONFIRMATION, OrderStatus.PAYMENT, OrderStatus.FOLLOW_UP):
    ORDER_TRANSITIONS[_fulfilled] = ORDER_TRANSITIONS[_fulfilled] - {OrderStatus.CANCELLED}
ORDER_OPEN_STATUSES = frozenset(ORDER_STEPS[:-1])


class InteractionOutcome(models.TextChoices):
    RESOLVED = "resolved", _("Resolved at first contact")
    TICKET_OPENED = "ticket_opened", _("Ticket opened")
    ORDER_CREATED = "order_created", _("Service order created")
    CALLBACK_NEEDED = "callback_needed", _("Callback needed")
    INFORMATION_GIVEN = "information_given", _("Information given")
    ABANDONED = "abandoned", _("Abandoned")
