"""Admin of the contact channels (imported by ``crm.admin``).

Editable here: the voice menu (a tree: each entry with its sub-entries inline), help articles
and canned answers, and draft notices (published and withdrawn by admin actions that call the
services). Chats, calls, mail, deliveries, agreements and presence change only through their
services, so their pages only show; phone numbers and free text are masked as everywhere.
"""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from crm.admin import ReadOnlyAdminMixin, masked_text
from crm.channel_choices import DeliveryStatus, NoticeStatus
from crm.channel_models import (
    AgentPresence,
    AgreementEvent,
    ArticleFeedback,
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
    TicketArticle,
)
from crm.channel_selectors import delivery_counts
from crm.masking import mask_phone
from crm.notices import clean_notice, publish_notice, withdraw_notice
from portal.errors import DomainError

# --- Voice menu, knowledge base, canned answers (editable) --------------------------------------


class IvrChildInline(admin.TabularInline):
    model = IvrNode
    fk_name = "parent"
    fields = ("key", "label", "action", "target_role", "prompt", "position", "is_active")
    extra = 0
    show_change_link = True


@admin.register(IvrNode)
class IvrNodeAdmin(admin.ModelAdmin):
    list_display = ("label", "key", "parent", "action", "target_role", "position", "is_active")
    list_filter = ("action", "target_role", "is_active")
    list_select_related = ("parent",)
    search_fields = ("label", "prompt")
    fields = ("parent", "key", "label", "prompt", "action", "target_role", "position", "is_active")
    inlines = (IvrChildInline,)


class ArticleFeedbackInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ArticleFeedback
    fields = ("created_at", "helpful", "comment")
    readonly_fields = fields
    extra = 0


@admin.register(KnowledgeArticle)
class KnowledgeArticleAdmin(admin.ModelAdmin):
    list_display = (
        "title",
        "category",
        "audience",
        "is_published",
        "helpful_count",
        "not_helpful_count",
        "updated_at",
    )
    list_filter = ("category", "audience", "is_published")
    search_fields = ("title", "title_en", "keywords", "slug")
    prepopulated_fields = {"slug": ("title_en",)}
    readonly_fields = ("helpful_count", "not_helpful_count")
    inlines = (ArticleFeedbackInline,)


@admin.register(ArticleFeedback)
class ArticleFeedbackAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("article", "helpful", "comment", "created_at")
    list_filter = ("helpful",)
    list_select_related = ("article",)
    fields = ("article", "helpful", "comment", "created_at")
    readonly_fields = fields


@admin.register(CannedAnswer)
class CannedAnswerAdmin(admin.ModelAdmin):
    list_display = ("title", "role", "queue", "article", "position", "is_active")
    list_filter = ("role", "queue", "is_active")
    list_select_related = ("article",)
    search_fields = ("title", "body")
    autocomplete_fields = ("article",)


@admin.register(TicketArticle)
class TicketArticleAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("ticket", "article", "linked_by", "created_at")
    list_select_related = ("ticket", "article", "linked_by")
    fields = ("ticket", "article", "linked_by", "created_at")
    readonly_fields = fields


# --- Chats, calls, mail, presence (shown) -------------------------------------------------------


class ChatMessageInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ChatMessage
    fields = ("created_at", "sender", "author", "masked_body", "article")
    readonly_fields = fields
    masked_body = masked_text("body", _("text"))
    extra = 0


@admin.register(ChatSession)
class ChatSessionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("interaction", "status", "topic", "agent", "queued_at", "rating", "ticket")
    list_filter = ("status", "queue_role")
    list_select_related = ("interaction", "agent", "ticket")
    search_fields = ("interaction__number",)
    fields = (
        "interaction",
        "status",
        "topic",
        "customer_number",
        "masked_visitor_phone",
        "queue_role",
        "priority",
        "queued_at",
        "offered_to",
        "agent",
        "accepted_at",
        "ended_at",
        "rating",
        "rating_comment",
        "ticket",
    )
    readonly_fields = fields
    inlines = (ChatMessageInline,)

    @admin.display(description=_("customer number"))
    def customer_number(self, obj):
        return obj.customer.customer_number if obj.customer_id else "—"


@admin.register(ChatMessage)
class ChatMessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("chat", "sender", "created_at")
    list_filter = ("sender",)
    list_select_related = ("chat__interaction",)
    fields = ("chat", "sender", "author", "masked_body", "article", "created_at")
    readonly_fields = fields
    masked_body = masked_text("body", _("text"))


@admin.register(InboundCall)
class InboundCallAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "call_id",
        "masked_caller_number",
        "ivr_labels",
        "status",
        "target_role",
        "agent",
        "started_at",
        "duration_seconds",
    )
    list_filter = ("status", "target_role")
    list_select_related = ("agent",)
    search_fields = ("=call_id", "=caller_number")
    fields = (
        "call_id",
        "masked_caller_number",
        "dialled_number",
        "ivr_path",
        "ivr_labels",
        "customer_number",
        "interaction",
        "status",
        "target_role",
        "offered_to",
        "agent",
        "started_at",
        "answered_at",
        "ended_at",
        "duration_seconds",
    )
    readonly_fields = fields

    @admin.display(description=_("caller number"))
    def masked_caller_number(self, obj):
        return obj.masked_caller_number

    @admin.display(description=_("customer number"))
    def customer_number(self, obj):
        return obj.customer.customer_number if obj.customer_id else "—"


@admin.register(InboundEmail)
class InboundEmailAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "from_address", "masked_subject", "status", "ticket")
    list_filter = ("status",)
    list_select_related = ("ticket",)
    search_fields = ("from_address", "subject")
    fields = (
        "message_key",
        "from_address",
        "masked_subject",
        "received_at",
        "status",
        "masked_reason",
        "size",
        "attachments_kept",
        "attachments_skipped",
        "source",
        "customer_number",
        "interaction",
        "ticket",
        "created_at",
    )
    readonly_fields = fields
    masked_subject = masked_text("subject", _("subject"))
    masked_reason = masked_text("reason", _("note"))

    @admin.display(description=_("customer number"))
    def customer_number(self, obj):
        return obj.customer.customer_number if obj.customer_id else "—"


@admin.register(AgentPresence)
class AgentPresenceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("user", "status", "max_chats", "last_seen_at")
    list_filter = ("status",)
    list_select_related = ("user",)
    fields = ("user", "status", "max_chats", "last_seen_at", "updated_at")
    readonly_fields = fields


# --- Notices ------------------------------------------------------------------------------------


NOTICE_CONTENT = (
    "kind",
    "title",
    "body",
    "sms_text",
    "segment",
    "area",
    "starts_at",
    "ends_at",
    "send_sms",
)


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    """Drafts are written here; publishing and withdrawing are the actions (services)."""

    list_display = ("title", "kind", "segment", "area", "status", "audience_size", "starts_at")
    list_filter = ("status", "kind", "segment")
    search_fields = ("title",)
    actions = ("publish", "withdraw")

    def get_fields(self, request, obj=None):
        if obj is None:
            return NOTICE_CONTENT
        return (
            *NOTICE_CONTENT,
            "status",
            "audience_size",
            "deliveries",
            "published_by",
            "published_at",
        )

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        if obj.status != NoticeStatus.DRAFT:
            return self.get_fields(request, obj)
        return ("status", "audience_size", "deliveries", "published_by", "published_at")

    @admin.display(description=_("deliveries"))
    def deliveries(self, obj):
        # Counts and a link, not one row per customer: a notice may reach tens of thousands.
        counts = delivery_counts(obj)
        url = reverse("admin:crm_noticedelivery_changelist") + f"?notice__id__exact={obj.pk}"
        summary = ", ".join(
            f"{DeliveryStatus(status).label} {count}" for status, count in counts.items()
        )
        return format_html('<a href="{}">{}</a>', url, summary)

    def has_delete_permission(self, request, obj=None):
        return obj is None or obj.status == NoticeStatus.DRAFT

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)

        class CheckedForm(form):
            """The same checks as every other way in (``notices.clean_notice``)."""

            def clean(self):
                cleaned = super().clean()
                values = {field: cleaned.get(field) for field in NOTICE_CONTENT[:-1]}
                if self.errors or not all(values[field] for field in ("kind", "title", "body")):
                    return cleaned
                try:
                    clean_notice(**values)
                except ValidationError as exc:
                    for field, errors in exc.error_dict.items():
                        self.add_error(field if field in self.fields else None, errors)
                return cleaned

        return CheckedForm

    @admin.action(description=_("Publish the selected notices"))
    def publish(self, request, queryset):
        self._apply(request, queryset, publish_notice, _("published"))

    @admin.action(description=_("Withdraw the selected notices"))
    def withdraw(self, request, queryset):
        self._apply(request, queryset, withdraw_notice, _("withdrawn"))

    def _apply(self, request, queryset, service, verb):
        done = 0
        for notice in queryset:
            try:
                service(notice, actor=request.user)
            except DomainError as exc:
                self.message_user(request, f"{notice}: {exc.message}", messages.ERROR)
                continue
            done += 1
        if done:
            self.message_user(
                request,
                ngettext("%(count)d notice %(verb)s.", "%(count)d notices %(verb)s.", done)
                % {"count": done, "verb": verb},
                messages.SUCCESS,
            )


@admin.register(NoticeDelivery)
class NoticeDeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("notice", "customer_number", "masked_msisdn", "status", "sent_at")
    list_filter = ("status",)
    list_select_related = ("notice", "customer")
    fields = (
        "notice",
        "customer_number",
        "masked_msisdn",
        "status",
        "attempts",
        "error",
        "sms",
        "sent_at",
    )
    readonly_fields = fields

    @admin.display(description=_("customer number"))
    def customer_number(self, obj):
        return obj.customer.customer_number

    @admin.display(description=_("mobile number"))
    def masked_msisdn(self, obj):
        return mask_phone(obj.msisdn)


# --- Agreements ---------------------------------------------------------------------------------


class AgreementEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = AgreementEvent
    fields = ("created_at", "kind", "actor", "detail")
    readonly_fields = fields
    extra = 0


@admin.register(ServiceAgreement)
class ServiceAgreementAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Signed and terminated through the portal and the API (the services charge the fee)."""

    list_display = ("number", "line", "status", "starts_on", "ends_on", "auto_renew", "renewals")
    list_filter = ("status", "auto_renew")
    list_select_related = ("subscription",)
    search_fields = ("number",)
    fields = (
        "number",
        "line",
        "customer_number",
        "version",
        "status",
        "term_months",
        "starts_on",
        "ends_on",
        "auto_renew",
        "renewals",
        "reminder_days",
        "reminded_for",
        "monthly_commitment",
        "termination_fee_percent",
        "termination_fee_fixed",
        "service_scope",
        "customer_obligations",
        "operator_obligations",
        "terminated_on",
        "termination_reason",
        "termination_fee",
        "signed_by",
        "created_at",
    )
    readonly_fields = fields
    inlines = (AgreementEventInline,)

    @admin.display(description=_("line"))
    def line(self, obj):
        return obj.subscription.service_label

    @admin.display(description=_("customer number"))
    def customer_number(self, obj):
        return obj.customer.customer_number


@admin.register(AgreementEvent)
class AgreementEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("agreement", "kind", "actor", "created_at")
    list_filter = ("kind",)
    list_select_related = ("agreement", "actor")
    fields = ("agreement", "kind", "actor", "detail", "created_at")
    readonly_fields = fields
