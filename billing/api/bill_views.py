"""Bills, their itemised records and invoice PDFs, and balances, over the API.

Every read starts from a ``billing.selectors`` scope (a record outside it is a 404 like a
missing one). A customer reads their own; staff need the billing view permissions and then
pass the crm verification gate for the customer in question: without a passing verification
in their open interaction the answer is 403 ``verification_required``; a supervisor may look
without, and each such look is written to the PII access log. Staff list one customer's bills
or balances at a time (``msisdn`` or ``customer``), as in a call.
"""

import json

from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.exceptions import ErrorDetail, PermissionDenied
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from billing.api.bill_serializers import (
    BalanceQuerySerializer,
    BalanceSerializer,
    BillQuerySerializer,
    BillSerializer,
    RecordQuerySerializer,
    UsageRecordSerializer,
)
from billing.invoices import invoice_number, render_invoice_pdf
from billing.models import BillLine
from billing.selectors import (
    BALANCE_PERMISSIONS,
    BILL_PERMISSIONS,
    USAGE_PERMISSIONS,
    bill_records,
    billing_customers_for,
    bills_for,
    is_portal_customer,
    latest_ledger_entries,
    lines_by_msisdn,
)
from billing.views import verify_url
from crm.error_codes import CrmErrorCode
from crm.models import BillingAccount, Customer
from crm.services import gate_account_detail

LATEST_ENTRIES_PER_ACCOUNT = 5


class BillingReadPermission(BasePermission):
    """Customers read their own records; staff need the view permissions the view names for
    the action. The verification gate comes after, per customer."""

    def has_permission(self, request, view):
        user = request.user
        return is_portal_customer(user) or user.has_perms(view.staff_permissions(view.action))


def open_account_detail(request, customers: list[Customer]) -> list[Customer]:
    """The customers among ``customers`` whose account detail the user may see now.

    A supervisor's look without verification is logged; if every customer is behind the gate,
    403 ``verification_required``. One query per customer (the gate), plus any log row.
    """
    user = request.user
    visible = []
    for customer in customers:
        access = gate_account_detail(
            user,
            customer,
            reason=_("Billing read over the API without caller verification: %(path)s")
            % {"path": request.path},
        )
        if access.visible:
            visible.append(customer)
    if customers and not visible:
        raise PermissionDenied(
            _(
                "Verify the caller first: balance, bills and usage are shown only after the "
                "caller passes identity verification in your current interaction."
            ),
            code=CrmErrorCode.VERIFICATION_REQUIRED,
        )
    return visible


def customer_required() -> serializers.ValidationError:
    return serializers.ValidationError(
        {
            "customer": [
                ErrorDetail(
                    _("Staff look at one customer at a time: give msisdn or customer."),
                    code="required",
                )
            ]
        }
    )


class PdfRenderer(BaseRenderer):
    """Lets a client ask for ``application/pdf``; an error still goes out as JSON."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        response = (renderer_context or {}).get("response")
        if response is not None:
            response["Content-Type"] = "application/json"
        return json.dumps(data).encode()


VERIFICATION_REQUIRED = OpenApiResponse(
    description="Staff: the caller has not passed verification in your open interaction "
    "(code verification_required)."
)


class BillViewSet(viewsets.GenericViewSet):
    """Monthly bills: lines by kind with their tariff rules, the itemised records behind them,
    and the invoice PDF."""

    serializer_class = BillSerializer
    permission_classes = [IsAuthenticated, BillingReadPermission]
    filter_backends = []

    @staticmethod
    def staff_permissions(action: str | None) -> tuple[str, ...]:
        if action == "records":
            return BILL_PERMISSIONS + USAGE_PERMISSIONS
        return BILL_PERMISSIONS

    def get_queryset(self):
        return (
            bills_for(self.request.user)
            .prefetch_related(Prefetch("lines", queryset=BillLine.objects.order_by("pk")))
            .order_by("-period", "subscription__msisdn", "pk")
        )

    def get_object(self):
        bill = get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])
        open_account_detail(self.request, [bill.subscription.customer])
        return bill

    def _customers_named(self, params) -> list[Customer] | None:
        """The customers the filters name (None when they name none)."""
        user = self.request.user
        customers = None
        if "msisdn" in params:
            number = params["msisdn"]
            lines = lines_by_msisdn(user, number) if number else []
            customers = list({line.customer_id: line.customer for line in lines}.values())
        if "customer" in params:
            if customers is None:
                customers = list(
                    billing_customers_for(user, BILL_PERMISSIONS).filter(pk=params["customer"])
                )
            else:
                customers = [c for c in customers if c.pk == params["customer"]]
        return customers

    @extend_schema(
        parameters=[BillQuerySerializer],
        responses={200: BillSerializer(many=True), 403: VERIFICATION_REQUIRED},
    )
    def list(self, request):
        """``?msisdn=13900000001&period=2026-03``: that line's bill of that month."""
        query = BillQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        bills = self.get_queryset()
        customers = self._customers_named(params)
        if customers is None and not is_portal_customer(request.user):
            raise customer_required()
        if customers is not None:
            visible = open_account_detail(request, customers)
            bills = bills.filter(subscription__customer__in=[customer.pk for customer in visible])
        if "msisdn" in params:
            bills = bills.filter(subscription__msisdn=params["msisdn"])
        if "period" in params:
            bills = bills.filter(period=params["period"])
        page = self.paginate_queryset(bills)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(responses={200: BillSerializer, 403: VERIFICATION_REQUIRED})
    def retrieve(self, request, pk=None):
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(
        parameters=[RecordQuerySerializer],
        responses={200: UsageRecordSerializer(many=True), 403: VERIFICATION_REQUIRED},
    )
    def records(self, request, pk=None):
        """The itemised list (话费清单): the line's records of the month, rated and rejected,
        in time order; ``kind`` narrows it to one bill line."""
        query = RecordQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        bill = self.get_object()
        records = bill_records(bill, kind=query.validated_data.get("kind"))
        page = self.paginate_queryset(records)
        return self.get_paginated_response(UsageRecordSerializer(page, many=True).data)

    @extend_schema(
        operation_id="bills_invoice_pdf",
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            403: VERIFICATION_REQUIRED,
        },
    )
    def invoice(self, request, pk=None):
        """The invoice PDF: amounts, VAT, the verification code and where to check it."""
        bill = self.get_object()
        pdf = render_invoice_pdf(bill, verify_url=verify_url(request, bill))
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = (
            f'attachment; filename="invoice-{invoice_number(bill)}.pdf"'
        )
        add_never_cache_headers(response)
        return response

    def get_renderers(self):
        if self.action == "invoice":
            return [JSONRenderer(), PdfRenderer()]
        return super().get_renderers()


class BalanceViewSet(viewsets.GenericViewSet):
    """Prepaid balances of the caller's accounts with their latest ledger entries."""

    serializer_class = BalanceSerializer
    permission_classes = [IsAuthenticated, BillingReadPermission]
    filter_backends = []

    @staticmethod
    def staff_permissions(action: str | None) -> tuple[str, ...]:
        return BALANCE_PERMISSIONS

    @extend_schema(
        parameters=[BalanceQuerySerializer],
        responses={200: BalanceSerializer(many=True), 403: VERIFICATION_REQUIRED},
    )
    def list(self, request):
        query = BalanceQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        customer_pk = query.validated_data.get("customer")
        customers = billing_customers_for(request.user, BALANCE_PERMISSIONS)
        if customer_pk is None:
            if not is_portal_customer(request.user):
                raise customer_required()
        else:
            customers = customers.filter(pk=customer_pk)
        visible = open_account_detail(request, list(customers))
        accounts = (
            BillingAccount.objects.filter(customer__in=[customer.pk for customer in visible])
            .select_related("prepaid_balance")
            .order_by("account_number")
        )
        page = self.paginate_queryset(accounts)
        context = {
            **self.get_serializer_context(),
            "latest_entries": latest_ledger_entries(page, per_account=LATEST_ENTRIES_PER_ACCOUNT),
        }
        return self.get_paginated_response(BalanceSerializer(page, many=True, context=context).data)
