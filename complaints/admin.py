"""Admin for tickets: SLA policies are editable; tickets change only through the services."""

from django.contrib import admin

from complaints.models import (
    Callback,
    Notification,
    SlaPolicy,
    Survey,
    Ticket,
    TicketAttachment,
    TicketEvent,
    TicketNote,
)
from crm.admin import ReadOnlyAdminMixin, masked_text


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ("kind", "priority", "response_minutes", "resolution_minutes", "updated_at")
    list_editable = ("response_minutes", "resolution_minutes")
    list_filter = ("kind",)


class TicketEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = TicketEvent
    extra = 0
    fields = ("created_at", "kind", "from_value", "to_value", "actor", "reason")
    readonly_fields = fields


class TicketNoteInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = TicketNote
    extra = 0
    fields = ("created_at", "author", "visibility", "kind", "fault_location", "masked_body")
    readonly_fields = fields
    masked_body = masked_text("body", "text")


class TicketAttachmentInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = TicketAttachment
    extra = 0
    fields = ("created_at", "original_name", "content_type", "size", "uploaded_by")
    readonly_fields = fields


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "number",
        "kind",
        "category",
        "priority",
        "status",
        "queue",
        "assignee",
        "resolution_due_at",
    )
    list_filter = ("status", "kind", "queue", "priority")
    search_fields = ("number",)
    list_select_related = ("assignee",)
    exclude = ("customer", "subscription", "interaction", "description")
    readonly_fields = ("masked_description",)
    masked_description = masked_text("description", "description")
    inlines = [TicketEventInline, TicketNoteInline, TicketAttachmentInline]


@admin.register(Survey)
class SurveyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Surveys change only through the survey link and the tasks; the admin shows them."""

    list_display = ("ticket", "status", "send_after", "sent_at", "answered_at", "score", "resolved")
    list_filter = ("status", "score", "resolved")
    search_fields = ("ticket__number",)
    list_select_related = ("ticket",)
    fields = (
        "ticket",
        "status",
        "send_after",
        "sent_at",
        "answered_at",
        "score",
        "resolved",
        "masked_comment",
        "reviewed_at",
        "reviewed_by",
    )
    readonly_fields = fields
    masked_comment = masked_text("comment", "comment")


@admin.register(Callback)
class CallbackAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("ticket", "status", "assignee", "due_at", "outcome", "score", "completed_at")
    list_filter = ("status", "outcome")
    search_fields = ("ticket__number",)
    list_select_related = ("ticket", "assignee")
    fields = (
        "ticket",
        "survey",
        "status",
        "assignee",
        "due_at",
        "outcome",
        "score",
        "masked_note",
        "completed_by",
        "completed_at",
    )
    readonly_fields = fields
    masked_note = masked_text("note", "note")


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The outbox: what was (or will be) sent to whom; addresses and text shown masked."""

    list_display = ("created_at", "channel", "status", "subject", "ticket", "attempts", "sent_at")
    list_filter = ("channel", "status")
    search_fields = ("ticket__number",)
    list_select_related = ("ticket",)
    fields = (
        "created_at",
        "channel",
        "status",
        "masked_address",
        "subject",
        "masked_body",
        "ticket",
        "user",
        "attempts",
        "error",
        "sent_at",
    )
    readonly_fields = fields
    masked_address = masked_text("address", "address")
    masked_body = masked_text("body", "text")
