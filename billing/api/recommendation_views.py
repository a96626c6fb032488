"""The plan recommendation over the API: ``GET /api/v1/plan-recommendations/?subscription=<id>``.

A customer asks about one of their own mobile lines; staff who read usage
(``billing.view_usagerecord``) about a line of a customer they may open, after the crm
verification gate (403 ``verification_required`` until the caller is verified; a supervisor's
look is logged). Another customer's line is a 404 like a missing one.
"""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from billing.api.bill_views import VERIFICATION_REQUIRED, open_account_detail
from billing.api.commerce_views import CustomerOrStaffPermission
from billing.recommendation import recommend_plan
from billing.selectors import USAGE_PERMISSIONS, billing_customers_for
from crm.models import Subscription
from portal.api.schema import SingleObjectSchema

STAFF_PERMISSIONS = ("crm.view_customer", *USAGE_PERMISSIONS)


class RecommendationQuerySerializer(serializers.Serializer):
    subscription = serializers.IntegerField(min_value=1, help_text="Id of a mobile line.")


class RecommendedPlanSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    monthly_fee = serializers.DecimalField(max_digits=12, decimal_places=2)


class MonthCostSerializer(serializers.Serializer):
    period = serializers.DateField()
    fee = serializers.DecimalField(max_digits=12, decimal_places=2)
    usage = serializers.DecimalField(max_digits=12, decimal_places=2)
    total = serializers.DecimalField(max_digits=12, decimal_places=2)
    cut_off_kb = serializers.IntegerField(help_text="Data the plan's cut-off would have blocked.")


class PlanCostSerializer(serializers.Serializer):
    plan = RecommendedPlanSerializer()
    is_current = serializers.BooleanField()
    fees = serializers.DecimalField(max_digits=12, decimal_places=2)
    usage = serializers.DecimalField(max_digits=12, decimal_places=2)
    total = serializers.DecimalField(max_digits=12, decimal_places=2)
    cut_off_kb = serializers.IntegerField()
    fits = serializers.BooleanField(help_text="False when the plan would have cut data off.")
    months = MonthCostSerializer(many=True)


class RecommendationSerializer(serializers.Serializer):
    subscription = serializers.IntegerField(source="subscription.pk")
    periods = serializers.ListField(child=serializers.DateField())
    records = serializers.IntegerField(help_text="Usage records of the months looked at.")
    plans = PlanCostSerializer(many=True, help_text="Every plan on sale, cheapest first.")
    current_plan = serializers.CharField(source="current.plan.code", allow_null=True)
    best_plan = serializers.CharField(source="best.plan.code", allow_null=True)
    saving = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    monthly_saving = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)


class PlanRecommendationViewSet(viewsets.GenericViewSet):
    """What each plan on sale would have cost for a mobile line's last three full months of
    rated usage (the plan's own rates, inclusions, cap and cut-off), cheapest first; the
    cheapest that carries all the usage, and the saving against the current plan."""

    schema = SingleObjectSchema()

    permission_classes = [IsAuthenticated, CustomerOrStaffPermission]
    customer_actions = frozenset({"list"})
    serializer_class = RecommendationSerializer
    filter_backends = []
    pagination_class = None

    @staticmethod
    def staff_permissions(action):
        return STAFF_PERMISSIONS

    @extend_schema(
        parameters=[RecommendationQuerySerializer],
        responses={200: RecommendationSerializer, 403: VERIFICATION_REQUIRED},
    )
    def list(self, request):
        query = RecommendationQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        lines = Subscription.objects.filter(
            customer__in=billing_customers_for(request.user, USAGE_PERMISSIONS)
        ).select_related("customer")
        line = get_object_or_404(lines, pk=query.validated_data["subscription"])
        open_account_detail(request, [line.customer])
        recommendation = recommend_plan(line)
        if recommendation is None:
            raise ValidationError(
                {"subscription": [_("Plans are recommended for mobile lines only.")]}
            )
        return Response(RecommendationSerializer(recommendation).data)
