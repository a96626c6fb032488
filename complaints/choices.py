"""Choices of the complaints app and the allowed moves of a ticket."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TicketKind(models.TextChoices):
    INQUIRY = "inquiry", _("Inquiry")
    FAULT = "fault", _("Fault report")
    COMPLAINT = "complaint", _("Complaint")
    BILLING_DISPUTE = "billing_dispute", _("Billing dispute")


class TicketCategory(models.TextChoices):
    MOBILE_SIGNAL = "mobile_signal", _("Mobile signal")
    MOBILE_DATA = "mobile_data", _("Mobile data")
    BROADBAND = "broadband", _("Broadband")
    FIXED_LINE = "fixed_line", _("Fixed line")
    BILLING = "billing", _("Charges and bills")
    SERVICE_QUALITY = "service_quality", _("Service quality")
    PRODUCTS = "products", _("Plans and services")
    OTHER = "other", _("Other")


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class Queue(models.TextChoices):
    """Who works a ticket: the escalation chain of the role handbook."""

    FIRST_CONTACT = "first_contact", _("Service specialists")
    TECH_SUPPORT = "tech_support", _("Tech-support engineers")
    COMPLAINTS = "complaints", _("Complaint coordinators")
    SUPERVISOR = "supervisor", _("Supervisors")


# Where a new ticket goes: faults to tech support, complaints and disputes to the coordinators,
# questions stay with the service specialists who took the contact.
QUEUE_FOR_KIND = {
    TicketKind.INQUIRY: Queue.FIRST_CONTACT,
    TicketKind.FAULT: Queue.TECH_SUPPORT,
    TicketKind.COMPLAINT: Queue.COMPLAINTS,
    TicketKind.BILLING_DISPUTE: Queue.COMPLAINTS,
}
# One step up the chain; the supervisor is the top.
NEXT_QUEUE = {
    Queue.FIRST_CONTACT: Queue.COMPLAINTS,
    Queue.TECH_SUPPORT: Queue.SUPERVISOR,
    Queue.COMPLAINTS: Queue.SUPERVISOR,
    Queue.SUPERVISOR: Queue.SUPERVISOR,
}


class TicketStatus(models.TextChoices):
    NEW = "new", _("New")
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING_CUSTOMER = "waiting_customer", _("Waiting for customer")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


# The one table of allowed moves. Reopening (resolved/closed -> assigned) is further limited to
# the reopen window by the service.
TICKET_TRANSITIONS: dict[str, frozenset[str]] = {
    TicketStatus.NEW: frozenset({TicketStatus.ASSIGNED, TicketStatus.CANCELLED}),
    TicketStatus.ASSIGNED: frozenset({TicketStatus.IN_PROGRESS, TicketStatus.CANCELLED}),
    TicketStatus.IN_PROGRESS: frozenset(
        {TicketStatus.WAITING_CUSTOMER, TicketStatus.RESOLVED, TicketStatus.CANCELLED}
    ),
    TicketStatus.WAITING_CUSTOMER: frozenset(
        {TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED, TicketStatus.CANCELLED}
    ),
    TicketStatus.RESOLVED: frozenset({TicketStatus.CLOSED, TicketStatus.ASSIGNED}),
    TicketStatus.CLOSED: frozenset({TicketStatus.ASSIGNED}),
    TicketStatus.CANCELLED: frozenset(),
}
REOPENABLE = frozenset({TicketStatus.RESOLVED, TicketStatus.CLOSED})
OPEN_STATUSES = frozenset(
    {
        TicketStatus.NEW,
        TicketStatus.ASSIGNED,
        TicketStatus.IN_PROGRESS,
        TicketStatus.WAITING_CUSTOMER,
    }
)


class NoteVisibility(models.TextChoices):
    INTERNAL = "internal", _("Internal (staff only)")
    CUSTOMER = "customer", _("Visible to the customer")


class TicketEventKind(models.TextChoices):
    STATUS = "status", _("Status change")
    ASSIGNMENT = "assignment", _("Assignment")
    ESCALATION = "escalation", _("Escalation")
    PRIORITY = "priority", _("Priority change")
    ADJUSTMENT = "adjustment", _("Billing adjustment")
    SURVEY = "survey", _("Satisfaction survey")
    REVIEW = "review", _("Low-score review")


class SurveyStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    # Its messages are written and waiting for the gateway; sent once one is delivered.
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    ANSWERED = "answered", _("Answered")
    CALLBACK = "callback", _("Handed to a callback")
    CANCELLED = "cancelled", _("Cancelled")


class CallbackStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")


class CallbackOutcome(models.TextChoices):
    SATISFIED = "satisfied", _("Reached: satisfied")
    NOT_RESOLVED = "not_resolved", _("Reached: problem not resolved")
    DISSATISFIED = "dissatisfied", _("Reached: dissatisfied")
    NOT_REACHED = "not_reached", _("Not reached")


class NotificationChannel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")


class NotificationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    # Claimed by a worker that is handing it to the gateway (portal.outbox).
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    # The customer turned e-mail copies off in the portal's privacy settings.
    SKIPPED = "skipped", _("Not sent (the customer's choice)")


class NotificationPriority(models.IntegerChoices):
    """Which messages a worker claims first."""

    CUSTOMER = 0, _("To a customer")
    STAFF = 1, _("To a staff member")


# --- Staff workspaces: diagnosis notes and low-score reviews ----------------------------------


class NoteKind(models.TextChoices):
    """A plain note, or a tech-support engineer's diagnosis of a fault (with where it lies)."""

    NOTE = "note", _("Note")
    DIAGNOSIS = "diagnosis", _("Diagnosis")


class FaultLocation(models.TextChoices):
    """Where a diagnosis placed the fault, from the customer's end to the network's core."""

    CUSTOMER_EQUIPMENT = "customer_equipment", _("Customer's phone or equipment")
    HOME_WIRING = "home_wiring", _("Home wiring, modem or router")
    ACCESS_LINE = "access_line", _("Access line or optical network")
    RADIO = "radio", _("Base station or radio coverage")
    CORE_NETWORK = "core_network", _("Core network or platform")
    ACCOUNT = "account", _("Account, plan or line settings")
    NOT_FOUND = "not_found", _("No fault found")


class ReviewAction(models.TextChoices):
    """What a coordinator did about a low satisfaction score (客户不满意 → 复查)."""

    REOPEN = "reopen", _("Reopen the ticket")
    CALLBACK = "callback", _("Ask a specialist to call back")
    NOTE = "note", _("Record a note only")
