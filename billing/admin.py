"""Admin for billing: the ledger and what feeds it, all read-only.

Money moves only through the services (``post_ledger_entry``, ``top_up``, rating, the bill run),
never by editing a row here: the pages show, and lines show their number masked.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from billing.models import (
    ArrearsCase,
    ArrearsEvent,
    Bill,
    BillLine,
    CdrImport,
    CdrImportBadRow,
    CreditPolicy,
    Device,
    InstalmentDue,
    InstalmentEvent,
    InstalmentPlan,
    LedgerEntry,
    LowBalanceAlert,
    PointsAccount,
    PointsEntry,
    PrepaidBalance,
    Promotion,
    PromotionRedemption,
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
    list_display = ("account", "balance", "bonus_balance", "updated_at")
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
    list_display = ("created_at", "account", "amount", "channel", "bank", "reference", "actor")
    list_filter = ("channel", "bank", "created_at")
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


# --- Commerce: promotions, points, devices, instalments, arrears ------------------------------
# Promotions, devices and credit policies are data the admin edits; points, plans and arrears
# move only through their services (``billing.points``, ``billing.instalments``,
# ``billing.arrears``), so their pages only show.


@admin.register(CreditPolicy)
class CreditPolicyAdmin(admin.ModelAdmin):
    list_display = (
        "segment",
        "overdraft_limit",
        "purchase_credit_limit",
        "min_age_years",
        "min_tenure_months",
        "updated_at",
    )
    list_editable = (
        "overdraft_limit",
        "purchase_credit_limit",
        "min_age_years",
        "min_tenure_months",
    )

    def has_delete_permission(self, request, obj=None):
        return False


class PromotionRedemptionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = PromotionRedemption
    extra = 0
    fields = ("created_at", "customer", "benefit_amount", "points_spent", "top_up", "actor")
    readonly_fields = fields
    ordering = ("-created_at",)
    show_change_link = True


@admin.register(Promotion)
class PromotionAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "kind",
        "is_active",
        "valid_from",
        "valid_to",
        "redemptions",
        "max_redemptions",
        "benefit_granted",
        "budget",
    )
    list_filter = ("kind", "is_active", "segment", "bank")
    search_fields = ("code", "name")
    readonly_fields = ("redemptions", "benefit_granted", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("code", "name", "description", "kind", "is_active")}),
        (_("Validity"), {"fields": ("valid_from", "valid_to")}),
        (
            _("Who may have it"),
            {"fields": ("segment", "channel", "bank", "min_amount", "min_group_size")},
        ),
        (
            _("What it gives"),
            {
                "fields": (
                    "benefit_amount",
                    "benefit_percent",
                    "max_benefit",
                    "points_cost",
                    "reward",
                    "product",
                    "reward_months",
                )
            },
        ),
        (
            _("Limits and use"),
            {
                "fields": (
                    "per_customer_limit",
                    "max_redemptions",
                    "budget",
                    "redemptions",
                    "benefit_granted",
                )
            },
        ),
    )
    inlines = [PromotionRedemptionInline]

    def has_delete_permission(self, request, obj=None):
        # Uses and ledger entries point at it: end it (valid to, inactive) instead.
        return obj is None or not obj.redemption_records.exists()


@admin.register(PromotionRedemption)
class PromotionRedemptionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "promotion", "customer", "benefit_amount", "points_spent")
    list_filter = ("promotion__kind", "created_at")
    search_fields = ("promotion__code", "customer__customer_number")
    list_select_related = ("promotion", "customer")


@admin.register(PointsAccount)
class PointsAccountAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("customer", "balance", "updated_at")
    search_fields = ("customer__customer_number",)
    list_select_related = ("customer",)


@admin.register(PointsEntry)
class PointsEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "created_at",
        "customer",
        "kind",
        "points",
        "balance_after",
        "remaining",
        "expires_on",
    )
    list_filter = ("kind", "expires_on")
    search_fields = ("customer__customer_number",)
    list_select_related = ("customer",)


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = ("code", "brand", "name", "price", "is_active", "is_demo")
    list_filter = ("brand", "is_active", "is_demo")
    search_fields = ("code", "brand", "name")
    list_editable = ("price", "is_active")


class InstalmentDueInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = InstalmentDue
    extra = 0
    fields = ("sequence", "due_on", "principal", "interest", "amount", "status", "paid_at")
    readonly_fields = fields


class InstalmentEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = InstalmentEvent
    extra = 0
    fields = ("created_at", "kind", "due", "amount", "actor", "reason")
    readonly_fields = fields


@admin.register(InstalmentPlan)
class InstalmentPlanAdmin(ReadOnlyAdminMixin, LineColumnMixin, admin.ModelAdmin):
    list_display = (
        "number",
        "customer",
        "device",
        "financed_amount",
        "months",
        "status",
        "purchased_on",
        "seller",
    )
    list_filter = ("status", "months", "purchased_on")
    search_fields = ("number", "customer__customer_number")
    list_select_related = ("customer", "device", "seller")
    exclude = ("subscription",)
    readonly_fields = ("line",)
    inlines = [InstalmentDueInline, InstalmentEventInline]


@admin.register(InstalmentDue)
class InstalmentDueAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("plan", "sequence", "due_on", "amount", "status", "overdue_since")
    list_filter = ("status", "due_on")
    search_fields = ("plan__number",)
    list_select_related = ("plan",)


class ArrearsEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ArrearsEvent
    extra = 0
    fields = ("created_at", "kind", "line", "actor", "detail")
    readonly_fields = fields

    @admin.display(description=_("line"))
    def line(self, obj):
        return obj.subscription.service_label if obj.subscription_id else ""


@admin.register(ArrearsCase)
class ArrearsCaseAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "account",
        "cause",
        "status",
        "balance_at_opening",
        "overdue_at_opening",
        "opened_at",
        "suspend_after",
        "suspended_at",
        "cleared_at",
    )
    list_filter = ("status", "cause", "opened_at")
    search_fields = ("account__account_number",)
    list_select_related = ("account",)
    inlines = [ArrearsEventInline]


@admin.register(LowBalanceAlert)
class LowBalanceAlertAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("account", "balance", "threshold", "created_at", "closed_at")
    list_filter = ("created_at",)
    search_fields = ("account__account_number",)
    list_select_related = ("account",)
