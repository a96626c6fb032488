"""Admin for tickets: SLA policies are editable; tickets change only through the services."""

from django.contrib import admin

from complaints.models import SlaPolicy, Ticket, TicketEvent, TicketNote
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
    fields = ("created_at", "author", "visibility", "masked_body")
    readonly_fields = fields
    masked_body = masked_text("body", "text")


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
    inlines = [TicketEventInline, TicketNoteInline]
