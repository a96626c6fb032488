"""Shapes of the promotions, points, instalments and account-status API. Amounts are decimal
strings in yuan; mobile numbers are masked."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from billing.models import (
    ArrearsCase,
    ArrearsEvent,
    Device,
    InstalmentDue,
    InstalmentEvent,
    InstalmentPlan,
    LowBalanceAlert,
    PointsEntry,
    Promotion,
    PromotionRedemption,
)

# --- Promotions -------------------------------------------------------------------------------


class PromotionSerializer(serializers.ModelSerializer):
    product = serializers.SlugRelatedField(
        slug_field="code",
        read_only=True,
        help_text=_("The value-added service a points redemption gives."),
    )

    class Meta:
        model = Promotion
        fields = [
            "code",
            "name",
            "description",
            "kind",
            "valid_from",
            "valid_to",
            "segment",
            "channel",
            "bank",
            "min_amount",
            "min_group_size",
            "benefit_amount",
            "benefit_percent",
            "max_benefit",
            "points_cost",
            "reward",
            "product",
            "reward_months",
            "per_customer_limit",
        ]
        read_only_fields = fields


class PromotionStaffSerializer(PromotionSerializer):
    """Staff also see whether it runs, its limits and how much of them is used."""

    class Meta(PromotionSerializer.Meta):
        fields = [
            *PromotionSerializer.Meta.fields,
            "is_active",
            "max_redemptions",
            "budget",
            "redemptions",
            "benefit_granted",
        ]
        read_only_fields = fields


class PromotionQuerySerializer(serializers.Serializer):
    kind = serializers.CharField(required=False, help_text=_("Only promotions of this kind."))
    current = serializers.BooleanField(
        required=False,
        default=False,
        help_text=_("Staff: only those running today (customers see no others)."),
    )


# --- Points -------------------------------------------------------------------------------------


class CustomerQuerySerializer(serializers.Serializer):
    customer = serializers.IntegerField(
        required=False, min_value=1, help_text=_("Id of the customer (required for staff).")
    )


class PointsEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = PointsEntry
        fields = [
            "id",
            "kind",
            "points",
            "balance_after",
            "remaining",
            "expires_on",
            "description",
            "created_at",
        ]
        read_only_fields = fields


class ExpiringLotSerializer(serializers.Serializer):
    expires_on = serializers.DateField()
    points = serializers.IntegerField(source="remaining")


class PointsSummarySerializer(serializers.Serializer):
    customer = serializers.IntegerField(source="customer.pk")
    balance = serializers.IntegerField()
    expiring = ExpiringLotSerializer(many=True, help_text=_("The lots that expire next."))
    offers = PromotionSerializer(many=True, help_text=_("Points redemptions on offer today."))


class RedemptionCreateSerializer(serializers.Serializer):
    promotion = serializers.SlugField(help_text=_("Code of a points redemption offer."))
    subscription = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text=_("Id of your mobile line, for a value-added service."),
    )


class RedemptionSerializer(serializers.ModelSerializer):
    promotion = serializers.SlugRelatedField(slug_field="code", read_only=True)
    promotion_name = serializers.CharField(source="promotion.name", read_only=True)
    service_order = serializers.CharField(
        source="service_order.number",
        read_only=True,
        default=None,
        help_text=_("The order that subscribes the service."),
    )
    points_balance = serializers.SerializerMethodField(
        help_text=_("Points left after this redemption (when just made).")
    )

    class Meta:
        model = PromotionRedemption
        fields = [
            "id",
            "promotion",
            "promotion_name",
            "points_spent",
            "benefit_amount",
            "service_order",
            "points_balance",
            "created_at",
        ]
        read_only_fields = fields

    def get_points_balance(self, redemption) -> int | None:
        return self.context.get("points_balance")


# --- Devices and instalments --------------------------------------------------------------------


class DeviceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Device
        fields = ["code", "brand", "name", "price"]
        read_only_fields = fields


class InstalmentDueSerializer(serializers.ModelSerializer):
    class Meta:
        model = InstalmentDue
        fields = [
            "sequence",
            "due_on",
            "principal",
            "interest",
            "amount",
            "status",
            "overdue_since",
            "paid_at",
        ]
        read_only_fields = fields


class InstalmentEventSerializer(serializers.ModelSerializer):
    sequence = serializers.IntegerField(source="due.sequence", read_only=True, default=None)

    class Meta:
        model = InstalmentEvent
        fields = ["kind", "sequence", "amount", "reason", "created_at"]
        read_only_fields = fields


class InstalmentPlanSerializer(serializers.ModelSerializer):
    customer = serializers.IntegerField(source="customer_id", read_only=True)
    account = serializers.CharField(source="account.account_number", read_only=True)
    line = serializers.SerializerMethodField(help_text=_("The line's number, masked."))
    device = DeviceSerializer(read_only=True)
    promotion = serializers.SlugRelatedField(slug_field="code", read_only=True)
    total_payable = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    dues = InstalmentDueSerializer(many=True, read_only=True)

    class Meta:
        model = InstalmentPlan
        fields = [
            "id",
            "number",
            "customer",
            "account",
            "line",
            "device",
            "device_price",
            "discount",
            "promotion",
            "down_payment",
            "financed_amount",
            "months",
            "monthly_rate",
            "interest_total",
            "total_payable",
            "status",
            "purchased_on",
            "closed_at",
            "close_reason",
            "dues",
        ]
        read_only_fields = fields

    def get_line(self, plan) -> str | None:
        return plan.subscription.service_label if plan.subscription_id else None


class InstalmentPlanDetailSerializer(InstalmentPlanSerializer):
    events = InstalmentEventSerializer(many=True, read_only=True)

    class Meta(InstalmentPlanSerializer.Meta):
        fields = [*InstalmentPlanSerializer.Meta.fields, "events"]
        read_only_fields = fields


class PlanQuerySerializer(CustomerQuerySerializer):
    mine = serializers.BooleanField(
        required=False, default=False, help_text=_("Staff: the plans you sold.")
    )


class PurchaseSerializer(serializers.Serializer):
    customer = serializers.IntegerField(min_value=1, help_text=_("Id of the customer."))
    device = serializers.SlugField(help_text=_("Code of the device."))
    months = serializers.IntegerField(help_text=_("3, 6, 12 or 24."))
    down_payment = serializers.CharField(
        required=False,
        default="0",
        max_length=20,
        help_text=_('Yuan paid at the counter, e.g. "500.00".'),
    )
    subscription = serializers.IntegerField(
        required=False, min_value=1, help_text=_("Id of the line the phone is for.")
    )
    promotion = serializers.SlugField(
        required=False, help_text=_("Code of a group purchase offer (else the best one).")
    )


class EligibilityQuerySerializer(serializers.Serializer):
    customer = serializers.IntegerField(min_value=1, help_text=_("Id of the customer."))
    device = serializers.SlugField(required=False, help_text=_("Code of the device."))
    months = serializers.IntegerField(required=False, help_text=_("3, 6, 12 or 24."))
    down_payment = serializers.CharField(required=False, default="0", max_length=20)
    promotion = serializers.SlugField(required=False)


class EligibilityCheckSerializer(serializers.Serializer):
    code = serializers.CharField()
    passed = serializers.BooleanField()
    message = serializers.CharField()


class QuoteSerializer(serializers.Serializer):
    device_price = serializers.DecimalField(max_digits=14, decimal_places=2)
    discount = serializers.DecimalField(max_digits=14, decimal_places=2)
    promotion = serializers.CharField(allow_null=True)
    down_payment = serializers.DecimalField(max_digits=14, decimal_places=2)
    financed_amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    months = serializers.IntegerField()
    monthly_rate = serializers.DecimalField(max_digits=7, decimal_places=6)
    interest_total = serializers.DecimalField(max_digits=14, decimal_places=2)
    dues = InstalmentDueSerializer(many=True)


class EligibilitySerializer(serializers.Serializer):
    eligible = serializers.BooleanField()
    checks = EligibilityCheckSerializer(many=True)
    quote = QuoteSerializer(allow_null=True, help_text=_("With a device and a term: the plan."))


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, help_text=_("Why, with the device returned."))


# --- Account status -----------------------------------------------------------------------------


class ArrearsEventSerializer(serializers.ModelSerializer):
    line = serializers.SerializerMethodField()

    class Meta:
        model = ArrearsEvent
        fields = ["kind", "line", "detail", "created_at"]
        read_only_fields = fields

    def get_line(self, event) -> str | None:
        return event.subscription.service_label if event.subscription_id else None


class ArrearsCaseSerializer(serializers.ModelSerializer):
    events = ArrearsEventSerializer(many=True, read_only=True)

    class Meta:
        model = ArrearsCase
        fields = [
            "id",
            "cause",
            "status",
            "balance_at_opening",
            "overdue_at_opening",
            "opened_at",
            "suspend_after",
            "suspended_at",
            "cleared_at",
            "events",
        ]
        read_only_fields = fields


class LowBalanceAlertSerializer(serializers.ModelSerializer):
    class Meta:
        model = LowBalanceAlert
        fields = ["balance", "threshold", "created_at"]
        read_only_fields = fields


class AccountStatusSerializer(serializers.Serializer):
    account = serializers.CharField(source="account.account_number")
    customer = serializers.IntegerField(source="account.customer_id")
    balance = serializers.DecimalField(max_digits=14, decimal_places=2)
    bonus_balance = serializers.DecimalField(
        max_digits=14, decimal_places=2, help_text=_("From promotions and points: not refundable.")
    )
    refundable = serializers.DecimalField(max_digits=14, decimal_places=2)
    credit_limit = serializers.DecimalField(
        source="overdraft_limit",
        max_digits=14,
        decimal_places=2,
        help_text=_("How far below zero the balance may go before the account is in arrears."),
    )
    in_arrears = serializers.BooleanField()
    low_balance_alert = LowBalanceAlertSerializer(allow_null=True)
    arrears_cases = ArrearsCaseSerializer(source="cases", many=True)
