"""Admin for billing: the ledger and what feeds it, all read-only.

Money moves only through the services (``post_ledger_entry``, ``top_up``, rating, the bill run),
never by editing a row here: the pages show, and lines show their number masked.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from billing.models import (
    Bill,
    BillLine,
    CdrImport,
    CdrImportBadRow,
    LedgerEntry,
    PrepaidBalance,
    TopUp,
    UsageMonth,
    UsageRecord,
)
from crm.admin import ReadOnlyAdminMixin


class LineColumnMixin:
    @admin.display(description=_("line"))
    def line(self, obj):
        return obj.subscription.service_label if obj.subscription_id else ""


@admin.register(PrepaidBalance)
class PrepaidBalanceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("account", "balance", "updated_at")
    search_fields = ("account__account_number", "account__customer__customer_number")
    list_select_related = ("account",)


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdminMixin, LineColumnMixin, admin.ModelAdmin):
    list_display = ("created_at", "account", "kind", "amount", "balance_after", "line", "period")
    list_filter = ("kind", "created_at")
    search_fields = ("account__account_number",)
    list_select_related = ("account", "subscription")
    exclude = ("subscription",)
    readonly_fields = ("line",)
    date_hierarchy = "created_at"


@admin.register(TopUp)
class TopUpAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "account", "amount", "channel", "reference", "actor")
    list_filter = ("channel", "created_at")
    search_fields = ("account__account_number", "reference")
    list_select_related = ("account", "actor")
    exclude = ("request_fingerprint",)


class CdrImportBadRowInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = CdrImportBadRow
    extra = 0


@admin.register(CdrImport)
class CdrImportAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    inlines = [CdrImportBadRowInline]
    list_display = (
        "file_name",
        "started_at",
        "finished_at",
        "rows",
        "rated",
        "rejected",
        "duplicates",
        "bad_rows",
    )


@admin.register(UsageRecord)
class UsageRecordAdmin(ReadOnlyAdminMixin, LineColumnMixin, admin.ModelAdmin):
    list_display = (
        "record_id",
        "line",
        "event_type",
        "started_at",
        "charged_units",
        "charge",
        "status",
        "tariff_rule",
    )
    list_filter = ("status", "event_type", "billing_month")
    search_fields = ("record_id",)
    list_select_related = ("subscription",)
    # The other party's number is someone else's personal data: never shown here.
    exclude = ("subscription", "counterpart")
    readonly_fields = ("line",)


@admin.register(UsageMonth)
class UsageMonthAdmin(ReadOnlyAdminMixin, LineColumnMixin, admin.ModelAdmin):
    list_display = ("line", "month", "data_kb", "data_charge", "voice_charge", "sms_charge")
    list_select_related = ("subscription",)
    exclude = ("subscription",)
    readonly_fields = ("line",)


class BillLineInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = BillLine
    extra = 0


@admin.register(Bill)
class BillAdmin(ReadOnlyAdminMixin, LineColumnMixin, admin.ModelAdmin):
    list_display = ("period", "line", "total", "verification_code", "issued_at")
    list_filter = ("period",)
    search_fields = ("verification_code",)
    list_select_related = ("subscription",)
    exclude = ("subscription",)
    readonly_fields = ("line",)
    inlines = [BillLineInline]
