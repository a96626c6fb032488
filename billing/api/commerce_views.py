"""Promotions, points, devices, instalment plans and account status over the API.

Reads start from a scope: a customer reaches their own points, plans and account status (another
customer's plan id is a 404 like a missing one); staff need the models' view permissions, name
one customer at a time (``customer``) and pass the crm verification gate for them
(``bill_views.open_account_detail``: 403 ``verification_required`` until the caller is verified;
a supervisor's look without is logged); a seller may always read the plans they sold. Writes
call one service each; refusals come back through ``portal.errors`` (400 on a field, else 409).
"""

from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from billing.api.bill_views import VERIFICATION_REQUIRED, customer_required, open_account_detail
from billing.api.commerce_serializers import (
    AccountStatusSerializer,
    CancelSerializer,
    CustomerQuerySerializer,
    DeviceSerializer,
    EligibilityQuerySerializer,
    EligibilitySerializer,
    InstalmentPlanDetailSerializer,
    InstalmentPlanSerializer,
    PlanQuerySerializer,
    PointsEntrySerializer,
    PointsSummarySerializer,
    PromotionQuerySerializer,
    PromotionSerializer,
    PromotionStaffSerializer,
    PurchaseSerializer,
    RedemptionCreateSerializer,
    RedemptionSerializer,
)
from billing.instalments import (
    cancel_plan,
    check_credit_purchase,
    pay_off_plan,
    purchase_on_instalments,
    quote_purchase,
)
from billing.models import Device, InstalmentDue, InstalmentPlan, Promotion
from billing.permissions import (
    MANAGE_PLAN_PERMISSION,
    SELL_PERMISSION,
    VIEW_PLAN_PERMISSIONS,
    VIEW_POINTS_PERMISSIONS,
    VIEW_STANDING_PERMISSIONS,
    may_pay_off_plan,
)
from billing.points import points_balance, redeem_points
from billing.selectors import (
    account_standings,
    billing_customers_for,
    expiring_points,
    is_portal_customer,
    own_customer,
    plan_detail,
    points_entries_of,
    promotions_for,
    redemption_offers,
    redemptions_of,
)
from crm.models import Customer, Subscription
from crm.selectors import customers_for, open_interaction_with
from portal.api.schema import SingleObjectSchema
from portal.api.serializers import ConflictErrorResponseSerializer

CONFLICT = ConflictErrorResponseSerializer


class CustomerOrStaffPermission(BasePermission):
    """Customers may use the view's ``customer_actions``; staff need the permissions the view
    names for the action (``staff_permissions``)."""

    def has_permission(self, request, view):
        user = request.user
        if is_portal_customer(user):
            return view.action in view.customer_actions
        if view.action in getattr(view, "customer_only_actions", ()):
            return False
        return user.has_perms(view.staff_permissions(view.action))


class OneCustomerMixin:
    """Whose records a request reads: the signed-in customer, or the one staff name (after the
    verification gate)."""

    read_permissions: tuple[str, ...] = ()

    def subject_customer(self, request) -> Customer:
        if is_portal_customer(request.user):
            customer = own_customer(request.user)
            if customer is None:
                raise Http404
            return customer
        query = CustomerQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        customer_pk = query.validated_data.get("customer")
        if customer_pk is None:
            raise customer_required()
        customer = get_object_or_404(
            billing_customers_for(request.user, self.read_permissions), pk=customer_pk
        )
        open_account_detail(request, [customer])
        return customer


# --- Promotions -------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        parameters=[PromotionQuerySerializer],
        responses=PromotionStaffSerializer(many=True),
        description="Offers running today (staff with billing.view_promotion: every offer, with "
        "limits and usage; ``current=true`` narrows to today's).",
    ),
    retrieve=extend_schema(responses=PromotionStaffSerializer),
)
class PromotionViewSet(viewsets.ReadOnlyModelViewSet):
    """Promotions (营业厅 8.3): limited-time top-up offers, points redemptions, bank offers and
    enterprise group purchase prices."""

    lookup_field = "code"
    permission_classes = [IsAuthenticated]
    filter_backends = []

    def get_serializer_class(self):
        if self.request.user.has_perm("billing.view_promotion"):
            return PromotionStaffSerializer
        return PromotionSerializer

    def get_queryset(self):
        return promotions_for(self.request.user).order_by("kind", "-valid_to", "code")

    def list(self, request, *args, **kwargs):
        query = PromotionQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        promotions = self.get_queryset()
        if query.validated_data.get("kind"):
            promotions = promotions.filter(kind=query.validated_data["kind"])
        if query.validated_data["current"]:
            today = timezone.localdate()
            promotions = promotions.filter(
                is_active=True, valid_from__lte=today, valid_to__gte=today
            )
        page = self.paginate_queryset(promotions)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


# --- Devices ----------------------------------------------------------------------------------


class DeviceViewSet(viewsets.ReadOnlyModelViewSet):
    """Handsets on sale, outright or on instalments."""

    lookup_field = "code"
    serializer_class = DeviceSerializer
    permission_classes = [IsAuthenticated]
    filter_backends = []
    queryset = Device.objects.filter(is_active=True).order_by("brand", "name", "code")


# --- Points -----------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        parameters=[CustomerQuerySerializer],
        responses={200: PointsSummarySerializer, 403: VERIFICATION_REQUIRED},
        description="The points balance, the lots that expire next and today's redemption offers.",
    ),
    entries=extend_schema(
        parameters=[CustomerQuerySerializer],
        responses={200: PointsEntrySerializer(many=True), 403: VERIFICATION_REQUIRED},
        description="The points history, newest first.",
    ),
)
class PointsViewSet(OneCustomerMixin, viewsets.GenericViewSet):
    """A customer's points (营业厅 8.3.2 积分兑换)."""

    schema = SingleObjectSchema()

    permission_classes = [IsAuthenticated, CustomerOrStaffPermission]
    customer_actions = frozenset({"list", "entries"})
    read_permissions = VIEW_POINTS_PERMISSIONS
    filter_backends = []
    serializer_class = PointsEntrySerializer

    @staticmethod
    def staff_permissions(action):
        return VIEW_POINTS_PERMISSIONS

    def list(self, request):
        customer = self.subject_customer(request)
        summary = {
            "customer": customer,
            "balance": points_balance(customer),
            "expiring": expiring_points(customer),
            "offers": list(redemption_offers()),
        }
        return Response(PointsSummarySerializer(summary).data)

    @action(detail=False)
    def entries(self, request):
        customer = self.subject_customer(request)
        page = self.paginate_queryset(points_entries_of(customer))
        return self.get_paginated_response(PointsEntrySerializer(page, many=True).data)


@extend_schema_view(
    list=extend_schema(
        parameters=[CustomerQuerySerializer],
        responses={200: RedemptionSerializer(many=True), 403: VERIFICATION_REQUIRED},
    ),
    create=extend_schema(
        request=RedemptionCreateSerializer,
        responses={201: RedemptionSerializer, 409: CONFLICT},
        description="Spend points on an offer (customers, for themselves). 409 "
        "not_enough_points; 400 on promotion when the offer has ended, is used up or was used "
        "the times it allows; 400 line_required on subscription for a value-added service.",
    ),
)
class PointsRedemptionViewSet(
    OneCustomerMixin, mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Points redemptions: bill credit or a value-added service."""

    permission_classes = [IsAuthenticated, CustomerOrStaffPermission]
    customer_actions = frozenset({"list", "create"})
    # Staff read; redeeming is the customer's own act.
    customer_only_actions = frozenset({"create"})
    read_permissions = VIEW_POINTS_PERMISSIONS
    serializer_class = RedemptionSerializer
    filter_backends = []

    @staticmethod
    def staff_permissions(action):
        return VIEW_POINTS_PERMISSIONS

    def list(self, request, *args, **kwargs):
        customer = self.subject_customer(request)
        page = self.paginate_queryset(redemptions_of(customer))
        return self.get_paginated_response(RedemptionSerializer(page, many=True).data)

    def create(self, request, *args, **kwargs):
        body = RedemptionCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        customer = self.subject_customer(request)
        try:
            promotion = Promotion.objects.select_related("product").get(
                code=body.validated_data["promotion"]
            )
        except Promotion.DoesNotExist:
            raise ValidationError({"promotion": [_("No offer has this code.")]}) from None
        subscription = None
        if "subscription" in body.validated_data:
            subscription = (
                Subscription.objects.filter(customer=customer)
                .select_related("billing_account")
                .filter(pk=body.validated_data["subscription"])
                .first()
            )
            if subscription is None:
                raise ValidationError({"subscription": [_("Not one of your lines.")]})
        result = redeem_points(customer, promotion, actor=request.user, subscription=subscription)
        data = RedemptionSerializer(
            result.redemption, context={"points_balance": result.balance}
        ).data
        return Response(data, status=status.HTTP_201_CREATED)


# --- Instalment plans -------------------------------------------------------------------------


def _plans():
    return InstalmentPlan.objects.select_related(
        "customer", "account", "device", "subscription", "promotion"
    )


def _with_dues(plans):
    return plans.prefetch_related(
        Prefetch("dues", queryset=InstalmentDue.objects.order_by("sequence"))
    )


@extend_schema_view(
    list=extend_schema(
        parameters=[PlanQuerySerializer],
        responses={200: InstalmentPlanSerializer(many=True), 403: VERIFICATION_REQUIRED},
        description="A customer's own plans; staff name the customer (or ``mine=true``: the "
        "plans they sold).",
    ),
    retrieve=extend_schema(
        responses={200: InstalmentPlanDetailSerializer, 403: VERIFICATION_REQUIRED}
    ),
    create=extend_schema(
        request=PurchaseSerializer,
        responses={201: InstalmentPlanDetailSerializer, 409: CONFLICT},
        description="Sell a phone on instalments (sales advisors). The customer must pass the "
        "eligibility check: 409 with the failing condition's code (identity_not_verified, "
        "not_in_good_standing, has_arrears, age_unknown, too_young, tenure_too_short, "
        "over_credit_limit).",
    ),
)
class InstalmentPlanViewSet(
    OneCustomerMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Credit phone purchases (信用购机) and their instalments."""

    permission_classes = [IsAuthenticated, CustomerOrStaffPermission]
    customer_actions = frozenset({"list", "retrieve", "payoff"})
    read_permissions = VIEW_PLAN_PERMISSIONS
    serializer_class = InstalmentPlanSerializer
    filter_backends = []

    @staticmethod
    def staff_permissions(action):
        if action in ("create", "eligibility"):
            return (*VIEW_PLAN_PERMISSIONS, SELL_PERMISSION)
        if action in ("payoff", "cancel"):
            return (*VIEW_PLAN_PERMISSIONS, MANAGE_PLAN_PERMISSION)
        return VIEW_PLAN_PERMISSIONS

    def get_queryset(self):
        user = self.request.user
        if is_portal_customer(user):
            return _plans().filter(customer__user=user)
        return _plans()

    def get_object(self):
        user = self.request.user
        try:
            plan = plan_detail(self.get_queryset(), self.kwargs["pk"])
        except InstalmentPlan.DoesNotExist as exc:
            raise Http404 from exc
        if not is_portal_customer(user) and plan.seller_id != user.pk:
            open_account_detail(self.request, [plan.customer])
        return plan

    def list(self, request, *args, **kwargs):
        plans = _with_dues(self.get_queryset()).order_by("-created_at", "-pk")
        if not is_portal_customer(request.user):
            query = PlanQuerySerializer(data=request.query_params)
            query.is_valid(raise_exception=True)
            if query.validated_data["mine"]:
                plans = plans.filter(seller=request.user)
            else:
                plans = plans.filter(customer=self.subject_customer(request))
        page = self.paginate_queryset(plans)
        return self.get_paginated_response(InstalmentPlanSerializer(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        return Response(InstalmentPlanDetailSerializer(self.get_object()).data)

    def _customer_to_sell(self, pk: int) -> Customer:
        customer = customers_for(self.request.user).filter(pk=pk).first()
        if customer is None:
            raise Http404
        return customer

    @staticmethod
    def _device(code: str | None) -> Device:
        device = Device.objects.filter(code=code, is_active=True).first() if code else None
        if device is None:
            raise ValidationError({"device": [_("No device on sale has this code.")]})
        return device

    def create(self, request, *args, **kwargs):
        body = PurchaseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        customer = self._customer_to_sell(data["customer"])
        subscription = None
        if "subscription" in data:
            subscription = customer.subscriptions.filter(pk=data["subscription"]).first()
            if subscription is None:
                raise ValidationError({"subscription": [_("Not one of the customer's lines.")]})
        plan = purchase_on_instalments(
            customer,
            device=self._device(data["device"]),
            months=data["months"],
            down_payment=data["down_payment"],
            subscription=subscription,
            promotion=data.get("promotion"),
            seller=request.user,
            interaction=open_interaction_with(request.user, customer),
        )
        detail = plan_detail(self.get_queryset(), plan.pk)
        return Response(InstalmentPlanDetailSerializer(detail).data, status=201)

    @extend_schema(
        parameters=[EligibilityQuerySerializer],
        responses={200: EligibilitySerializer},
        description="Every condition of a credit purchase for the customer, passed or not, and "
        "with a device and a term the plan it would make.",
    )
    @action(detail=False)
    def eligibility(self, request):
        query = EligibilityQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        customer = self._customer_to_sell(data["customer"])
        quote = None
        if data.get("device") and data.get("months"):
            quote = quote_purchase(
                customer,
                device=self._device(data["device"]),
                months=data["months"],
                down_payment=data["down_payment"],
                promotion=data.get("promotion"),
            )
        result = check_credit_purchase(
            customer,
            seller=request.user,
            financed_amount=quote.financed_amount if quote else None,
        )
        body = {
            "eligible": result.eligible,
            "checks": result.checks,
            "quote": None,
        }
        if quote is not None:
            body["quote"] = {
                "device_price": quote.device_price,
                "discount": quote.discount,
                "promotion": quote.promotion.code if quote.promotion else None,
                "down_payment": quote.down_payment,
                "financed_amount": quote.financed_amount,
                "months": quote.months,
                "monthly_rate": quote.monthly_rate,
                "interest_total": quote.interest_total,
                "dues": [
                    InstalmentDue(
                        sequence=due.sequence,
                        due_on=due.due_on,
                        principal=due.principal,
                        interest=due.interest,
                        amount=due.amount,
                    )
                    for due in quote.dues
                ],
            }
        return Response(EligibilitySerializer(body).data)

    @extend_schema(
        request=None,
        responses={200: InstalmentPlanDetailSerializer, 409: CONFLICT},
        description="Pay the rest now from the balance: overdue dues in full and the principal "
        "still scheduled (future interest waived). 409 balance_too_low.",
    )
    @action(detail=True, methods=["post"])
    def payoff(self, request, pk=None):
        plan = self.get_object()
        if not may_pay_off_plan(request.user, plan):
            raise Http404
        pay_off_plan(plan, actor=request.user)
        return Response(InstalmentPlanDetailSerializer(self.get_object()).data)

    @extend_schema(
        request=CancelSerializer,
        responses={200: InstalmentPlanDetailSerializer, 409: CONFLICT},
        description="Cancel a purchase with the device returned, within the cancellation period: "
        "the dues paid are refunded. 409 cancellation_period_over.",
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        body = CancelSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        plan = self.get_object()
        cancel_plan(plan, actor=request.user, reason=body.validated_data["reason"])
        return Response(InstalmentPlanDetailSerializer(self.get_object()).data)


# --- Account status ---------------------------------------------------------------------------


class AccountStatusViewSet(OneCustomerMixin, viewsets.GenericViewSet):
    """Balance and bonus, credit limit, arrears (notices, suspensions, restorations) and the
    low-balance reminder of each of a customer's accounts."""

    permission_classes = [IsAuthenticated, CustomerOrStaffPermission]
    customer_actions = frozenset({"list"})
    read_permissions = VIEW_STANDING_PERMISSIONS
    serializer_class = AccountStatusSerializer
    filter_backends = []

    @staticmethod
    def staff_permissions(action):
        return VIEW_STANDING_PERMISSIONS

    @extend_schema(
        parameters=[CustomerQuerySerializer],
        responses={
            200: AccountStatusSerializer(many=True),
            403: OpenApiResponse(description="Staff: verify the caller first."),
        },
    )
    def list(self, request):
        customer = self.subject_customer(request)
        page = self.paginate_queryset(account_standings(customer))
        return self.get_paginated_response(AccountStatusSerializer(page, many=True).data)
