"""Shapes of the crm API.

Output never carries a full ID number, phone, mobile number or a person's full name: those are
rendered through the models' ``masked_*`` properties or ``crm.masking``; the full value comes
only from the logged ``reveal`` action. Input serializers check shape only; the services check
the rules (a bad ID check digit, a taken number, a refused transition).
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from crm.choices import (
    ORDER_TRANSITIONS,
    PLAN_KIND_FOR_SUBSCRIPTION,
    Channel,
    CustomerKind,
    DocumentType,
    InteractionOutcome,
    OrderKind,
    OrderStatus,
    PiiField,
    Segment,
)
from crm.masking import mask_name, mask_phone
from crm.models import (
    BillingAccount,
    Customer,
    IdentityVerification,
    Interaction,
    MobilePlanTerms,
    Product,
    ServiceOrder,
    ServiceOrderStep,
    Subscription,
)
from crm.permissions import may_view_account_detail
from crm.selectors import customers_for, interactions_for, orders_for, subscriptions_for

# --- Input: references to records the user may see ----------------------------------------


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A primary key looked up in the requesting user's scope (a ``crm.selectors`` function).

    A record outside the scope is reported exactly like a missing one.
    """

    def __init__(self, *, selector, **kwargs):
        self.selector = selector
        super().__init__(**kwargs)

    def get_queryset(self):
        return self.selector(self.context["request"].user)


def scoped(selector, model, **kwargs):
    # ``queryset`` only tells the schema generator the model; lookups use the selector.
    return ScopedPrimaryKeyRelatedField(selector=selector, queryset=model.objects.none(), **kwargs)


# --- Customers ------------------------------------------------------------------------------


class CustomerSerializer(serializers.ModelSerializer):
    name = serializers.CharField(
        source="masked_name", read_only=True, help_text=_("Masked for individuals.")
    )
    document_number = serializers.CharField(source="masked_document_number", read_only=True)
    contact_phone = serializers.CharField(source="masked_contact_phone", read_only=True)
    account_detail_visible = serializers.SerializerMethodField(
        help_text=_(
            "Whether you may see this customer's balance, bills and usage now (a passing "
            "verification in your open interaction, or a supervisor's permission)."
        )
    )

    class Meta:
        model = Customer
        fields = [
            "id",
            "customer_number",
            "kind",
            "name",
            "document_type",
            "document_number",
            "contact_phone",
            "email",
            "address",
            "segment",
            "channel",
            "created_at",
            "account_detail_visible",
        ]
        read_only_fields = fields

    def get_account_detail_visible(self, customer) -> bool:
        # A list view works the answer out for the whole page at once (see the view).
        visible_ids = self.context.get("account_detail_visible_ids")
        if visible_ids is not None:
            return customer.pk in visible_ids
        return may_view_account_detail(self.context["request"].user, customer)


class CustomerCreateSerializer(serializers.Serializer):
    """A new customer. Document and phone rules are checked all at once by the service."""

    kind = serializers.ChoiceField(choices=CustomerKind.choices)
    name = serializers.CharField(max_length=200)
    document_type = serializers.ChoiceField(choices=DocumentType.choices)
    document_number = serializers.CharField(max_length=40)
    contact_phone = serializers.CharField(max_length=32)
    email = serializers.CharField(max_length=254, required=False, allow_blank=True, default="")
    address = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    segment = serializers.ChoiceField(choices=Segment.choices, default=Segment.STANDARD)
    channel = serializers.ChoiceField(choices=Channel.choices)
    service_password = serializers.RegexField(
        r"^[0-9]{6}$",
        write_only=True,
        required=False,
        error_messages={"invalid": _("Use exactly six digits.")},
        help_text=_("Six digits, stored hashed; never returned."),
    )


class RevealSerializer(serializers.Serializer):
    field = serializers.ChoiceField(
        choices=[
            (PiiField.DOCUMENT_NUMBER.value, PiiField.DOCUMENT_NUMBER.label),
            (PiiField.CONTACT_PHONE.value, PiiField.CONTACT_PHONE.label),
        ]
    )
    reason = serializers.CharField(max_length=300)
    interaction = scoped(
        interactions_for,
        Interaction,
        required=False,
        allow_null=True,
        help_text=_("The interaction in which the value is needed, recorded in the access log."),
    )


class RevealedValueSerializer(serializers.Serializer):
    field = serializers.CharField()
    value = serializers.CharField()


# --- Accounts, lines, catalog ---------------------------------------------------------------


class BillingAccountSerializer(serializers.ModelSerializer):
    customer_number = serializers.CharField(source="customer.customer_number", read_only=True)
    customer_name = serializers.CharField(source="customer.masked_name", read_only=True)

    class Meta:
        model = BillingAccount
        fields = [
            "id",
            "account_number",
            "customer",
            "customer_number",
            "customer_name",
            "is_prepaid",
            "created_at",
        ]
        read_only_fields = fields


class PlanSummarySerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class SubscriptionSerializer(serializers.ModelSerializer):
    customer_number = serializers.CharField(source="customer.customer_number", read_only=True)
    msisdn = serializers.SerializerMethodField(help_text=_("Masked mobile number."))
    current_plan = serializers.SerializerMethodField(help_text=_("The plan in effect today."))

    class Meta:
        model = Subscription
        fields = [
            "id",
            "customer",
            "customer_number",
            "billing_account",
            "kind",
            "msisdn",
            "fixed_number",
            "installation_address",
            "status",
            "activated_on",
            "suspended_on",
            "terminated_on",
            "current_plan",
        ]
        read_only_fields = fields

    def get_msisdn(self, subscription) -> str | None:
        return mask_phone(subscription.msisdn) if subscription.msisdn else None

    @extend_schema_field(PlanSummarySerializer(allow_null=True))
    def get_current_plan(self, subscription):
        # ``current_products`` is prefetched by the view: today's products of every line.
        plan_kind = PLAN_KIND_FOR_SUBSCRIPTION[subscription.kind]
        for row in subscription.current_products:
            if row.product.kind == plan_kind:
                return {"code": row.product.code, "name": row.product.name}
        return None


class MobilePlanTermsSerializer(serializers.ModelSerializer):
    class Meta:
        model = MobilePlanTerms
        exclude = ["id", "product"]


class ProductSerializer(serializers.ModelSerializer):
    components = serializers.SlugRelatedField(
        slug_field="code", many=True, read_only=True, help_text=_("Codes of a bundle's parts.")
    )
    mobile_terms = MobilePlanTermsSerializer(
        read_only=True, allow_null=True, help_text=_("Rates and caps; mobile plans only.")
    )

    class Meta:
        model = Product
        fields = [
            "id",
            "code",
            "kind",
            "name",
            "description",
            "monthly_fee",
            "one_time_fee",
            "minimum_months",
            "bandwidth_mbps",
            "valid_from",
            "valid_to",
            "is_demo",
            "components",
            "mobile_terms",
        ]
        read_only_fields = fields


# --- Service orders -------------------------------------------------------------------------

# Data-change values that identify a person are masked like the customer record itself.
_DATA_CHANGE_MASKS = {"contact_phone": mask_phone, "name": mask_name}


class OrderStepSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", read_only=True)
    at = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = ServiceOrderStep
        fields = ["from_status", "to_status", "actor", "reason", "at"]
        read_only_fields = fields


class ServiceOrderSerializer(serializers.ModelSerializer):
    customer_number = serializers.CharField(source="customer.customer_number", read_only=True)
    customer_name = serializers.CharField(source="customer.masked_name", read_only=True)
    subscription_label = serializers.CharField(
        source="subscription.service_label", read_only=True, allow_null=True
    )
    product = serializers.SlugRelatedField(slug_field="code", read_only=True)
    service_number = serializers.SerializerMethodField(help_text=_("Masked."))
    data_changes = serializers.SerializerMethodField(help_text=_("Personal values masked."))
    created_by = serializers.CharField(source="created_by.username", read_only=True)

    class Meta:
        model = ServiceOrder
        fields = [
            "id",
            "number",
            "kind",
            "status",
            "customer",
            "customer_number",
            "customer_name",
            "subscription",
            "subscription_label",
            "channel",
            "product",
            "service_number",
            "iccid",
            "installation_address",
            "new_owner",
            "data_changes",
            "effective_on",
            "fee",
            "notes",
            "rejection_reason",
            "created_by",
            "fulfilled_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_service_number(self, order) -> str:
        return mask_phone(order.service_number)

    def get_data_changes(self, order) -> dict[str, str]:
        return {
            field: _DATA_CHANGE_MASKS.get(field, str)(str(value))
            for field, value in order.data_changes.items()
        }


class ServiceOrderDetailSerializer(ServiceOrderSerializer):
    steps = OrderStepSerializer(many=True, read_only=True)
    allowed_transitions = serializers.SerializerMethodField(
        help_text=_("Statuses this order may move to next.")
    )

    class Meta(ServiceOrderSerializer.Meta):
        fields = [*ServiceOrderSerializer.Meta.fields, "steps", "allowed_transitions"]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(OrderStatus.choices)))
    def get_allowed_transitions(self, order):
        # In the order of the hall's steps, the two ends last.
        allowed = ORDER_TRANSITIONS[order.status]
        return [status for status in OrderStatus.values if status in allowed]


class ServiceOrderCreateSerializer(serializers.Serializer):
    """What an order asks for; which fields a kind needs is checked by the service."""

    kind = serializers.ChoiceField(choices=OrderKind.choices)
    customer = scoped(customers_for, Customer)
    subscription = scoped(subscriptions_for, Subscription, required=False, allow_null=True)
    product = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Product.objects.all(),
        required=False,
        allow_null=True,
        help_text=_(
            "The product's catalog code (e.g. DAZHONG), not its id: codes are the same in "
            "every installation and on the tariff sheet."
        ),
    )
    service_number = serializers.CharField(
        max_length=20,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("The mobile number to open, or the fixed-line number to install."),
    )
    iccid = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    installation_address = serializers.CharField(
        max_length=300, required=False, allow_blank=True, default=""
    )
    new_owner = scoped(customers_for, Customer, required=False, allow_null=True)
    data_changes = serializers.DictField(
        child=serializers.CharField(allow_blank=True),
        required=False,
        default=dict,
        help_text=_("Customer data change: field name to new value."),
    )
    effective_on = serializers.DateField(required=False, allow_null=True)
    fee = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    notes = serializers.CharField(required=False, allow_blank=True, default="")
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.BUSINESS_HALL)
    interaction = scoped(
        interactions_for,
        Interaction,
        required=False,
        allow_null=True,
        help_text=_("The contact in which the order was taken; it gets linked to the order."),
    )


class OrderActionSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class OrderReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


# --- Interactions and verifications ---------------------------------------------------------


class VerificationSerializer(serializers.ModelSerializer):
    """A recorded verification. The caller's answers go in, only the result comes out."""

    interaction = scoped(interactions_for, Interaction)
    customer = scoped(customers_for, Customer)
    interaction_number = serializers.CharField(source="interaction.number", read_only=True)
    performed_by = serializers.CharField(source="performed_by.username", read_only=True)
    id_number = serializers.CharField(
        write_only=True, required=False, allow_blank=True, default="", max_length=40
    )
    name = serializers.CharField(
        write_only=True, required=False, allow_blank=True, default="", max_length=200
    )
    service_password = serializers.CharField(
        write_only=True, required=False, allow_blank=True, default="", max_length=32
    )
    sms_code = serializers.CharField(
        write_only=True, required=False, allow_blank=True, default="", max_length=12
    )

    class Meta:
        model = IdentityVerification
        fields = [
            "id",
            "interaction",
            "interaction_number",
            "customer",
            "method",
            "result",
            "performed_by",
            "created_at",
            "id_number",
            "name",
            "service_password",
            "sms_code",
        ]
        read_only_fields = ["id", "result", "created_at"]


class VerificationSummarySerializer(serializers.ModelSerializer):
    performed_by = serializers.CharField(source="performed_by.username", read_only=True)

    class Meta:
        model = IdentityVerification
        fields = ["id", "customer", "method", "result", "performed_by", "created_at"]
        read_only_fields = fields


class InteractionSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(
        source="customer.masked_name", read_only=True, allow_null=True
    )
    staff = serializers.CharField(source="staff.username", read_only=True, allow_null=True)
    service_order_number = serializers.CharField(
        source="service_order.number", read_only=True, allow_null=True
    )
    verifications = VerificationSummarySerializer(many=True, read_only=True)

    class Meta:
        model = Interaction
        fields = [
            "id",
            "number",
            "channel",
            "customer",
            "customer_name",
            "staff",
            "reason",
            "outcome",
            "notes",
            "started_at",
            "ended_at",
            "service_order",
            "service_order_number",
            "verifications",
        ]
        read_only_fields = fields


class InteractionCreateSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices)
    reason = serializers.CharField(max_length=300)
    customer = scoped(
        customers_for,
        Customer,
        required=False,
        allow_null=True,
        help_text=_("Leave empty for a caller not yet identified."),
    )


class InteractionEndSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=InteractionOutcome.choices)
    notes = serializers.CharField(required=False, allow_blank=True, default="")
    service_order = scoped(orders_for, ServiceOrder, required=False, allow_null=True)


class SendCodeSerializer(serializers.Serializer):
    customer = scoped(customers_for, Customer)


class SentCodeSerializer(serializers.Serializer):
    """Where the code went (masked) and until when it is valid; never the code itself."""

    customer = serializers.IntegerField(source="customer_id")
    sent_to = serializers.SerializerMethodField()
    expires_at = serializers.DateTimeField()

    def get_sent_to(self, record) -> str:
        return record.customer.masked_contact_phone
