"""Admin for the crm app: every model, with identity data masked on every page.

The raw ``document_number``, ``contact_phone``, ``msisdn`` and ``service_password`` fields are
never form fields nor read-only fields here: pages show the masked properties instead, and a
full value is only available through ``reveal_customer_field`` (logged). Searching by a full
number is allowed; it discloses nothing the searcher did not type.

Writes with a service function go through it (a new customer is registered by
``create_customer``); orders, lines and interactions change only through the portal and the
API, which call the transition services, so their admin pages are read-only. Audit and history
rows are append-only.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from crm.choices import Channel, CustomerKind
from crm.masking import mask_name, mask_phone, mask_pii
from crm.models import (
    BillingAccount,
    Customer,
    DataReopening,
    IdentityVerification,
    Interaction,
    MobilePlanTerms,
    PiiAccessLog,
    Product,
    ServiceOrder,
    ServiceOrderStep,
    SmsVerificationCode,
    Subscription,
    SubscriptionProduct,
    SubscriptionStatusChange,
)
from crm.services import clean_customer_data, create_customer


class ReadOnlyAdminMixin:
    """Pages that only show: history rows, and records that change through services only."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def masked_text(field_name: str, description):
    """An admin column showing free text (reasons, notes) with any ID or phone number masked."""

    @admin.display(description=description)
    def display(self, obj):
        return mask_pii(getattr(obj, field_name))

    return display


class CustomerColumnsMixin:
    """Masked columns for models with a ``customer`` foreign key."""

    @admin.display(description=_("customer number"), ordering="customer__customer_number")
    def customer_number(self, obj):
        return obj.customer.customer_number

    @admin.display(description=_("customer name"))
    def customer_name(self, obj):
        return obj.customer.masked_name


# --- Customers ------------------------------------------------------------------------------

CUSTOMER_INPUT_FIELDS = (
    "kind",
    "name",
    "document_type",
    "document_number",
    "contact_phone",
    "email",
    "address",
    "segment",
)


class CustomerAddForm(forms.ModelForm):
    """Registration in the admin, validated by ``clean_customer_data`` like every channel."""

    # Wider than the stored values: people type spaces, "+86" and full-width digits, which
    # clean_customer_data normalises away.
    document_number = forms.CharField(label=_("document number"), max_length=64)
    contact_phone = forms.CharField(label=_("contact phone"), max_length=32)

    class Meta:
        model = Customer
        fields = CUSTOMER_INPUT_FIELDS

    customer_data = None

    def clean(self):
        cleaned_data = super().clean()
        try:
            self.customer_data = clean_customer_data(
                **{field: cleaned_data.get(field) or "" for field in CUSTOMER_INPUT_FIELDS}
            )
        except ValidationError as exc:
            # A field the form itself refused already says why; don't say it twice.
            self.add_error(
                None,
                ValidationError(
                    {
                        field: errors
                        for field, errors in exc.error_dict.items()
                        if field not in self.errors
                    }
                ),
            )
            return cleaned_data
        # Normalised values, so that the document's uniqueness is checked as it will be stored.
        for field in CUSTOMER_INPUT_FIELDS:
            cleaned_data[field] = getattr(self.customer_data, field)
        return cleaned_data

    def _post_clean(self):
        # The model's own checks would only repeat, on the raw input, what the service refused.
        if self.customer_data is not None:
            super()._post_clean()


class SubscriptionOfCustomerInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Subscription
    fields = ("line", "kind", "status", "activated_on", "terminated_on")
    readonly_fields = fields
    show_change_link = True
    extra = 0

    @admin.display(description=_("line"))
    def line(self, obj):
        return obj.service_label


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = (
        "customer_number",
        "masked_name",
        "kind",
        "masked_document_number",
        "masked_contact_phone",
        "segment",
        "channel",
        "created_at",
    )
    list_filter = ("kind", "segment", "channel", "document_type")
    # Full numbers are searched exactly, so a search cannot enumerate them digit by digit.
    search_fields = ("customer_number", "name", "=document_number", "=contact_phone")
    date_hierarchy = "created_at"
    add_form = CustomerAddForm
    raw_id_fields = ("user",)
    # Only what no service owns is editable: the segment and the portal login. Contact data and
    # the name change through a customer data change order.
    change_fields = (
        "customer_number",
        "kind",
        "masked_name",
        "document_type",
        "masked_document_number",
        "masked_contact_phone",
        "email",
        "address",
        "segment",
        "user",
        "has_service_password",
        "verification_locked_until",
        "channel",
        "created_by",
        "created_at",
        "updated_at",
    )
    change_readonly_fields = tuple(
        field for field in change_fields if field not in ("segment", "user")
    )
    inlines = (SubscriptionOfCustomerInline,)

    def get_fields(self, request, obj=None):
        return CUSTOMER_INPUT_FIELDS if obj is None else self.change_fields

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.change_readonly_fields

    def get_inlines(self, request, obj):
        return () if obj is None else self.inlines

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, **kwargs)

    def has_delete_permission(self, request, obj=None):
        # Customers hold accounts, lines and history; they are never deleted.
        return False

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        customer = create_customer(
            form.customer_data, channel=Channel.BUSINESS_HALL, actor=request.user
        )
        # The admin goes on with ``obj`` (history entry, redirect): make it the stored customer.
        obj.pk = customer.pk
        obj._state.adding = False
        obj._state.db = customer._state.db
        obj.refresh_from_db()

    @admin.display(description=_("name"), ordering="name")
    def masked_name(self, obj):
        return obj.masked_name

    @admin.display(description=_("document number"))
    def masked_document_number(self, obj):
        return obj.masked_document_number

    @admin.display(description=_("contact phone"))
    def masked_contact_phone(self, obj):
        return obj.masked_contact_phone

    @admin.display(description=_("service password set"), boolean=True)
    def has_service_password(self, obj):
        return bool(obj.service_password)


@admin.register(PiiAccessLog)
class PiiAccessLogAdmin(ReadOnlyAdminMixin, CustomerColumnsMixin, admin.ModelAdmin):
    list_display = (
        "created_at",
        "actor",
        "customer_number",
        "customer_name",
        "field",
        "masked_reason",
    )
    list_filter = ("field",)
    list_select_related = ("actor", "customer")
    search_fields = ("customer__customer_number", "actor__username", "reason")
    date_hierarchy = "created_at"
    fields = ("created_at", "actor", "customer", "field", "masked_reason", "interaction")
    readonly_fields = fields
    masked_reason = masked_text("reason", _("reason"))


# --- Catalog --------------------------------------------------------------------------------


class MobilePlanTermsInline(admin.StackedInline):
    model = MobilePlanTerms
    max_num = 1
    extra = 0


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "kind",
        "monthly_fee",
        "one_time_fee",
        "minimum_months",
        "valid_from",
        "valid_to",
        "is_demo",
    )
    list_filter = ("kind", "is_demo")
    search_fields = ("code", "name")
    filter_horizontal = ("components",)
    readonly_fields = ("created_at", "updated_at")
    inlines = (MobilePlanTermsInline,)


@admin.register(MobilePlanTerms)
class MobilePlanTermsAdmin(admin.ModelAdmin):
    list_display = (
        "product",
        "local_call_per_minute",
        "long_distance_per_minute",
        "sms_each",
        "data_per_kb",
        "monthly_data_cap_kb",
        "monthly_charge_cap",
    )
    list_select_related = ("product",)
    search_fields = ("product__code", "product__name")


# --- Accounts and lines ---------------------------------------------------------------------


@admin.register(BillingAccount)
class BillingAccountAdmin(ReadOnlyAdminMixin, CustomerColumnsMixin, admin.ModelAdmin):
    list_display = ("account_number", "customer_number", "customer_name", "is_prepaid")
    list_select_related = ("customer",)
    search_fields = ("account_number", "customer__customer_number")
    fields = ("account_number", "customer", "is_prepaid", "created_at", "updated_at")
    readonly_fields = fields


class SubscriptionProductInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = SubscriptionProduct
    fields = ("product", "effective_from", "effective_to", "order")
    readonly_fields = fields
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("product", "order")


class SubscriptionStatusChangeInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = SubscriptionStatusChange
    fields = ("created_at", "from_status", "to_status", "actor", "masked_reason")
    readonly_fields = fields
    extra = 0
    masked_reason = masked_text("reason", _("reason"))

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdminMixin, CustomerColumnsMixin, admin.ModelAdmin):
    list_display = (
        "line",
        "kind",
        "status",
        "customer_number",
        "customer_name",
        "activated_on",
        "terminated_on",
    )
    list_filter = ("kind", "status")
    list_select_related = ("customer",)
    search_fields = ("=msisdn", "fixed_number", "iccid", "customer__customer_number")
    fields = (
        "line",
        "kind",
        "status",
        "customer",
        "billing_account",
        "iccid",
        "fixed_number",
        "installation_address",
        "activated_on",
        "suspended_on",
        "terminated_on",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    inlines = (SubscriptionProductInline, SubscriptionStatusChangeInline)

    @admin.display(description=_("line"))
    def line(self, obj):
        return obj.service_label


@admin.register(SubscriptionStatusChange)
class SubscriptionStatusChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "created_at",
        "subscription",
        "from_status",
        "to_status",
        "actor",
        "masked_reason",
    )
    list_filter = ("to_status",)
    list_select_related = ("subscription", "actor")
    search_fields = ("=subscription__msisdn", "subscription__customer__customer_number")
    fields = ("created_at", "subscription", "from_status", "to_status", "actor", "masked_reason")
    readonly_fields = fields
    masked_reason = masked_text("reason", _("reason"))


@admin.register(SubscriptionProduct)
class SubscriptionProductAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("subscription", "product", "effective_from", "effective_to", "order")
    list_filter = ("product__kind",)
    list_select_related = ("subscription", "product", "order")
    search_fields = ("=subscription__msisdn", "product__code")
    fields = ("subscription", "product", "effective_from", "effective_to", "order", "created_at")
    readonly_fields = fields


@admin.register(DataReopening)
class DataReopeningAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("reopened_at", "subscription", "order")
    list_select_related = ("subscription", "order")
    search_fields = ("=subscription__msisdn", "order__number")
    fields = ("reopened_at", "subscription", "order")
    readonly_fields = fields


# --- Service orders -------------------------------------------------------------------------


class ServiceOrderStepInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ServiceOrderStep
    fields = ("created_at", "from_status", "to_status", "actor", "masked_reason")
    readonly_fields = fields
    extra = 0
    masked_reason = masked_text("reason", _("reason"))

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


def _masked_data_change(field: str, value, customer: Customer) -> str:
    text = str(value)
    if field == "contact_phone":
        return mask_phone(text)
    if field == "name" and customer.kind == CustomerKind.INDIVIDUAL:
        return mask_name(text)
    return mask_pii(text)


@admin.register(ServiceOrder)
class ServiceOrderAdmin(ReadOnlyAdminMixin, CustomerColumnsMixin, admin.ModelAdmin):
    list_display = (
        "number",
        "kind",
        "status",
        "customer_number",
        "customer_name",
        "product",
        "created_by",
        "created_at",
    )
    list_filter = ("status", "kind", "channel")
    list_select_related = ("customer", "product", "created_by")
    search_fields = ("number", "customer__customer_number", "=service_number")
    date_hierarchy = "created_at"
    fields = (
        "number",
        "kind",
        "status",
        "customer",
        "subscription",
        "channel",
        "product",
        "masked_service_number",
        "iccid",
        "installation_address",
        "new_owner",
        "masked_data_changes",
        "effective_on",
        "fee",
        "masked_notes",
        "masked_rejection_reason",
        "created_by",
        "fulfilled_at",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    inlines = (ServiceOrderStepInline,)

    @admin.display(description=_("service number"))
    def masked_service_number(self, obj):
        return mask_phone(obj.service_number)

    @admin.display(description=_("customer data changes"))
    def masked_data_changes(self, obj):
        return format_html_join(
            ", ",
            "{}: {}",
            (
                (field, _masked_data_change(field, value, obj.customer))
                for field, value in sorted(obj.data_changes.items())
            ),
        )

    masked_notes = masked_text("notes", _("notes"))
    masked_rejection_reason = masked_text("rejection_reason", _("review rejection reason"))


@admin.register(ServiceOrderStep)
class ServiceOrderStepAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "order", "from_status", "to_status", "actor", "masked_reason")
    list_filter = ("to_status",)
    list_select_related = ("order", "actor")
    search_fields = ("order__number",)
    fields = ("created_at", "order", "from_status", "to_status", "actor", "masked_reason")
    readonly_fields = fields
    masked_reason = masked_text("reason", _("reason"))


# --- Interactions and verification ----------------------------------------------------------


class IdentityVerificationInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = IdentityVerification
    fields = ("created_at", "customer", "method", "result", "performed_by")
    readonly_fields = fields
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("customer", "performed_by")


@admin.register(Interaction)
class InteractionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "number",
        "channel",
        "customer",
        "staff",
        "masked_reason",
        "outcome",
        "started_at",
        "ended_at",
    )
    list_filter = ("channel", "outcome")
    list_select_related = ("customer", "staff")
    search_fields = ("number", "customer__customer_number", "staff__username")
    date_hierarchy = "started_at"
    fields = (
        "number",
        "channel",
        "customer",
        "staff",
        "masked_reason",
        "outcome",
        "masked_notes",
        "service_order",
        "started_at",
        "ended_at",
    )
    readonly_fields = fields
    inlines = (IdentityVerificationInline,)

    masked_reason = masked_text("reason", _("reason"))
    masked_notes = masked_text("notes", _("notes"))


@admin.register(IdentityVerification)
class IdentityVerificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "interaction", "customer", "method", "result", "performed_by")
    list_filter = ("method", "result")
    list_select_related = ("interaction", "customer", "performed_by")
    search_fields = ("interaction__number", "customer__customer_number")
    fields = ("created_at", "interaction", "customer", "method", "result", "performed_by")
    readonly_fields = fields


@admin.register(SmsVerificationCode)
class SmsVerificationCodeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "interaction", "customer", "expires_at", "used_at")
    list_select_related = ("interaction", "customer")
    search_fields = ("interaction__number", "customer__customer_number")
    # The code's hash stays out of sight like a password's.
    fields = ("created_at", "interaction", "customer", "expires_at", "used_at")
    readonly_fields = fields


# The contact channels' admin lives in its own module of this app.
from crm import channel_admin  # noqa: E402, F401
