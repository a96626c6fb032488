"""Top-ups over the API: ``POST /api/v1/top-ups/`` with an ``Idempotency-Key`` header."""

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from billing.api.serializers import TopUpCreateSerializer, TopUpSerializer
from billing.models import TopUp
from billing.services import top_up
from crm.models import BillingAccount
from crm.permissions import account_detail_visible_ids
from crm.selectors import billing_accounts_for, is_customer_user
from portal.api.serializers import ConflictErrorResponseSerializer

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description=(
        "Any unique string per payment (e.g. a UUID). A retry with the same key and body returns "
        "the first result (200, header Idempotent-Replayed: true) and credits nothing; the same "
        "key with a different body is refused (409 idempotency_key_reused)."
    ),
)


def top_ups_for(user):
    return (
        TopUp.objects.filter(account__in=billing_accounts_for(user))
        .select_related(
            "account__customer",
            "ledger_entry",
            "promotion_redemption__promotion",
            "points_entry",
        )
        .order_by("-created_at", "-pk")
    )


class TopUpPermission(BasePermission):
    """Customers top up their own accounts; staff need ``billing.add_topup`` / ``view_topup``."""

    def has_permission(self, request, view):
        user = request.user
        if is_customer_user(user):
            return True
        if view.action == "create":
            return user.has_perm("billing.add_topup")
        return user.has_perm("billing.view_topup")


class TopUpViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Top-ups of the accounts you may see; create one on any channel the hall and web offer."""

    serializer_class = TopUpSerializer
    permission_classes = [IsAuthenticated, TopUpPermission]

    def get_queryset(self):
        return top_ups_for(self.request.user)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["detail_visible_ids"] = self._detail_visible_ids
        return context

    # Accounts whose balance this response may show (the verification gate), set per request.
    _detail_visible_ids: frozenset[int] = frozenset()

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        self._detail_visible_ids = frozenset(self._visible([top.account for top in page]))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        self._detail_visible_ids = frozenset(self._visible([instance.account]))
        return Response(self.get_serializer(instance).data)

    def _visible(self, accounts) -> set[int]:
        customers = {account.customer_id: account.customer for account in accounts}
        visible_customers = account_detail_visible_ids(self.request.user, customers.values())
        return {account.pk for account in accounts if account.customer_id in visible_customers}

    @extend_schema(
        request=TopUpCreateSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={
            201: TopUpSerializer,
            200: TopUpSerializer,
            409: ConflictErrorResponseSerializer,
        },
    )
    def create(self, request, *args, **kwargs):
        serializer = TopUpCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            account = (
                billing_accounts_for(request.user)
                .select_related("customer")
                .get(account_number=data["account"].strip())
            )
        except BillingAccount.DoesNotExist as exc:
            raise Http404 from exc
        result = top_up(
            account,
            amount=data["amount"],
            channel=data["channel"],
            reference=data.get("reference", ""),
            bank=data.get("bank", ""),
            promotion=data.get("promotion"),
            actor=request.user,
            idempotency_key=request.headers.get("Idempotency-Key"),
        )
        self._detail_visible_ids = frozenset(self._visible([account]))
        # Re-read with what the payment brought (offer, points) in the list's one query.
        body = self.get_serializer(self.get_queryset().get(pk=result.top_up.pk)).data
        if result.replayed:
            return Response(
                body, status=status.HTTP_200_OK, headers={"Idempotent-Replayed": "true"}
            )
        return Response(body, status=status.HTTP_201_CREATED)
