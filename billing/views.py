"""Portal pages of billing: balance, ledger, bills by month, a bill with its itemised list, and
the invoice PDF — for customers (their own, under ``my/billing/``) and for staff (a customer's,
under ``workspace/customers/<pk>/billing/``), plus the public invoice check.

Reads come from ``billing.selectors``. Staff pass two gates (see there): the scope (404 outside)
and the crm verification gate (403 with a clear message until the caller is verified); a
supervisor's look without verification is written to the PII access log on every page.
"""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views import View

from billing.choices import BillLineKind
from billing.invoices import grouped_code, invoice_number, render_invoice_pdf, vat_of_tax_inclusive
from billing.models import Bill
from billing.selectors import (
    BILLING_VIEW_PERMISSIONS,
    accounts_with_balances,
    bill_records,
    bill_with_lines,
    billing_customers_for,
    bills_of,
    is_portal_customer,
    own_customer,
    recent_ledger_entries,
)
from crm.masking import mask_phone
from crm.models import Customer
from crm.services import gate_account_detail
from portal.roles import ROLE_SPECS, Role
from portal.web import page_number

BILLS_PER_PAGE = 12
RECORDS_PER_PAGE = 50
RECENT_ENTRIES = 20

# Staff whose portal section the customer billing pages belong to (with the billing view
# permissions: the complaint coordinator handles billing disputes).
BILLING_DESK = (Role.SERVICE_SPECIALIST, Role.SUPERVISOR, Role.COMPLAINT_COORDINATOR)
# Who can go to the crm customer page to verify the caller.
CUSTOMER_DESK = (Role.SERVICE_SPECIALIST, Role.SUPERVISOR)


def verify_url(request, bill: Bill) -> str:
    """The absolute address printed on the invoice for checking its verification code."""
    return request.build_absolute_uri(
        reverse("billing:invoice-check") + f"?code={bill.verification_code}"
    )


class BillingPageMixin(LoginRequiredMixin):
    """The customer whose billing the page shows, and the URLs of the page family."""

    side = ""  # "my" or "customer": the prefix of the URL names

    def get_customer(self) -> Customer:  # pragma: no cover - abstract
        raise NotImplementedError

    def url_args(self, customer: Customer) -> list:
        return []

    def url(self, name: str, customer: Customer, *args) -> str:
        return reverse(f"billing:{self.side}-{name}", args=[*self.url_args(customer), *args])

    def render_page(self, template: str, context: dict) -> HttpResponse:
        user = self.request.user
        context = {
            "side": self.side,
            "may_open_customer_page": self.side == "customer"
            and any(user.has_perm(ROLE_SPECS[role].permission) for role in CUSTOMER_DESK),
            **context,
        }
        response = render(self.request, template, context)
        # Balance and bills are account detail: no copy in any shared or browser cache.
        add_never_cache_headers(response)
        return response


class CustomerSideMixin(BillingPageMixin):
    side = "my"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not is_portal_customer(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_customer(self) -> Customer:
        customer = own_customer(self.request.user)
        if customer is None:
            raise Http404(_("No customer record is linked to this login."))
        return customer


class StaffSideMixin(BillingPageMixin):
    side = "customer"

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and not (
            any(user.has_perm(ROLE_SPECS[role].permission) for role in BILLING_DESK)
            and user.has_perms(BILLING_VIEW_PERMISSIONS)
        ):
            raise PermissionDenied
        try:
            return super().dispatch(request, *args, **kwargs)
        except VerificationRequired as refusal:
            return verification_required_response(request, refusal.customer)

    def url_args(self, customer: Customer) -> list:
        return [customer.pk]

    def get_customer(self) -> Customer:
        user = self.request.user
        try:
            customer = billing_customers_for(user).get(pk=self.kwargs["customer_pk"])
        except Customer.DoesNotExist as exc:
            raise Http404 from exc
        access = gate_account_detail(
            user,
            customer,
            reason=_("Billing page viewed without caller verification: %(path)s")
            % {"path": self.request.path},
        )
        if not access.visible:
            raise VerificationRequired(customer)
        return customer


class VerificationRequired(Exception):
    def __init__(self, customer: Customer):
        super().__init__(customer.pk)
        self.customer = customer


def verification_required_response(request, customer: Customer) -> HttpResponse:
    user = request.user
    context = {
        "customer": customer,
        "may_open_customer_page": any(
            user.has_perm(ROLE_SPECS[role].permission) for role in CUSTOMER_DESK
        ),
    }
    return render(request, "billing/verification_required.html", context, status=403)


# --- Pages ----------------------------------------------------------------------------------


class BillingOverviewPage:
    """Balance per account, the newest ledger entries and the bills, newest month first."""

    def get(self, request, **kwargs):
        customer = self.get_customer()
        accounts = accounts_with_balances(customer)
        entries = recent_ledger_entries(customer, limit=RECENT_ENTRIES)
        page = Paginator(bills_of(customer), BILLS_PER_PAGE).get_page(page_number(request))
        bills = list(page.object_list)
        for bill in bills:
            bill.page_url = self.url("bill", customer, bill.pk)
            bill.invoice_url = self.url("invoice", customer, bill.pk)
        return self.render_page(
            "billing/overview.html",
            {
                "customer": customer,
                "accounts": accounts,
                "entries": entries,
                "page": page,
                "bills": bills,
                "account_status_url": self.url("account-status", customer),
            },
        )


class BillDetailPage:
    """A bill's lines (with their tariff rules) and its itemised list, page by page."""

    def get(self, request, pk, **kwargs):
        customer = self.get_customer()
        try:
            bill = bill_with_lines(bills_of(customer), pk)
        except Bill.DoesNotExist as exc:
            raise Http404 from exc
        kind = request.GET.get("kind") or None
        if kind not in (None, *BillLineKind.values):
            kind = None
        records = Paginator(bill_records(bill, kind=kind), RECORDS_PER_PAGE).get_page(
            page_number(request)
        )
        records.object_list = list(records.object_list)
        for record in records.object_list:
            # The other party's number is someone else's personal data: masked, always.
            record.masked_counterpart = mask_phone(record.counterpart) if record.counterpart else ""
        return self.render_page(
            "billing/bill_detail.html",
            {
                "customer": customer,
                "bill": bill,
                "lines": list(bill.lines.all()),
                "vat": vat_of_tax_inclusive(bill.total),
                "verification_code": grouped_code(bill.verification_code),
                "records": records,
                "kind": kind,
                "kinds": BillLineKind,
                "overview_url": self.url("billing", customer),
                "invoice_url": self.url("invoice", customer, bill.pk),
            },
        )


class InvoicePdfPage:
    def get(self, request, pk, **kwargs):
        customer = self.get_customer()
        bills = bills_of(customer).select_related(
            "subscription__customer", "subscription__billing_account"
        )
        try:
            bill = bill_with_lines(bills, pk)
        except Bill.DoesNotExist as exc:
            raise Http404 from exc
        pdf = render_invoice_pdf(bill, verify_url=verify_url(request, bill))
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = (
            f'attachment; filename="invoice-{invoice_number(bill)}.pdf"'
        )
        add_never_cache_headers(response)
        return response


class MyBillingView(CustomerSideMixin, BillingOverviewPage, View):
    pass


class MyBillView(CustomerSideMixin, BillDetailPage, View):
    pass


class MyInvoiceView(CustomerSideMixin, InvoicePdfPage, View):
    pass


class CustomerBillingView(StaffSideMixin, BillingOverviewPage, View):
    pass


class CustomerBillView(StaffSideMixin, BillDetailPage, View):
    pass


class CustomerInvoiceView(StaffSideMixin, InvoicePdfPage, View):
    pass


# --- Public invoice check -------------------------------------------------------------------


def normalize_code(text: str) -> str:
    return "".join(char for char in (text or "").upper() if char.isalnum())


class InvoiceCheckView(View):
    """Anyone holding an invoice may check its code: the page confirms the month, the masked
    number and the total printed on it, nothing more."""

    def get(self, request):
        code = normalize_code(request.GET.get("code", ""))
        bill = None
        if code:
            bill = (
                Bill.objects.filter(verification_code=code).select_related("subscription").first()
            )
        context = {"code": grouped_code(code) if code else "", "checked": bool(code), "bill": bill}
        if bill is not None:
            context["invoice_number"] = invoice_number(bill)
        return render(request, "billing/invoice_check.html", context)
