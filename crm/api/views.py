"""Views of the crm API: scope with a selector, check shape, call one service, serialize.

Every queryset starts from a ``crm.selectors`` ``*_for(user)`` function, so a record outside
the user's scope is a 404 like a missing one. Reads need the model's view permission (a
customer reads the records their selector scopes to them); each write needs the model
permission named in ``action_permissions``, else 403. Refusals of the services come back
through ``portal.errors``: 400 on a field, or 409 with the rule's code.
"""

from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from crm.api import filters, serializers
from crm.choices import OrderStatus
from crm.error_codes import CrmErrorCode
from crm.models import IdentityVerification, SubscriptionProduct
from crm.permissions import REVEAL_PERMISSION, account_detail_visible_ids
from crm.selectors import (
    billing_accounts_for,
    catalog,
    customers_for,
    interactions_for,
    is_customer_user,
    orders_for,
    subscriptions_for,
    verifications_for,
)
from crm.services import (
    CrmError,
    advance_order,
    cancel_order,
    clean_customer_data,
    create_customer,
    create_service_order,
    end_interaction,
    record_verification,
    reject_order_review,
    reveal_customer_field,
    send_verification_code,
    start_interaction,
)
from portal.api.filtering import StrictDjangoFilterBackend
from portal.api.serializers import ConflictErrorResponseSerializer

READ_ACTIONS = frozenset({"list", "retrieve"})
CONFLICT = ConflictErrorResponseSerializer


class CrmPermission(BasePermission):
    """Reads: ``read_permission``, or the customer role where ``customer_may_read``.
    Writes: the permission ``action_permissions`` names for the action; none named, none allowed.
    """

    def has_permission(self, request, view):
        user = request.user
        if view.action in READ_ACTIONS or request.method == "OPTIONS":
            return user.has_perm(view.read_permission) or (
                view.customer_may_read and is_customer_user(user)
            )
        permission = view.action_permissions.get(view.action)
        return permission is not None and user.has_perm(permission)


class CrmViewSet(viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated, CrmPermission]
    # No free-text ``search``: customers are found by exact identifiers (``q``), nothing else.
    filter_backends = [StrictDjangoFilterBackend, OrderingFilter]
    read_permission: str = ""
    action_permissions: dict[str, str] = {}
    customer_may_read = False


# --- Customers ------------------------------------------------------------------------------


@extend_schema_view(
    create=extend_schema(
        request=serializers.CustomerCreateSerializer,
        responses={201: serializers.CustomerSerializer},
    ),
    reveal=extend_schema(
        request=serializers.RevealSerializer,
        responses={200: serializers.RevealedValueSerializer, 409: CONFLICT},
        description=(
            "The full ID number or contact phone, written to the access log. Needs the reveal "
            "permission and, except for supervisors, a passing verification of this customer "
            "in your open interaction (else 409 reveal_not_allowed)."
        ),
    ),
)
class CustomerViewSet(mixins.RetrieveModelMixin, CrmViewSet):
    """Customers, identity masked. ``q`` finds one by phone, customer number or ID number."""

    serializer_class = serializers.CustomerSerializer
    filterset_class = filters.CustomerFilter
    ordering_fields = ["created_at", "customer_number"]
    read_permission = "crm.view_customer"
    action_permissions = {"create": "crm.add_customer", "reveal": REVEAL_PERMISSION}
    customer_may_read = True

    def get_queryset(self):
        return customers_for(self.request.user)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        context = {
            **self.get_serializer_context(),
            "account_detail_visible_ids": account_detail_visible_ids(request.user, page),
        }
        data = serializers.CustomerSerializer(page, many=True, context=context).data
        return self.get_paginated_response(data)

    def create(self, request, *args, **kwargs):
        serializer = serializers.CustomerCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        channel = fields.pop("channel")
        service_password = fields.pop("service_password", None)
        customer = create_customer(
            clean_customer_data(**fields),
            channel=channel,
            actor=request.user,
            service_password=service_password,
        )
        return Response(self.get_serializer(customer).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def reveal(self, request, pk=None):
        customer = self.get_object()
        serializer = serializers.RevealSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        field = serializer.validated_data["field"]
        value = reveal_customer_field(
            customer,
            field,
            actor=request.user,
            reason=serializer.validated_data["reason"],
            interaction=serializer.validated_data.get("interaction"),
        )
        return Response(serializers.RevealedValueSerializer({"field": field, "value": value}).data)


# --- Accounts, lines, catalog ---------------------------------------------------------------


class BillingAccountViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, CrmViewSet):
    """Prepaid billing accounts of the customers you may see."""

    serializer_class = serializers.BillingAccountSerializer
    filterset_class = filters.BillingAccountFilter
    ordering_fields = ["account_number", "created_at"]
    read_permission = "crm.view_billingaccount"
    customer_may_read = True

    def get_queryset(self):
        return billing_accounts_for(self.request.user)


class SubscriptionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, CrmViewSet):
    """Lines (mobile numbers masked) with the plan in effect today."""

    serializer_class = serializers.SubscriptionSerializer
    filterset_class = filters.SubscriptionFilter
    ordering_fields = ["activated_on", "status", "kind"]
    read_permission = "crm.view_subscription"
    customer_may_read = True

    def get_queryset(self):
        today = timezone.localdate()
        products_today = SubscriptionProduct.objects.filter(
            Q(effective_to__isnull=True) | Q(effective_to__gte=today), effective_from__lte=today
        ).select_related("product")
        return subscriptions_for(self.request.user).prefetch_related(
            Prefetch("products", queryset=products_today, to_attr="current_products")
        )


class ProductViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, CrmViewSet):
    """The catalog: fees, mobile plan rates (decimal strings) and bundle components."""

    serializer_class = serializers.ProductSerializer
    filterset_class = filters.ProductFilter
    ordering_fields = ["code", "kind", "monthly_fee", "valid_from"]
    read_permission = "crm.view_product"
    customer_may_read = True

    def get_queryset(self):
        return catalog()


# --- Service orders -------------------------------------------------------------------------


@extend_schema_view(
    retrieve=extend_schema(responses=serializers.ServiceOrderDetailSerializer),
    create=extend_schema(
        request=serializers.ServiceOrderCreateSerializer,
        responses={201: serializers.ServiceOrderDetailSerializer},
    ),
    advance=extend_schema(
        request=serializers.OrderActionSerializer,
        responses={200: serializers.ServiceOrderDetailSerializer, 409: CONFLICT},
        description="Move the order to its next hall step (409 invalid_transition at the end).",
    ),
    reject=extend_schema(
        request=serializers.OrderReasonSerializer,
        responses={200: serializers.ServiceOrderDetailSerializer, 409: CONFLICT},
        description="Documents failed review: back to acceptance, with the reason.",
    ),
    cancel=extend_schema(
        request=serializers.OrderReasonSerializer,
        responses={200: serializers.ServiceOrderDetailSerializer, 409: CONFLICT},
        description="Cancel an order that has not been processed yet.",
    ),
)
class ServiceOrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, CrmViewSet):
    """Business-hall orders and their moves through ``ORDER_TRANSITIONS``."""

    serializer_class = serializers.ServiceOrderSerializer
    filterset_class = filters.ServiceOrderFilter
    ordering_fields = ["created_at", "status", "kind"]
    read_permission = "crm.view_serviceorder"
    action_permissions = {
        "create": "crm.add_serviceorder",
        "advance": "crm.change_serviceorder",
        "reject": "crm.change_serviceorder",
        "cancel": "crm.change_serviceorder",
    }
    customer_may_read = True

    def get_queryset(self):
        orders = orders_for(self.request.user)
        if self.action != "list":
            orders = orders.prefetch_related("steps__actor")
        return orders

    def get_serializer_class(self):
        if self.action == "list":
            return serializers.ServiceOrderSerializer
        return serializers.ServiceOrderDetailSerializer

    def _detail(self, order, status_code=status.HTTP_200_OK):
        # Re-read through the scoped queryset: the services return a bare, locked row.
        fresh = self.get_queryset().get(pk=order.pk)
        return Response(self.get_serializer(fresh).data, status=status_code)

    def create(self, request, *args, **kwargs):
        serializer = serializers.ServiceOrderCreateSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        order = create_service_order(**serializer.validated_data, actor=request.user)
        return self._detail(order, status.HTTP_201_CREATED)

    def _reason(self, serializer_class) -> str:
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data["reason"]

    @action(detail=True, methods=["post"])
    def advance(self, request, pk=None):
        order = self.get_object()
        reason = self._reason(serializers.OrderActionSerializer)
        return self._detail(advance_order(order, actor=request.user, reason=reason))

    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        order = self.get_object()
        reason = self._reason(serializers.OrderReasonSerializer)
        if order.status != OrderStatus.REVIEW:
            # reject_order_review moves to acceptance from anywhere the table allows it, and
            # from consultation that is a plain advance: only a review can be rejected.
            raise CrmError(
                CrmErrorCode.INVALID_TRANSITION, _("Only an order under review can be rejected.")
            )
        return self._detail(reject_order_review(order, actor=request.user, reason=reason))

    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        order = self.get_object()
        reason = self._reason(serializers.OrderReasonSerializer)
        return self._detail(cancel_order(order, actor=request.user, reason=reason))


# --- Interactions and verifications ---------------------------------------------------------


@extend_schema_view(
    create=extend_schema(
        request=serializers.InteractionCreateSerializer,
        responses={201: serializers.InteractionSerializer},
    ),
    end=extend_schema(
        request=serializers.InteractionEndSerializer,
        responses={200: serializers.InteractionSerializer, 409: CONFLICT},
        description="End your open interaction with its outcome.",
    ),
    send_code=extend_schema(
        request=serializers.SendCodeSerializer,
        responses={200: serializers.SentCodeSerializer, 409: CONFLICT},
        description=(
            "Text a one-time code to the customer's phone on file for SMS verification. The "
            "answer says where it went (masked), never the code."
        ),
    ),
)
class InteractionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, CrmViewSet):
    """Every contact with a customer, with the verifications done in it."""

    serializer_class = serializers.InteractionSerializer
    filterset_class = filters.InteractionFilter
    ordering_fields = ["started_at", "ended_at"]
    read_permission = "crm.view_interaction"
    action_permissions = {
        "create": "crm.add_interaction",
        "end": "crm.change_interaction",
        "send_code": "crm.add_identityverification",
    }

    def get_queryset(self):
        return interactions_for(self.request.user).prefetch_related(
            Prefetch(
                "verifications",
                queryset=IdentityVerification.objects.select_related("performed_by"),
            )
        )

    def _detail(self, interaction, status_code=status.HTTP_200_OK):
        fresh = self.get_queryset().get(pk=interaction.pk)
        return Response(self.get_serializer(fresh).data, status=status_code)

    def create(self, request, *args, **kwargs):
        serializer = serializers.InteractionCreateSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        interaction = start_interaction(**serializer.validated_data, actor=request.user)
        return self._detail(interaction, status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        interaction = self.get_object()
        serializer = serializers.InteractionEndSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        return self._detail(
            end_interaction(interaction, **serializer.validated_data, actor=request.user)
        )

    @action(detail=True, methods=["post"], url_path="send-code", url_name="send-code")
    def send_code(self, request, pk=None):
        interaction = self.get_object()
        serializer = serializers.SendCodeSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        record = send_verification_code(
            interaction, serializer.validated_data["customer"], actor=request.user
        )
        return Response(serializers.SentCodeSerializer(record).data)


@extend_schema_view(
    create=extend_schema(
        responses={201: serializers.VerificationSerializer, 409: CONFLICT},
        description=(
            "Record the caller's answer: 201 with the result, passed or failed. Too many "
            "failures lock verification of the customer for a while (409 verification_locked)."
        ),
    )
)
class VerificationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, CrmViewSet
):
    """Identity verifications recorded in the interactions you may see."""

    serializer_class = serializers.VerificationSerializer
    filterset_class = filters.VerificationFilter
    ordering_fields = ["created_at"]
    read_permission = "crm.view_identityverification"
    action_permissions = {"create": "crm.add_identityverification"}

    def get_queryset(self):
        return verifications_for(self.request.user)

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = record_verification(
            data["interaction"],
            data["customer"],
            method=data["method"],
            actor=self.request.user,
            id_number=data["id_number"],
            name=data["name"],
            service_password=data["service_password"],
            sms_code=data["sms_code"],
        )
