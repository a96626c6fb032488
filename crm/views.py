"""Staff portal pages of the crm app: customer search and page, the catalog and service orders.

Views are thin: they parse a form, call one service from ``crm.services`` and redirect with a
message; reads come from ``crm.selectors``. A page is open to the roles whose portal section it
belongs to (``portal_roles``) holding the crm permissions it needs; objects outside the user's
selector scope are 404. A service's refusal is shown on the form that asked, never as a 500.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View

from crm.choices import (
    ORDER_TRANSITIONS,
    PLAN_KIND_FOR_SUBSCRIPTION,
    OrderKind,
    OrderStatus,
    PiiField,
    ProductKind,
    SubscriptionKind,
    VerificationResult,
)
from crm.forms import (
    CustomerSearchForm,
    EndInteractionForm,
    OrderCustomerForm,
    OrderFilterForm,
    OrderReasonForm,
    OrderStepForm,
    RevealForm,
    ServiceOrderForm,
    StartInteractionForm,
    VerificationForm,
)
from crm.masking import mask_name, mask_phone, mask_pii
from crm.models import (
    BillingAccount,
    Customer,
    Interaction,
    MobilePlanTerms,
    Product,
    ServiceOrder,
    Subscription,
    SubscriptionProduct,
)
from crm.selectors import (
    catalog,
    customer_overview,
    find_customers,
    open_interaction_with,
    order_detail,
    orders_for,
)
from crm.services import (
    advance_order,
    cancel_order,
    create_service_order,
    end_interaction,
    gate_account_detail,
    next_order_status,
    record_verification,
    reject_order_review,
    reveal_customer_field,
    send_verification_code,
    start_interaction,
)
from portal.roles import ROLE_SPECS, Role
from portal.web import DOMAIN_ERRORS, add_service_error, error_message

# Whose portal section each group of pages belongs to.
CUSTOMER_DESK = (Role.SERVICE_SPECIALIST, Role.SUPERVISOR)
CATALOG_DESK = (Role.SERVICE_SPECIALIST, Role.SALES_ADVISOR)
ORDER_DESK = (Role.SERVICE_SPECIALIST, Role.SALES_ADVISOR, Role.SUPERVISOR)

SEARCH_RESULT_LIMIT = 50
ORDERS_PER_PAGE = 25


class StaffPageMixin(LoginRequiredMixin, PermissionRequiredMixin):
    """Open to a user holding the portal section of one of ``portal_roles`` and every crm
    permission in ``permission_required``; anonymous users are sent to sign in, others get 403.
    """

    portal_roles: tuple[Role, ...] = ()

    def has_permission(self) -> bool:
        user = self.request.user
        in_section = any(user.has_perm(ROLE_SPECS[role].permission) for role in self.portal_roles)
        return in_section and super().has_permission()


# --- Customers ------------------------------------------------------------------------------


class CustomerSearchView(StaffPageMixin, View):
    """One box: phone number (contact or line), customer number or ID number.

    The search is a POST so that the number typed never lands in a URL (browser history,
    access logs); the results page shows it masked, not echoed back into the box.
    """

    portal_roles = CUSTOMER_DESK
    permission_required = ("crm.view_customer",)

    def get(self, request):
        return self.render_page(CustomerSearchForm())

    def post(self, request):
        form = CustomerSearchForm(request.POST)
        if not form.is_valid():
            return self.render_page(form)
        query = form.cleaned_data["q"]
        results = list(find_customers(request.user, query)[:SEARCH_RESULT_LIMIT])
        return self.render_page(CustomerSearchForm(), results=results, searched_for=mask_pii(query))

    def render_page(self, form, *, results=None, searched_for=""):
        context = {
            "form": form,
            "results": results,
            "searched_for": searched_for,
            "result_limit": SEARCH_RESULT_LIMIT,
        }
        return render(self.request, "crm/customer_search.html", context)


@dataclass
class LineView:
    """A line as the customer page shows it: its plan today and its product history."""

    line: Subscription
    plan: Product | None
    products: list[SubscriptionProduct]


@dataclass
class AccountView:
    account: BillingAccount
    lines: list[LineView] = field(default_factory=list)


def _line_views(customer: Customer, today: datetime.date) -> list[LineView]:
    """From the prefetched products: no query per line."""
    views = []
    for line in customer.subscriptions.all():
        rows = list(line.products.all())
        plan_kind = PLAN_KIND_FOR_SUBSCRIPTION[SubscriptionKind(line.kind)]
        plan = next(
            (
                row.product
                for row in rows
                if row.product.kind == plan_kind and row.is_effective_on(today)
            ),
            None,
        )
        views.append(LineView(line=line, plan=plan, products=rows))
    return views


class CustomerPageMixin(StaffPageMixin):
    """The customer page, with whatever forms a POST bound (showing their errors)."""

    portal_roles = CUSTOMER_DESK
    permission_required = ("crm.view_customer",)

    def get_customer(self) -> Customer:
        try:
            return customer_overview(self.request.user, self.kwargs["pk"])
        except Customer.DoesNotExist as exc:
            raise Http404 from exc

    def current_interaction(self, customer: Customer) -> Interaction | None:
        return open_interaction_with(self.request.user, customer)

    def page_url(self, customer_pk) -> str:
        return reverse("crm:customer-detail", args=[customer_pk])

    def render_page(self, customer: Customer, *, revealed=None, **forms) -> HttpResponse:
        user = self.request.user
        interaction = self.current_interaction(customer)
        access = gate_account_detail(
            user,
            customer,
            reason=_("Customer page viewed without caller verification"),
            interaction=interaction,
        )
        verified = access.verified_interaction is not None
        show_account_detail = access.visible
        lines = _line_views(customer, timezone.localdate())
        accounts = [AccountView(account=account) for account in customer.billing_accounts.all()]
        by_account = {view.account.pk: view for view in accounts}
        for view in lines:
            by_account[view.line.billing_account_id].lines.append(view)
        context = {
            "customer": customer,
            "lines": lines,
            "accounts": accounts,
            "interaction": interaction,
            "verified": verified,
            "locked": customer.verification_locked,
            "show_account_detail": show_account_detail,
            "revealed": revealed,
            "start_form": StartInteractionForm(
                initial={"channel": "hotline"}, auto_id="start_form_%s"
            ),
            "verification_form": VerificationForm(auto_id="verification_form_%s"),
            "end_form": EndInteractionForm(auto_id="end_form_%s"),
            "reveal_form": RevealForm(auto_id="reveal_form_%s"),
            "may_order": user.has_perm("crm.add_serviceorder"),
            **forms,
        }
        response = render(self.request, "crm/customer_detail.html", context)
        # The page may carry account detail or a revealed value: no copy in any cache.
        add_never_cache_headers(response)
        return response


class CustomerDetailView(CustomerPageMixin, View):
    def get(self, request, pk):
        return self.render_page(self.get_customer())


class CustomerActionView(CustomerPageMixin, View):
    """A POST on the customer page: ``act`` calls the service; errors re-render the page."""

    form_class = None
    form_name = ""
    needs_interaction = True

    def post(self, request, pk):
        customer = self.get_customer()
        form = (
            self.form_class(request.POST, auto_id=f"{self.form_name}_%s")
            if self.form_class
            else None
        )
        if form is not None and not form.is_valid():
            return self.render_page(customer, **{self.form_name: form})
        interaction = self.current_interaction(customer) if self.needs_interaction else None
        if self.needs_interaction and interaction is None:
            messages.error(request, _("Start an interaction with this customer first."))
            return HttpResponseRedirect(self.page_url(customer.pk))
        try:
            self.act(customer, form, interaction)
        except DOMAIN_ERRORS as exc:
            if form is None:
                messages.error(request, error_message(exc))
                return HttpResponseRedirect(self.page_url(customer.pk))
            add_service_error(form, exc)
            return self.render_page(customer, **{self.form_name: form})
        return HttpResponseRedirect(self.page_url(customer.pk))

    def act(self, customer, form, interaction):  # pragma: no cover - abstract
        raise NotImplementedError


class StartInteractionView(CustomerActionView):
    permission_required = ("crm.view_customer", "crm.add_interaction")
    form_class = StartInteractionForm
    form_name = "start_form"
    needs_interaction = False

    def act(self, customer, form, interaction):
        started = start_interaction(
            channel=form.cleaned_data["channel"],
            reason=form.cleaned_data["reason"],
            customer=customer,
            actor=self.request.user,
        )
        messages.success(
            self.request,
            _("Interaction %(number)s started: tell the customer this number.")
            % {"number": started.number},
        )


class RecordVerificationView(CustomerActionView):
    permission_required = ("crm.view_customer", "crm.add_identityverification")
    form_class = VerificationForm
    form_name = "verification_form"

    def act(self, customer, form, interaction):
        verification = record_verification(
            interaction, customer, actor=self.request.user, **form.service_kwargs()
        )
        checked = verification.customer
        if verification.result == VerificationResult.PASSED:
            messages.success(self.request, _("Verification passed."))
        elif checked.verification_locked:
            until = timezone.localtime(checked.verification_locked_until)
            messages.error(
                self.request,
                _("Verification failed. Too many failures: verification is locked until %(until)s.")
                % {"until": until.strftime("%H:%M")},
            )
        else:
            messages.error(
                self.request,
                _("Verification failed (%(failures)s of %(limit)s attempts).")
                % {
                    "failures": checked.failed_verifications,
                    "limit": settings.CRM_VERIFICATION_MAX_FAILURES,
                },
            )


class SendVerificationCodeView(CustomerActionView):
    permission_required = ("crm.view_customer", "crm.add_identityverification")

    def act(self, customer, form, interaction):
        send_verification_code(interaction, customer, actor=self.request.user)
        messages.success(
            self.request,
            _("A code was sent to %(phone)s. Ask the caller to read it out.")
            % {"phone": customer.masked_contact_phone},
        )


class EndInteractionView(CustomerActionView):
    permission_required = ("crm.view_customer", "crm.change_interaction")
    form_class = EndInteractionForm
    form_name = "end_form"

    def act(self, customer, form, interaction):
        ended = end_interaction(
            interaction,
            outcome=form.cleaned_data["outcome"],
            notes=form.cleaned_data["notes"],
            actor=self.request.user,
        )
        messages.success(
            self.request, _("Interaction %(number)s ended.") % {"number": ended.number}
        )


class RevealCustomerFieldView(CustomerPageMixin, View):
    """Shows the full value once, on this response only: nothing is kept in the session."""

    permission_required = ("crm.view_customer", "crm.reveal_customer_pii")

    def post(self, request, pk):
        customer = self.get_customer()
        form = RevealForm(request.POST, auto_id="reveal_form_%s")
        if not form.is_valid():
            return self.render_page(customer, reveal_form=form)
        try:
            value = reveal_customer_field(
                customer,
                form.cleaned_data["field"],
                actor=request.user,
                reason=form.cleaned_data["reason"],
                interaction=self.current_interaction(customer),
            )
        except DOMAIN_ERRORS as exc:
            add_service_error(form, exc)
            return self.render_page(customer, reveal_form=form)
        revealed = {"label": PiiField(form.cleaned_data["field"]).label, "value": value}
        return self.render_page(customer, revealed=revealed)


# --- Catalog --------------------------------------------------------------------------------


def _rate(value: Decimal) -> str:
    """A rate with as many places as it needs, at least two: ``0.20``, ``0.0003``."""
    normalized = value.normalize()
    if normalized.as_tuple().exponent > -2:
        normalized = value.quantize(Decimal("0.01"))
    return f"{normalized:f}"


def _volume(kb: int) -> str:
    if kb and kb % (1024 * 1024) == 0:
        return f"{kb // (1024 * 1024)} GB"
    if kb and kb % 1024 == 0:
        return f"{kb // 1024} MB"
    return f"{kb} KB"


def _plan_rows(terms: MobilePlanTerms) -> list[tuple[str, str]]:
    """The tariff sheet's lines of a mobile plan, in the order the sheet gives them."""

    def priced(template: str, amount: Decimal) -> str:
        return template % {"amount": _rate(amount)} if amount else _("free")

    per_minute = _("%(amount)s yuan/min")
    rows = [
        (_("Local calls"), priced(per_minute, terms.local_call_per_minute)),
        (_("Domestic long distance"), priced(per_minute, terms.long_distance_per_minute)),
        (_("Roaming, outgoing"), priced(per_minute, terms.roaming_out_per_minute)),
        (_("Roaming, incoming"), priced(per_minute, terms.roaming_in_per_minute)),
        (_("Incoming at home"), priced(per_minute, terms.incoming_per_minute)),
        (_("SMS"), priced(_("%(amount)s yuan each"), terms.sms_each)),
        (_("Data"), priced(_("%(amount)s yuan/KB"), terms.data_per_kb)),
    ]
    minutes, sms = terms.included_minutes, terms.included_sms
    included = [
        ngettext("%(count)s minute", "%(count)s minutes", minutes) % {"count": minutes}
        if minutes
        else "",
        ngettext("%(count)s SMS", "%(count)s SMS", sms) % {"count": sms} if sms else "",
        _volume(terms.included_data_kb) if terms.included_data_kb else "",
    ]
    if any(included):
        rows.append((_("Included each month"), ", ".join(part for part in included if part)))
    if terms.monthly_data_cap_kb:
        rows.append((_("Monthly data cut-off"), _volume(terms.monthly_data_cap_kb)))
    if terms.monthly_charge_cap is not None:
        rows.append(
            (
                _("Monthly charge cap incl. fees"),
                _("%(amount)s yuan") % {"amount": terms.monthly_charge_cap},
            )
        )
    if terms.reopened_data_per_kb is not None:
        rows.append(
            (
                _("Data after re-opening"),
                priced(_("%(amount)s yuan/KB"), terms.reopened_data_per_kb),
            )
        )
    return rows


@dataclass
class CatalogEntry:
    product: Product
    plan_rows: list[tuple[str, str]]
    components: list[Product]


class CatalogView(StaffPageMixin, View):
    """Products grouped by kind; only those on sale today unless ``?all=1``."""

    portal_roles = CATALOG_DESK
    permission_required = ("crm.view_product",)

    def get(self, request):
        show_all = request.GET.get("all") == "1"
        today = timezone.localdate()
        products = catalog() if show_all else catalog(on_day=today)
        groups: dict[str, list[CatalogEntry]] = {kind: [] for kind in ProductKind.values}
        for product in products:
            terms = getattr(product, "mobile_terms", None)
            groups[product.kind].append(
                CatalogEntry(
                    product=product,
                    plan_rows=_plan_rows(terms) if terms else [],
                    components=list(product.components.all()),
                )
            )
        context = {
            "groups": [
                (ProductKind(kind).label, entries) for kind, entries in groups.items() if entries
            ],
            "show_all": show_all,
            "today": today,
        }
        return render(request, "crm/catalog.html", context)


# --- Orders ---------------------------------------------------------------------------------


class OrderListView(StaffPageMixin, View):
    portal_roles = ORDER_DESK
    permission_required = ("crm.view_serviceorder",)

    def get(self, request):
        form = OrderFilterForm(request.GET or None)
        orders = orders_for(request.user).order_by("-created_at", "-pk")
        if form.is_valid():
            if form.cleaned_data["status"]:
                orders = orders.filter(status=form.cleaned_data["status"])
            if form.cleaned_data["kind"]:
                orders = orders.filter(kind=form.cleaned_data["kind"])
        page = Paginator(orders, ORDERS_PER_PAGE).get_page(request.GET.get("page"))
        context = {
            "form": form,
            "page_obj": page,
            "orders": page.object_list,
            "may_order": request.user.has_perm("crm.add_serviceorder"),
        }
        return render(request, "crm/order_list.html", context)


class NewOrderView(StaffPageMixin, View):
    """Step one names the customer (``?customer=``); step two is the order itself."""

    portal_roles = (Role.SERVICE_SPECIALIST, Role.SALES_ADVISOR)
    permission_required = ("crm.view_customer", "crm.add_serviceorder")

    def get(self, request):
        customer_form = OrderCustomerForm(request.GET or None, user=request.user)
        if not customer_form.is_valid():
            if not request.GET:
                customer_form = OrderCustomerForm(user=request.user)
            return self.render_page(customer_form=customer_form)
        customer = customer_form.cleaned_data["customer"]
        interaction = self.open_interaction(customer)
        initial = {
            "channel": interaction.channel if interaction else "business_hall",
            "kind": request.GET.get("kind") or OrderKind.OPEN_NUMBER,
            # A link may name the line and the product (the plan recommendation's plan change);
            # the form's choice fields accept only the customer's lines and catalog products.
            "subscription": request.GET.get("subscription"),
            "product": request.GET.get("product"),
        }
        form = ServiceOrderForm(user=request.user, customer=customer, initial=initial)
        return self.render_page(customer=customer, form=form)

    def post(self, request):
        customer_form = OrderCustomerForm(request.POST, user=request.user)
        if not customer_form.is_valid():
            return self.render_page(customer_form=customer_form)
        customer = customer_form.cleaned_data["customer"]
        form = ServiceOrderForm(request.POST, user=request.user, customer=customer)
        if not form.is_valid():
            return self.render_page(customer=customer, form=form)
        try:
            order = create_service_order(
                **form.service_kwargs(),
                customer=customer,
                actor=request.user,
                interaction=self.open_interaction(customer),
            )
        except DOMAIN_ERRORS as exc:
            add_service_error(form, exc, ServiceOrderForm.ERROR_FIELDS)
            return self.render_page(customer=customer, form=form)
        messages.success(request, _("Order %(number)s received.") % {"number": order.number})
        return HttpResponseRedirect(reverse("crm:order-detail", args=[order.pk]))

    def open_interaction(self, customer) -> Interaction | None:
        """The order is linked to the user's open contact with the customer, if any."""
        return open_interaction_with(self.request.user, customer)

    def render_page(self, *, customer_form=None, customer=None, form=None):
        context = {"customer_form": customer_form, "customer": customer, "form": form}
        return render(self.request, "crm/order_new.html", context)


def _masked_data_changes(changes: dict) -> list[tuple[str, str]]:
    labels = {
        "name": Customer._meta.get_field("name").verbose_name,
        "contact_phone": Customer._meta.get_field("contact_phone").verbose_name,
        "email": Customer._meta.get_field("email").verbose_name,
        "address": Customer._meta.get_field("address").verbose_name,
    }
    maskers = {"name": mask_name, "contact_phone": mask_phone}
    return [
        (labels.get(key, key), maskers.get(key, str)(str(value))) for key, value in changes.items()
    ]


class OrderPageMixin(StaffPageMixin):
    portal_roles = ORDER_DESK
    permission_required = ("crm.view_serviceorder",)

    def get_order(self) -> ServiceOrder:
        try:
            return order_detail(self.request.user, self.kwargs["pk"])
        except ServiceOrder.DoesNotExist as exc:
            raise Http404 from exc

    def render_page(self, order: ServiceOrder, **forms) -> HttpResponse:
        user = self.request.user
        allowed = ORDER_TRANSITIONS.get(order.status, frozenset())
        following = next_order_status(order)
        may_change = user.has_perm("crm.change_serviceorder")
        context = {
            "order": order,
            "service_number": (
                mask_phone(order.service_number)
                if order.kind == OrderKind.OPEN_NUMBER
                else order.service_number
            ),
            "data_changes": _masked_data_changes(order.data_changes),
            "next_status": OrderStatus(following).label if following in allowed else None,
            "may_advance": may_change and following in allowed,
            "may_reject": may_change and order.status == OrderStatus.REVIEW,
            "may_cancel": may_change and OrderStatus.CANCELLED in allowed,
            "may_open_customer": any(
                user.has_perm(ROLE_SPECS[role].permission) for role in CUSTOMER_DESK
            ),
            "advance_form": OrderStepForm(auto_id="advance_form_%s"),
            "reject_form": OrderReasonForm(auto_id="reject_form_%s"),
            "cancel_form": OrderReasonForm(auto_id="cancel_form_%s"),
            **forms,
        }
        return render(self.request, "crm/order_detail.html", context)


class OrderDetailView(OrderPageMixin, View):
    def get(self, request, pk):
        return self.render_page(self.get_order())


class OrderMoveView(OrderPageMixin, View):
    """One of the order's allowed moves; ``move`` calls the service."""

    permission_required = ("crm.view_serviceorder", "crm.change_serviceorder")
    form_class = OrderReasonForm
    form_name = ""

    def post(self, request, pk):
        order = self.get_order()
        form = self.form_class(request.POST, auto_id=f"{self.form_name}_%s")
        if form.is_valid():
            try:
                moved = self.move(order, form.cleaned_data["reason"])
            except DOMAIN_ERRORS as exc:
                add_service_error(form, exc)
            else:
                messages.success(
                    request,
                    _("Order %(number)s is now at: %(status)s.")
                    % {"number": moved.number, "status": OrderStatus(moved.status).label},
                )
                return HttpResponseRedirect(reverse("crm:order-detail", args=[order.pk]))
        return self.render_page(order, **{self.form_name: form})

    def move(self, order, reason):  # pragma: no cover - abstract
        raise NotImplementedError


class AdvanceOrderView(OrderMoveView):
    form_class = OrderStepForm
    form_name = "advance_form"

    def move(self, order, reason):
        return advance_order(order, actor=self.request.user, reason=reason)


class RejectOrderReviewView(OrderMoveView):
    form_name = "reject_form"

    def move(self, order, reason):
        return reject_order_review(order, actor=self.request.user, reason=reason)


class CancelOrderView(OrderMoveView):
    form_name = "cancel_form"

    def move(self, order, reason):
        return cancel_order(order, actor=self.request.user, reason=reason)
