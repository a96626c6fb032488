"""Shapes of the contact-channel API: chats, presence, calls and the CTI webhook, the voice menu,
inbound mail, the knowledge base, notices and agreements.

Output shows identity masked (names, phone numbers), like every other crm surface. Input
serializers check shape; the services check the rules.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from complaints.choices import TicketCategory, TicketKind
from crm.api.serializers import ServiceOrderCreateSerializer, scoped
from crm.channel_choices import CtiEvent, NoticeKind, PresenceStatus
from crm.channel_models import (
    AgentPresence,
    CannedAnswer,
    ChatMessage,
    ChatSession,
    InboundCall,
    InboundEmail,
    IvrNode,
    KnowledgeArticle,
    Notice,
    NoticeDelivery,
    ServiceAgreement,
)
from crm.chat import agent_name
from crm.choices import InteractionOutcome, Segment
from crm.models import Subscription
from crm.selectors import subscriptions_for

# --- Chat ---------------------------------------------------------------------------------------


class ChatMessageSerializer(serializers.ModelSerializer):
    article = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, help_text=_("A help article sent with the message.")
    )
    article_title = serializers.CharField(source="article.title", read_only=True, default=None)

    class Meta:
        model = ChatMessage
        fields = ["id", "sender", "body", "article", "article_title", "created_at"]
        read_only_fields = fields


class ChatSerializer(serializers.ModelSerializer):
    number = serializers.CharField(source="interaction.number", read_only=True)
    customer_number = serializers.CharField(
        source="customer.customer_number", read_only=True, default=None
    )
    customer_name = serializers.CharField(
        source="customer.masked_name", read_only=True, default=None
    )
    visitor_phone = serializers.CharField(source="masked_visitor_phone", read_only=True)
    agent = serializers.SerializerMethodField(help_text=_("The specialist's name as shown."))
    ticket_number = serializers.CharField(source="ticket.number", read_only=True, default=None)
    queue_position = serializers.SerializerMethodField(
        help_text=_("1 for the next chat served; null once the chat is not waiting.")
    )

    class Meta:
        model = ChatSession
        fields = [
            "id",
            "token",
            "number",
            "status",
            "topic",
            "customer",
            "customer_number",
            "customer_name",
            "visitor_phone",
            "queue_role",
            "priority",
            "queued_at",
            "queue_position",
            "offered_to",
            "agent",
            "accepted_at",
            "ended_at",
            "rating",
            "rating_comment",
            "ticket_number",
            "created_at",
        ]
        read_only_fields = fields

    def get_agent(self, chat) -> str | None:
        return agent_name(chat.agent) if chat.agent_id else None

    def get_queue_position(self, chat) -> int | None:
        from crm.chat import queue_position

        positions = self.context.get("queue_positions")
        if positions is not None:
            return positions.get(chat.pk)
        return queue_position(chat)


class ChatStartSerializer(serializers.Serializer):
    topic = serializers.CharField(max_length=200)


class ChatMessageCreateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    article = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=KnowledgeArticle.objects.filter(is_published=True, audience="public"),
        required=False,
        allow_null=True,
        help_text=_("Staff: a public help article to send (its slug)."),
    )


class ChatEndSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(
        choices=InteractionOutcome.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Staff: the outcome when no ticket or order came of it (default resolved)."),
    )


class ChatRateSerializer(serializers.Serializer):
    score = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ChatLeaveMessageSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=2000)


class ChatTicketSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=TicketKind.choices)
    category = serializers.ChoiceField(choices=TicketCategory.choices)
    subject = serializers.CharField(max_length=200)
    description = serializers.CharField()
    subscription = scoped(subscriptions_for, Subscription, required=False, allow_null=True)


class ChatOrderSerializer(ServiceOrderCreateSerializer):
    """An order taken in the chat: the chat names the customer, channel and contact."""

    customer = None
    channel = None
    interaction = None


class TicketRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()


class OrderRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()


# --- Presence -----------------------------------------------------------------------------------


class PresenceSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=PresenceStatus.choices)
    max_chats = serializers.IntegerField(min_value=1, max_value=10, required=False)

    class Meta:
        model = AgentPresence
        fields = ["status", "max_chats", "last_seen_at"]
        read_only_fields = ["last_seen_at"]


# --- Calls, CTI and the voice menu --------------------------------------------------------------


class CallSerializer(serializers.ModelSerializer):
    caller_number = serializers.CharField(source="masked_caller_number", read_only=True)
    interaction_number = serializers.CharField(source="interaction.number", read_only=True)
    customer_number = serializers.CharField(
        source="customer.customer_number", read_only=True, default=None
    )
    customer_name = serializers.CharField(
        source="customer.masked_name", read_only=True, default=None
    )
    customer_segment = serializers.CharField(
        source="customer.segment", read_only=True, default=None
    )
    agent = serializers.CharField(source="agent.username", read_only=True, default=None)
    outcome = serializers.CharField(source="interaction.outcome", read_only=True)

    class Meta:
        model = InboundCall
        fields = [
            "id",
            "call_id",
            "caller_number",
            "dialled_number",
            "ivr_path",
            "ivr_labels",
            "status",
            "target_role",
            "customer",
            "customer_number",
            "customer_name",
            "customer_segment",
            "interaction",
            "interaction_number",
            "offered_to",
            "agent",
            "started_at",
            "answered_at",
            "ended_at",
            "duration_seconds",
            "outcome",
        ]
        read_only_fields = fields


class CallWrapUpSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=InteractionOutcome.choices)
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class CtiEventSerializer(serializers.Serializer):
    """One event from the telephony system (signed, see the endpoint)."""

    event = serializers.ChoiceField(choices=CtiEvent.choices)
    call_id = serializers.CharField(max_length=64)
    caller_number = serializers.CharField(max_length=32, required=False, allow_blank=True)
    dialled_number = serializers.CharField(max_length=32, required=False, allow_blank=True)
    ivr_path = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        default="",
        help_text=_('Keys pressed in the voice menu, e.g. "3-1".'),
    )
    started_at = serializers.DateTimeField(required=False, allow_null=True)
    duration_seconds = serializers.IntegerField(min_value=0, required=False)

    def validate(self, attrs):
        errors = {}
        if attrs["event"] == CtiEvent.INCOMING:
            for name in ("caller_number", "dialled_number"):
                if not attrs.get(name):
                    errors[name] = _("Required for call.incoming.")
        elif attrs.get("duration_seconds") is None:
            errors["duration_seconds"] = _("Required for call.ended.")
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class IvrNodeSerializer(serializers.ModelSerializer):
    class Meta:
        model = IvrNode
        fields = ["id", "parent", "key", "label", "prompt", "action", "target_role", "position"]
        read_only_fields = fields


class IvrNavigateSerializer(serializers.Serializer):
    caller_number = serializers.CharField(max_length=32, required=False, allow_blank=True)
    keys = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")


class IvrOptionSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()


class IvrStepSerializer(serializers.Serializer):
    path = serializers.CharField()
    labels = serializers.ListField(child=serializers.CharField())
    speech = serializers.CharField()
    action = serializers.CharField()
    target_role = serializers.CharField()
    invalid_key = serializers.CharField()
    finished = serializers.BooleanField()
    options = IvrOptionSerializer(many=True)


# --- Inbound mail -------------------------------------------------------------------------------


class InboundEmailSerializer(serializers.ModelSerializer):
    customer_number = serializers.CharField(
        source="customer.customer_number", read_only=True, default=None
    )
    ticket_number = serializers.CharField(source="ticket.number", read_only=True, default=None)
    interaction_number = serializers.CharField(
        source="interaction.number", read_only=True, default=None
    )

    class Meta:
        model = InboundEmail
        fields = [
            "id",
            "status",
            "from_address",
            "subject",
            "received_at",
            "reason",
            "size",
            "attachments_kept",
            "attachments_skipped",
            "customer",
            "customer_number",
            "ticket_number",
            "interaction_number",
            "created_at",
        ]
        read_only_fields = fields


# --- Knowledge base -----------------------------------------------------------------------------


class ArticleSerializer(serializers.ModelSerializer):
    class Meta:
        model = KnowledgeArticle
        fields = [
            "id",
            "slug",
            "category",
            "audience",
            "title",
            "body",
            "title_en",
            "body_en",
            "keywords",
            "helpful_count",
            "not_helpful_count",
            "updated_at",
        ]
        read_only_fields = fields


class ArticleFeedbackSerializer(serializers.Serializer):
    helpful = serializers.BooleanField()
    comment = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ArticleLinkSerializer(serializers.Serializer):
    ticket = serializers.IntegerField(help_text=_("Id of a ticket you may work."))


class CannedAnswerSerializer(serializers.ModelSerializer):
    article = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = CannedAnswer
        fields = ["id", "title", "body", "body_en", "role", "queue", "article", "position"]
        read_only_fields = fields


# --- Notices ------------------------------------------------------------------------------------


class NoticeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notice
        fields = [
            "id",
            "kind",
            "title",
            "body",
            "sms_text",
            "segment",
            "area",
            "starts_at",
            "ends_at",
            "send_sms",
            "status",
            "audience_size",
            "published_at",
            "created_at",
        ]
        read_only_fields = ["status", "audience_size", "published_at", "created_at"]


class NoticeCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=NoticeKind.choices)
    title = serializers.CharField(max_length=120)
    body = serializers.CharField()
    sms_text = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    segment = serializers.ChoiceField(
        choices=Segment.choices, required=False, allow_blank=True, default=""
    )
    area = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    starts_at = serializers.DateTimeField(required=False, allow_null=True)
    ends_at = serializers.DateTimeField(required=False, allow_null=True)
    send_sms = serializers.BooleanField(default=True)


class NoticeDeliverySerializer(serializers.ModelSerializer):
    msisdn = serializers.CharField(source="masked_msisdn", read_only=True)
    customer_number = serializers.CharField(source="customer.customer_number", read_only=True)

    class Meta:
        model = NoticeDelivery
        fields = [
            "id",
            "customer",
            "customer_number",
            "msisdn",
            "status",
            "attempts",
            "error",
            "sent_at",
        ]
        read_only_fields = fields


# --- Agreements ---------------------------------------------------------------------------------


class AgreementSerializer(serializers.ModelSerializer):
    customer_number = serializers.CharField(source="customer.customer_number", read_only=True)
    service_number = serializers.CharField(source="subscription.service_label", read_only=True)

    class Meta:
        model = ServiceAgreement
        fields = [
            "id",
            "number",
            "subscription",
            "service_number",
            "customer",
            "customer_number",
            "version",
            "status",
            "term_months",
            "starts_on",
            "ends_on",
            "auto_renew",
            "renewals",
            "reminder_days",
            "monthly_commitment",
            "termination_fee_percent",
            "termination_fee_fixed",
            "service_scope",
            "customer_obligations",
            "operator_obligations",
            "terminated_on",
            "termination_reason",
            "termination_fee",
            "created_at",
        ]
        read_only_fields = fields


class AgreementCreateSerializer(serializers.Serializer):
    subscription = scoped(subscriptions_for, Subscription)
    term_months = serializers.IntegerField(min_value=1, max_value=60, default=12)
    starts_on = serializers.DateField(required=False, allow_null=True)
    auto_renew = serializers.BooleanField(default=True)
    monthly_commitment = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=0,
        required=False,
        allow_null=True,
        help_text=_("Default: the line's plan's monthly fee."),
    )
    termination_fee_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False, allow_null=True
    )
    termination_fee_fixed = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    reminder_days = serializers.IntegerField(min_value=0, max_value=180, default=30)


class AgreementTerminateSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)
    on_day = serializers.DateField(required=False, allow_null=True)


class TerminationQuoteSerializer(serializers.Serializer):
    on_day = serializers.DateField()
    early = serializers.BooleanField()
    remaining_months = serializers.IntegerField()
    fee = serializers.DecimalField(max_digits=12, decimal_places=2)
