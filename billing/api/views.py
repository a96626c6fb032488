"""Top-ups over the API: ``POST /api/v1/top-ups/`` with a required ``Idempotency-Key`` header.

Reads follow every other billing read: a customer lists their own top-ups; staff name one
customer (``?customer=<id>``) and pass the crm verification gate for them, on the list and on
a single top-up alike (``OneCustomerMixin`` / ``bill_views.open_account_detail``: 403
``verification_required`` until the caller is verified; a supervisor's look is logged).
"""

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from drf_standardized_errors.openapi_serializers import ValidationErrorResponseSerializer
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from billing.api.bill_views import VERIFICATION_REQUIRED, open_account_detail
from billing.api.commerce_serializers import CustomerQuerySerializer
from billing.api.commerce_views import OneCustomerMixin
from billing.api.serializers import TopUpCreateSerializer, TopUpSerializer
from billing.models import TopUp
from billing.selectors import TOP_UP_PERMISSIONS, is_portal_customer, top_ups_for
from billing.services import top_up
from crm.models import BillingAccount
from crm.selectors import billing_accounts_for, is_customer_user
from crm.services import gate_account_detail
from portal.api.serializers import ConflictErrorResponseSerializer

IDEMPOTENCY_HEADER_NAME = "Idempotency-Key"
# The column's width (``TopUp.idempotency_key``).
IDEMPOTENCY_KEY_MAX_LENGTH = TopUp._meta.get_field("idempotency_key").max_length

IDEMPOTENCY_HEADER = OpenApiParameter(
    IDEMPOTENCY_HEADER_NAME,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description=(
        "Required: a unique string per payment (e.g. a UUID), at most "
        f"{IDEMPOTENCY_KEY_MAX_LENGTH} characters. Without it the request is a 400 on "
        "Idempotency-Key and nothing is credited. A retry with the same key and body returns "
        "the first result (200, header Idempotent-Replayed: true) and credits nothing; the same "
        "key with a different body is refused (409 idempotency_key_reused)."
    ),
)


def idempotency_key_errors(request) -> tuple[str, dict]:
    """The request's key, and the field error when it is missing or too long."""
    key = (request.headers.get(IDEMPOTENCY_HEADER_NAME) or "").strip()
    if not key:
        message = _(
            "Send an Idempotency-Key header (a new unique value, e.g. a UUID, per payment) so "
            "that a retry cannot pay twice."
        )
        return key, {IDEMPOTENCY_HEADER_NAME: [ErrorDetail(message, code="required")]}
    if len(key) > IDEMPOTENCY_KEY_MAX_LENGTH:
        message = _("An Idempotency-Key has at most %(limit)s characters.") % {
            "limit": IDEMPOTENCY_KEY_MAX_LENGTH
        }
        return key, {IDEMPOTENCY_HEADER_NAME: [ErrorDetail(message, code="max_length")]}
    return key, {}


class TopUpPermission(BasePermission):
    """Customers top up their own accounts; staff need ``billing.add_topup`` / ``view_topup``."""

    def has_permission(self, request, view):
        user = request.user
        if is_customer_user(user):
            return True
        if view.action == "create":
            return user.has_perm("billing.add_topup")
        return user.has_perms(TOP_UP_PERMISSIONS)


class TopUpViewSet(
    OneCustomerMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Top-ups of the accounts you may see; create one on any channel the hall and web offer."""

    serializer_class = TopUpSerializer
    permission_classes = [IsAuthenticated, TopUpPermission]
    read_permissions = TOP_UP_PERMISSIONS
    filter_backends = []

    def get_queryset(self):
        return top_ups_for(self.request.user)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["detail_visible_ids"] = self._detail_visible_ids
        return context

    # Accounts whose balance this response may show (past the verification gate), per request.
    _detail_visible_ids: frozenset[int] = frozenset()

    @extend_schema(
        parameters=[CustomerQuerySerializer],
        responses={200: TopUpSerializer(many=True), 403: VERIFICATION_REQUIRED},
    )
    def list(self, request, *args, **kwargs):
        """A customer's own top-ups; staff name the customer (``customer``, required)."""
        top_ups = self.get_queryset()
        if not is_portal_customer(request.user):
            top_ups = top_ups.filter(account__customer=self.subject_customer(request))
        page = self.paginate_queryset(top_ups)
        # Every row is the customer's own or of the one customer staff just opened.
        self._detail_visible_ids = frozenset(top.account_id for top in page)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(responses={200: TopUpSerializer, 403: VERIFICATION_REQUIRED})
    def retrieve(self, request, *args, **kwargs):
        return Response(self.get_serializer(self.get_object()).data)

    def get_object(self):
        record = get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])
        if not is_portal_customer(self.request.user):
            open_account_detail(self.request, [record.account.customer])
        self._detail_visible_ids = frozenset({record.account_id})
        return record

    @extend_schema(
        request=TopUpCreateSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={
            201: TopUpSerializer,
            200: TopUpSerializer,
            400: OpenApiResponse(
                response=ValidationErrorResponseSerializer,
                description="A field of the body is invalid, or the Idempotency-Key header is "
                'missing (attr "Idempotency-Key", code required) or too long (max_length); '
                "nothing is credited.",
            ),
            409: ConflictErrorResponseSerializer,
        },
    )
    def create(self, request, *args, **kwargs):
        serializer = TopUpCreateSerializer(data=request.data)
        key, errors = idempotency_key_errors(request)
        if not serializer.is_valid():
            errors = {**serializer.errors, **errors}
        if errors:
            raise ValidationError(errors)
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
            idempotency_key=key,
        )
        # Hall staff may take a payment for anyone; the balance after it is account detail.
        access = gate_account_detail(
            request.user,
            account.customer,
            reason=_("Top-up over the API without caller verification: %(path)s")
            % {"path": request.path},
        )
        self._detail_visible_ids = frozenset({account.pk}) if access.visible else frozenset()
        # Re-read with what the payment brought (offer, points) in the list's one query.
        body = self.get_serializer(self.get_queryset().get(pk=result.top_up.pk)).data
        if result.replayed:
            return Response(
                body, status=status.HTTP_200_OK, headers={"Idempotent-Replayed": "true"}
            )
        return Response(body, status=status.HTTP_201_CREATED)
