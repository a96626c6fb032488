"""Shapes of the complaints API.

Output never carries a customer's full name or mobile number: names come from
``Customer.masked_name`` and numbers through ``crm.masking``. Amounts are decimal strings.
Input serializers check shape only; the services check the rules (the transition table, the
queue an assignee works, the adjustment limit) and their refusals reach the client through
``portal.errors``.
"""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

from complaints.choices import (
    CallbackOutcome,
    FaultLocation,
    NoteVisibility,
    Priority,
    ReviewAction,
    TicketCategory,
    TicketKind,
    TicketStatus,
)
from complaints.models import (
    Callback,
    Survey,
    Ticket,
    TicketAttachment,
    TicketEvent,
    TicketNote,
)
from crm.api.serializers import scoped
from crm.choices import Channel
from crm.masking import mask_phone
from crm.models import Customer, Interaction, Subscription
from crm.selectors import customers_for, interactions_for, subscriptions_for

# The moves ``transition`` makes; the others have their own action (assign, resolve, reopen).
PLAIN_TRANSITIONS = (
    TicketStatus.IN_PROGRESS,
    TicketStatus.WAITING_CUSTOMER,
    TicketStatus.CLOSED,
    TicketStatus.CANCELLED,
)

# --- Output: tickets ------------------------------------------------------------------------


class TicketCustomerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="masked_name", help_text=_("Masked for individuals."))


class TicketLineSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    msisdn = serializers.SerializerMethodField(
        help_text=_("The mobile number, masked; null for a fixed line or broadband.")
    )

    def get_msisdn(self, subscription) -> str | None:
        return mask_phone(subscription.msisdn) if subscription.msisdn else None


class TicketSerializer(serializers.ModelSerializer):
    """A ticket in a list: who, what, where it stands and its deadlines."""

    customer = TicketCustomerSerializer(read_only=True)
    subscription = TicketLineSerializer(read_only=True, allow_null=True)
    assignee = serializers.CharField(source="assignee.username", read_only=True, allow_null=True)
    breached = serializers.SerializerMethodField(
        help_text=_("Open, its clock running, and past its resolution deadline.")
    )

    class Meta:
        model = Ticket
        fields = [
            "id",
            "number",
            "kind",
            "category",
            "priority",
            "status",
            "queue",
            "subject",
            "customer",
            "subscription",
            "channel",
            "assignee",
            "response_due_at",
            "resolution_due_at",
            "breached",
            "escalation_level",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_breached(self, ticket) -> bool:
        # One "now" per response, so every row of a page is judged at the same instant.
        return ticket.is_breached(self.context.get("now"))


class TicketEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(
        source="actor.username",
        read_only=True,
        allow_null=True,
        help_text=_("Null when a scheduled job made the change."),
    )

    class Meta:
        model = TicketEvent
        fields = ["kind", "from_value", "to_value", "actor", "reason", "created_at"]
        read_only_fields = fields

    def to_representation(self, event):
        data = super().to_representation(event)
        request = self.context.get("request")
        if self.context.get("customer_view") and event.actor_id != getattr(request.user, "pk", 0):
            # Customers see what happened and when, not which staff member did it or why
            # (reasons are written for colleagues); their own moves keep their own words.
            data["actor"], data["reason"] = None, ""
        return data


class TicketNoteSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.username", read_only=True)

    class Meta:
        model = TicketNote
        fields = ["visibility", "kind", "fault_location", "body", "author", "created_at"]
        read_only_fields = fields


class TicketAttachmentSerializer(serializers.ModelSerializer):
    name = serializers.CharField(
        source="original_name", read_only=True, help_text=_("The uploader's name, as text.")
    )
    file_name = serializers.CharField(
        source="download_name",
        read_only=True,
        help_text=_("The name the file is downloaded under: ticket, id, detected type."),
    )
    type = serializers.CharField(
        source="content_type", read_only=True, help_text=_("Detected from the content.")
    )

    class Meta:
        model = TicketAttachment
        fields = ["id", "name", "file_name", "type", "size", "created_at"]
        read_only_fields = fields


class TicketAttachmentUploadSerializer(serializers.Serializer):
    """Only the shape: size, type and a clean parse are ``services.add_attachment``'s checks."""

    file = serializers.FileField(
        help_text=_("A photo (JPEG, PNG, GIF, WebP) or a PDF (5 MB by default)."),
    )


class TicketAdjustmentSerializer(serializers.Serializer):
    """The credit a billing dispute granted: a ledger ADJUSTMENT entry."""

    amount = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)
    ledger_entry = serializers.IntegerField(source="pk", read_only=True)


class TicketSurveySerializer(serializers.ModelSerializer):
    class Meta:
        model = Survey
        fields = ["status", "score", "resolved", "sent_at", "answered_at"]
        read_only_fields = fields


class TicketDetailSerializer(TicketSerializer):
    """One ticket with its timeline, notes, files, any credit and (staff only) its surveys.

    Expects the ticket from ``selectors.ticket_detail``: its notes are already limited to the
    customer-visible ones when a customer asks.
    """

    events = TicketEventSerializer(many=True, read_only=True)
    notes = TicketNoteSerializer(many=True, read_only=True)
    attachments = TicketAttachmentSerializer(many=True, read_only=True)
    adjustment = TicketAdjustmentSerializer(
        source="adjustment_entry",
        read_only=True,
        allow_null=True,
        help_text=_("Set when a billing dispute was resolved with a credit."),
    )
    # Not read-only, only so that the schema marks it optional: customers never get it.
    surveys = TicketSurveySerializer(
        many=True, required=False, help_text=_("Staff only; absent for customers.")
    )

    class Meta(TicketSerializer.Meta):
        fields = [
            *TicketSerializer.Meta.fields,
            "description",
            "events",
            "notes",
            "attachments",
            "adjustment",
            "surveys",
        ]
        read_only_fields = [field for field in fields if field != "surveys"]

    def get_fields(self):
        fields = super().get_fields()
        if self.context.get("customer_view"):
            fields.pop("surveys")
        return fields


# --- Input: tickets -------------------------------------------------------------------------


class TicketCreateSerializer(serializers.Serializer):
    """A new ticket. Staff name the customer; a customer opens one for themselves (their own
    record, channel web_portal, default priority: ``customer`` and ``priority`` are ignored)."""

    kind = serializers.ChoiceField(choices=TicketKind.choices)
    category = serializers.ChoiceField(choices=TicketCategory.choices)
    subject = serializers.CharField(max_length=200)
    description = serializers.CharField()
    customer = scoped(
        customers_for,
        Customer,
        required=False,
        help_text=_("Id of the customer (staff: required; ignored for customers)."),
    )
    subscription = scoped(
        subscriptions_for,
        Subscription,
        required=False,
        allow_null=True,
        help_text=_("Id of the customer's line the ticket is about."),
    )
    priority = serializers.ChoiceField(
        choices=Priority.choices,
        required=False,
        help_text=_("Staff only; by default faults are high, everything else normal."),
    )
    channel = serializers.ChoiceField(
        choices=Channel.choices,
        required=False,
        help_text=_("Where the customer raised it (staff: required; customers: web_portal)."),
    )
    interaction = scoped(
        interactions_for,
        Interaction,
        required=False,
        allow_null=True,
        help_text=_("Staff: the contact in which the ticket was taken."),
    )

    def validate(self, attrs):
        if self.context.get("customer_view"):
            return attrs
        # Staff name who and where; DRF's own "required" message, already translated.
        missing = {
            field: ErrorDetail(self.fields[field].error_messages["required"], code="required")
            for field in ("customer", "channel")
            if attrs.get(field) is None
        }
        if missing:
            raise serializers.ValidationError(missing)
        return attrs


class TicketAssignSerializer(serializers.Serializer):
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True),
        required=False,
        allow_null=True,
        help_text=_("Id of a staff member of the ticket's queue; leave out to take it yourself."),
    )
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class TicketReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class TicketResolveSerializer(serializers.Serializer):
    resolution = serializers.CharField(help_text=_("How it was resolved; the customer sees it."))
    adjustment_amount = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        required=False,
        allow_null=True,
        help_text=_(
            'Billing disputes: a credit in yuan, e.g. "50.00", within your approval limit.'
        ),
    )
    adjustment_reason = serializers.CharField(
        max_length=300, required=False, allow_blank=True, default=""
    )


class TicketNoteCreateSerializer(serializers.Serializer):
    body = serializers.CharField()
    visibility = serializers.ChoiceField(
        choices=NoteVisibility.choices,
        default=NoteVisibility.INTERNAL,
        help_text=_("A customer's note is always visible to the customer."),
    )


class TicketDiagnosisSerializer(serializers.Serializer):
    fault_location = serializers.ChoiceField(choices=FaultLocation.choices)
    body = serializers.CharField(
        max_length=4000, help_text=_("The tests run and what they showed.")
    )


class TicketTransitionSerializer(serializers.Serializer):
    # The whole status enum in the schema (one named enum); only the plain moves are accepted.
    status = serializers.ChoiceField(
        choices=TicketStatus.choices,
        help_text=_(
            "in_progress (start work), waiting_customer, closed or cancelled (needs a reason). "
            "Assigning, resolving and reopening have their own actions."
        ),
    )
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")

    def validate_status(self, value):
        if value not in PLAIN_TRANSITIONS:
            raise serializers.ValidationError(
                _("Use the assign, resolve or reopen action for this move."), code="invalid"
            )
        return value


class TicketPrioritySerializer(serializers.Serializer):
    priority = serializers.ChoiceField(choices=Priority.choices)
    reason = serializers.CharField(max_length=300)


# --- Callbacks ------------------------------------------------------------------------------


class CallbackTicketSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    subject = serializers.CharField()
    customer = TicketCustomerSerializer()
    subscription = TicketLineSerializer(allow_null=True)


class CallbackSerializer(serializers.ModelSerializer):
    """A return call for a survey left unanswered."""

    ticket = CallbackTicketSerializer(read_only=True)
    assignee = serializers.CharField(source="assignee.username", read_only=True, allow_null=True)
    completed_by = serializers.CharField(
        source="completed_by.username", read_only=True, allow_null=True
    )

    class Meta:
        model = Callback
        fields = [
            "id",
            "ticket",
            "status",
            "due_at",
            "assignee",
            "outcome",
            "score",
            "note",
            "completed_by",
            "completed_at",
            "created_at",
        ]
        read_only_fields = fields


class CallbackCompleteSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=CallbackOutcome.choices)
    score = serializers.IntegerField(
        min_value=1,
        max_value=5,
        required=False,
        allow_null=True,
        help_text=_("The customer's score, if they gave one."),
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")


# --- Low-score reviews ----------------------------------------------------------------------


class LowScoreReviewSerializer(serializers.ModelSerializer):
    """An answered survey with a low score or "not resolved", and its review."""

    ticket = CallbackTicketSerializer(read_only=True)
    reviewed_by = serializers.CharField(
        source="reviewed_by.username", read_only=True, allow_null=True
    )
    callback_waiting = serializers.BooleanField(read_only=True)

    class Meta:
        model = Survey
        fields = [
            "id",
            "ticket",
            "score",
            "resolved",
            "comment",
            "answered_at",
            "reviewed_at",
            "reviewed_by",
            "callback_waiting",
        ]
        read_only_fields = fields


class LowScoreReviewActionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=ReviewAction.choices)
    note = serializers.CharField(max_length=2000, help_text=_("What you found and why."))
