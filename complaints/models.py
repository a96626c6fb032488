"""Trouble tickets (inquiries, faults, complaints, billing disputes), their history and notes,
and the SLA policies their deadlines come from."""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from complaints.choices import (
    OPEN_STATUSES,
    CallbackOutcome,
    CallbackStatus,
    FaultLocation,
    NoteKind,
    NoteVisibility,
    NotificationChannel,
    NotificationPriority,
    NotificationStatus,
    Priority,
    Queue,
    SurveyStatus,
    TicketCategory,
    TicketEventKind,
    TicketKind,
    TicketStatus,
)
from complaints.uploads import extension_for
from crm.choices import Channel
from crm.masking import mask_phone
from portal.outbox import OutboxFields


class SlaPolicy(models.Model):
    """Response and resolution targets for a kind of ticket at a priority (editable in admin)."""

    kind = models.CharField(_("kind"), max_length=20, choices=TicketKind.choices)
    priority = models.CharField(_("priority"), max_length=8, choices=Priority.choices)
    response_minutes = models.PositiveIntegerField(
        _("respond within (minutes)"), validators=[MinValueValidator(1)]
    )
    resolution_minutes = models.PositiveIntegerField(
        _("resolve within (minutes)"), validators=[MinValueValidator(1)]
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["kind", "priority"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "priority"], name="uniq_sla_kind_priority"),
            models.CheckConstraint(
                condition=Q(resolution_minutes__gte=models.F("response_minutes")),
                name="sla_resolution_after_response",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} / {self.get_priority_display()}"


class Ticket(models.Model):
    """A customer's request, fault or complaint, with the number the customer is told."""

    number = models.CharField(_("ticket number"), max_length=20, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=TicketKind.choices)
    category = models.CharField(_("category"), max_length=20, choices=TicketCategory.choices)
    priority = models.CharField(
        _("priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=TicketStatus.choices,
        default=TicketStatus.NEW,
        editable=False,
    )
    queue = models.CharField(_("queue"), max_length=16, choices=Queue.choices, editable=False)
    customer = models.ForeignKey(
        "crm.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="tickets"
    )
    subscription = models.ForeignKey(
        "crm.Subscription",
        verbose_name=_("line"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
    )
    interaction = models.ForeignKey(
        "crm.Interaction",
        verbose_name=_("interaction"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"))
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_tickets",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    response_due_at = models.DateTimeField(_("respond by"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolve by"), null=True, blank=True)
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    # While waiting for the customer the SLA clock stops: deadlines move on by the pause.
    paused_at = models.DateTimeField(_("SLA paused at"), null=True, blank=True, editable=False)
    paused_seconds = models.PositiveIntegerField(
        _("SLA paused in all (s)"), default=0, editable=False
    )
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    # The deadlines the SLA sweep has already escalated: a breach escalates once, and a new
    # deadline (priority change, pause) can breach again.
    response_breach_escalated_for = models.DateTimeField(null=True, blank=True, editable=False)
    resolution_breach_escalated_for = models.DateTimeField(null=True, blank=True, editable=False)
    adjustment_entry = models.OneToOneField(
        "billing.LedgerEntry",
        verbose_name=_("billing adjustment"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="ticket",
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["resolution_due_at", "pk"]
        indexes = [
            models.Index(
                fields=["queue", "status", "resolution_due_at"], name="complaints_queue_idx"
            ),
            models.Index(fields=["customer", "created_at"], name="complaints_customer_idx"),
            models.Index(fields=["status", "resolution_due_at"], name="complaints_sweep_idx"),
            # The queues read open tickets in deadline order: a partial index lets the first
            # page come straight off it instead of sorting every open ticket.
            models.Index(
                fields=["resolution_due_at", "priority", "id"],
                condition=Q(status__in=["new", "assigned", "in_progress", "waiting_customer"]),
                name="complaints_open_deadline_idx",
            ),
            # The API lists one queue (any status) in deadline order.
            models.Index(
                fields=["queue", "resolution_due_at", "id"], name="complaints_queue_deadline_idx"
            ),
            # The workspaces list one kind (faults, disputes) by status and deadline.
            models.Index(
                fields=["kind", "status", "resolution_due_at"], name="complaints_kind_status_idx"
            ),
            # The service reports read a day's tickets opened and resolved (portal.reports.rollups).
            models.Index(fields=["created_at"], name="complaints_created_idx"),
            models.Index(fields=["resolved_at"], name="complaints_resolved_idx"),
        ]
        permissions = [("work_ticket", "Can work a ticket (per object: assignee and queue)")]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_breached(self, now=None) -> bool:
        """Past its resolution deadline while still open (a paused clock does not breach)."""
        if not self.is_open or self.resolution_due_at is None or self.paused_at is not None:
            return False
        return self.resolution_due_at < (now or timezone.now())


class TicketUserObjectPermission(UserObjectPermissionBase):
    """django-guardian per-ticket permissions with a real foreign key (fast joins, cascades)."""

    content_object = models.ForeignKey(Ticket, on_delete=models.CASCADE)


class TicketGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Ticket, on_delete=models.CASCADE)


class TicketEvent(models.Model):
    """Append-only history: every move, assignment, escalation and priority change."""

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=TicketEventKind.choices)
    from_value = models.CharField(_("from"), max_length=40, blank=True)
    to_value = models.CharField(_("to"), max_length=40, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when a scheduled job made the change."),
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        ordering = ["ticket", "created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.ticket} {self.kind} {self.from_value}→{self.to_value}"


class TicketNote(models.Model):
    """A note on a ticket: internal (staff only) or visible to the customer.

    A tech-support engineer's diagnosis of a fault is an internal note of kind ``diagnosis``
    that names where the fault lies (``fault_location``).
    """

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="notes"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    visibility = models.CharField(
        _("visibility"),
        max_length=10,
        choices=NoteVisibility.choices,
        default=NoteVisibility.INTERNAL,
    )
    body = models.TextField(_("text"))
    kind = models.CharField(_("kind"), max_length=10, choices=NoteKind.choices, default="note")
    fault_location = models.CharField(
        _("fault location"), max_length=20, choices=FaultLocation.choices, blank=True
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("ticket note")
        verbose_name_plural = _("ticket notes")
        ordering = ["ticket", "created_at", "pk"]
        constraints = [
            # A diagnosis says where the fault is and stays inside; a plain note names no place.
            models.CheckConstraint(
                condition=Q(kind="note", fault_location="")
                | (Q(kind="diagnosis", visibility="internal") & ~Q(fault_location="")),
                name="ticketnote_diagnosis_located",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket} {self.created_at:%Y-%m-%d %H:%M}"


def attachment_path(instance: "TicketAttachment", filename: str) -> str:
    # A random name with the detected type's extension: the customer's file name is kept in a
    # field, never trusted as a path.
    extension = extension_for(instance.content_type)
    return f"tickets/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{extension}"


class TicketAttachment(models.Model):
    """A photo, screenshot or document added to a ticket (size, type and a clean parse checked
    on upload by ``complaints.uploads``).

    ``original_name`` is the uploader's name, kept as text to show; the file is stored and
    downloaded under names the server chooses (``download_name``).
    """

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to=attachment_path)
    original_name = models.CharField(
        _("file name"), max_length=200, help_text=_("As uploaded; shown only, never a path.")
    )
    content_type = models.CharField(_("type"), max_length=100, help_text=_("Detected type."))
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["ticket", "created_at", "pk"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def download_name(self) -> str:
        """The name the file is offered under: ticket number, id, the detected type's
        extension (``TT…-42.png``), whatever the uploader called it."""
        return f"{self.ticket.number}-{self.pk}.{extension_for(self.content_type)}"


class Notification(OutboxFields):
    """An outbox row: one message to a customer or a staff member, delivered by a worker.

    Written in the same transaction as what it reports; delivered later by a worker that claims
    the row, calls the gateway outside any transaction with the key ``notification-<id>`` and
    records the result (``portal.outbox``, ``complaints.delivery``), so a message is neither
    lost with a broker or gateway outage nor sent twice.
    """

    channel = models.CharField(_("channel"), max_length=8, choices=NotificationChannel.choices)
    status = models.CharField(
        _("status"),
        max_length=8,
        choices=NotificationStatus.choices,
        default=NotificationStatus.PENDING,
    )
    # Customers' messages are claimed before staff members' (one ordered index).
    priority = models.PositiveSmallIntegerField(
        _("priority"),
        choices=NotificationPriority.choices,
        default=NotificationPriority.CUSTOMER,
    )
    address = models.CharField(_("address"), max_length=254)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("text"))
    ticket = models.ForeignKey(
        Ticket,
        verbose_name=_("ticket"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    customer = models.ForeignKey(
        "crm.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    # The survey this message carries the link of: it counts as sent once one is delivered.
    survey = models.ForeignKey(
        "Survey",
        verbose_name=_("survey"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
    )
    sms = models.OneToOneField(
        "portal.OutboundSms",
        verbose_name=_("SMS"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        permissions = [("retry_notification", "Can send failed or delayed messages again")]
        indexes = [
            models.Index(
                fields=["status", "priority", "next_attempt_at"], name="complaints_notify_due_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.subject}"

    @property
    def idempotency_key(self) -> str:
        """The same on every attempt: a gateway that honours it delivers the message once."""
        return f"notification-{self.pk}"

    @property
    def masked_address(self) -> str:
        """Where it went, a mobile number masked like every other on the site."""
        if self.channel == NotificationChannel.SMS:
            return mask_phone(self.address)
        return self.address


class Survey(models.Model):
    """The satisfaction survey after a resolution: scheduled with it, sent once when due.

    The row is the transactional outbox: it is written in the resolving transaction and a beat
    sweep hands due rows to a worker, so a broker outage delays a survey but never loses it.
    A survey is about a ticket or, for the evaluation of a business-hall visit (营业厅服务评价),
    about a service order whose confirmation step is done: exactly one of the two.
    """

    ticket = models.ForeignKey(
        Ticket,
        verbose_name=_("ticket"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="surveys",
    )
    service_order = models.OneToOneField(
        "crm.ServiceOrder",
        verbose_name=_("service order"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="survey",
    )
    token = models.UUIDField(_("token"), default=uuid.uuid4, unique=True, editable=False)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=SurveyStatus.choices,
        default=SurveyStatus.SCHEDULED,
    )
    send_after = models.DateTimeField(_("send after"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    score = models.PositiveSmallIntegerField(
        _("score"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    resolved = models.BooleanField(_("problem resolved"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    # A low score is reviewed by a complaint coordinator once (reopen, callback or a note).
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True, editable=False)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("satisfaction survey")
        verbose_name_plural = _("satisfaction surveys")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "send_after"], name="complaints_survey_due_idx"),
            # The coordinators' low-score reviews: answered surveys, newest first.
            models.Index(fields=["status", "answered_at"], name="complaints_survey_answer_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=1, score__lte=5),
                name="survey_score_1_to_5",
            ),
            # One survey in flight per ticket: a reopened and re-resolved ticket gets a new one
            # only after the previous one finished.
            models.UniqueConstraint(
                fields=["ticket"],
                condition=Q(status__in=["scheduled", "sent"]),
                name="uniq_survey_in_flight",
            ),
            models.CheckConstraint(
                condition=Q(ticket__isnull=True, service_order__isnull=False)
                | Q(ticket__isnull=False, service_order__isnull=True),
                name="survey_about_ticket_or_order",
            ),
            models.CheckConstraint(
                condition=Q(reviewed_at__isnull=True, reviewed_by__isnull=True)
                | Q(reviewed_at__isnull=False, reviewed_by__isnull=False),
                name="survey_review_has_reviewer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket or self.service_order} {self.get_status_display()}"

    @property
    def is_low(self) -> bool:
        """A score of 2 or less, or "not resolved": the ticket goes back to a coordinator."""
        return (self.score is not None and self.score <= 2) or self.resolved is False


class Callback(models.Model):
    """A return call (回访) for a survey left unanswered, in a service specialist's queue."""

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="callbacks"
    )
    survey = models.OneToOneField(
        Survey,
        verbose_name=_("survey"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="callback",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="callbacks",
    )
    status = models.CharField(
        _("status"), max_length=8, choices=CallbackStatus.choices, default=CallbackStatus.OPEN
    )
    due_at = models.DateTimeField(_("due at"))
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=CallbackOutcome.choices, blank=True
    )
    score = models.PositiveSmallIntegerField(
        _("score"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    note = models.TextField(_("note"), blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("completed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("callback")
        verbose_name_plural = _("callbacks")
        ordering = ["status", "due_at", "pk"]
        indexes = [models.Index(fields=["status", "due_at"], name="complaints_callback_idx")]

    def __str__(self) -> str:
        return f"{self.ticket} {self.get_status_display()}"
