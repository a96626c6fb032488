"""Pages of the customer self-service portal (``/my/...``) and the password reset
(``/accounts/password-reset/...``).

Every ``/my/`` page starts from the signed-in customer's own record
(``billing.views.CustomerSideMixin``: anonymous → sign-in, staff → 403, nothing of another
customer is reachable) and is never cached. Views are thin: reads from
``portal.selfservice.selectors``, one service per POST, a refusal shown on the form that asked
(status 400).
"""

from axes.helpers import get_client_ip_address
from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from billing.choices import TopUpChannel
from billing.points import points_balance
from billing.selectors import accounts_with_balances, own_customer
from billing.services import top_up
from billing.views import CustomerSideMixin
from crm.choices import OrderKind, PiiField
from portal.months import next_month
from portal.selfservice import selectors
from portal.selfservice.filters import MyOrderFilter
from portal.selfservice.forms import (
    LineProductForm,
    PrivacyForm,
    ResetConfirmForm,
    ResetRequestForm,
    TopUpForm,
)
from portal.selfservice.services import (
    place_self_service_order,
    preferences_of,
    request_password_reset,
    reset_password,
    update_contact_preferences,
)
from portal.web import DOMAIN_ERRORS, add_service_error, page_number

ORDERS_PER_PAGE = 20
LOOKS_PER_PAGE = 20
RESET_SESSION_KEY = "selfservice_reset_phone"
ALREADY_PAID = gettext_lazy(
    "This payment of %(amount)s yuan was already made; nothing was paid twice."
)


class CustomerPage(CustomerSideMixin, View):
    template_name = ""

    def page(self, context: dict, *, status: int = 200):
        response = self.render_page(self.template_name, context)
        response.status_code = status
        return response


# --- Overview -----------------------------------------------------------------------------------


class OverviewView(CustomerPage):
    """Lines, balance, this month's usage against the caps, points, open tickets, latest bill."""

    template_name = "portal/customer_home.html"

    def get(self, request):
        customer = own_customer(request.user)
        if customer is None:
            # A customer login not (yet) linked to its record: say so on the landing page
            # rather than a 404 on the first page after signing in.
            return self.render_page("selfservice/no_customer.html", {})
        accounts = accounts_with_balances(customer)
        return self.page(
            {
                "customer": customer,
                "accounts": accounts,
                "lines": selectors.line_overviews(customer),
                "points": points_balance(customer),
                "open_tickets": selectors.open_tickets(customer),
                "latest_bill": selectors.latest_bill(customer),
                "month": timezone.localdate().replace(day=1),
            }
        )


# --- Top-up -------------------------------------------------------------------------------------


class TopUpView(CustomerPage):
    template_name = "selfservice/top_up.html"

    def context(self, customer, form=None):
        accounts = accounts_with_balances(customer)
        offers = selectors.online_top_up_offers(customer)
        form = form or TopUpForm(accounts=accounts, offers=offers)
        return {"customer": customer, "accounts": accounts, "offers": offers, "form": form}

    def get(self, request):
        return self.page(self.context(self.get_customer()))

    def post(self, request):
        customer = self.get_customer()
        accounts = accounts_with_balances(customer)
        offers = selectors.online_top_up_offers(customer)
        form = TopUpForm(request.POST, accounts=accounts, offers=offers)
        if form.is_valid():
            data = form.cleaned_data
            try:
                result = top_up(
                    data["account"],
                    amount=str(data["amount"]),
                    channel=TopUpChannel.ONLINE,
                    actor=request.user,
                    idempotency_key=data["idempotency_key"],
                    promotion=data["promotion"] or None,
                )
            except DOMAIN_ERRORS as exc:
                add_service_error(form, exc)
            else:
                record = result.top_up
                if result.replayed:
                    messages.info(
                        request,
                        ALREADY_PAID % {"amount": record.amount},
                    )
                else:
                    messages.success(
                        request,
                        _("Paid %(amount)s yuan into account %(account)s.")
                        % {"amount": record.amount, "account": record.account.account_number},
                    )
                return HttpResponseRedirect(reverse("selfservice:top-up-done", args=[record.pk]))
        return self.page(self.context(customer, form), status=400)


class TopUpDoneView(CustomerPage):
    """What one top-up gave: amount, offer and bonus, points, the new balance."""

    template_name = "selfservice/top_up_done.html"

    def get(self, request, pk):
        customer = self.get_customer()
        record = selectors.own_top_up(customer, pk)
        return self.page({"customer": customer, "top_up": record})


# --- Value-added services and plan change ---------------------------------------------------


class ServicesView(CustomerPage):
    """The catalog's value-added services, each with the lines it is on; subscribe or
    unsubscribe through a self-service order."""

    template_name = "selfservice/services.html"

    def context(self, customer, *, failed=None):
        lines = selectors.live_lines(customer, timezone.localdate(), mobile_only=True)
        products = selectors.value_added_catalog()
        rows = []
        for product in products:
            on = [line for line in lines if product in selectors.services_of(line)]
            off = [line for line in lines if line not in on]
            forms = {}
            for action, candidates in (("subscribe", off), ("unsubscribe", on)):
                if failed and failed[0] == (action, product.pk):
                    forms[action] = failed[1]
                elif candidates:
                    forms[action] = LineProductForm(
                        lines=candidates,
                        products=[product],
                        initial={"product": product.pk},
                        auto_id=f"{action}_{product.pk}_%s",
                    )
            rows.append({"product": product, "on": on, "forms": forms})
        return {"customer": customer, "rows": rows, "lines": lines}

    def get(self, request):
        return self.page(self.context(self.get_customer()))


class ServiceOrderView(ServicesView):
    """POST: subscribe to or unsubscribe from one service on one line."""

    http_method_names = ["post"]
    kinds = {"subscribe": OrderKind.SUBSCRIBE_SERVICE, "unsubscribe": OrderKind.UNSUBSCRIBE_SERVICE}

    def post(self, request, action):
        if action not in self.kinds:
            return HttpResponseRedirect(reverse("selfservice:services"))
        customer = self.get_customer()
        lines = selectors.live_lines(customer, timezone.localdate(), mobile_only=True)
        products = selectors.value_added_catalog()
        form = LineProductForm(request.POST, lines=lines, products=products)
        if form.is_valid():
            try:
                order = place_self_service_order(
                    customer,
                    kind=self.kinds[action],
                    subscription=form.cleaned_data["subscription"],
                    product=form.cleaned_data["product"],
                    actor=request.user,
                )
            except DOMAIN_ERRORS as exc:
                add_service_error(form, exc)
            else:
                messages.success(
                    request,
                    _("Order %(number)s done: %(kind)s %(product)s.")
                    % {
                        "number": order.number,
                        "kind": order.get_kind_display(),
                        "product": order.product.name,
                    },
                )
                return HttpResponseRedirect(reverse("selfservice:services"))
        # The refusal is shown on the form of the product it was about, else on top.
        product_pk = str(form.data.get("product", ""))
        failed = ((action, int(product_pk)), form) if product_pk.isdigit() else None
        context = self.context(customer, failed=failed)
        context["failed_form"] = form if failed is None else None
        return self.page(context, status=400)


class PlanChangeView(CustomerPage):
    """Choose a new plan for a mobile line; it takes effect on the first of next month."""

    template_name = "selfservice/plan.html"

    def context(self, customer, form=None):
        today = timezone.localdate()
        lines = selectors.live_lines(customer, today, mobile_only=True)
        plans = selectors.mobile_plans(today)
        form = form or LineProductForm(
            lines=lines, products=plans, product_widget=_plan_radio(), auto_id="plan_%s"
        )
        pending = selectors.pending_plan_changes(customer, today)
        return {
            "customer": customer,
            "lines": [(line, selectors.plan_of(line), pending.get(line.pk)) for line in lines],
            "plans": plans,
            "form": form,
            "effective_on": next_month(today),
        }

    def get(self, request):
        return self.page(self.context(self.get_customer()))

    def post(self, request):
        customer = self.get_customer()
        today = timezone.localdate()
        lines = selectors.live_lines(customer, today, mobile_only=True)
        form = LineProductForm(
            request.POST,
            lines=lines,
            products=selectors.mobile_plans(today),
            product_widget=_plan_radio(),
            auto_id="plan_%s",
        )
        if form.is_valid():
            try:
                order = place_self_service_order(
                    customer,
                    kind=OrderKind.CHANGE_PLAN,
                    subscription=form.cleaned_data["subscription"],
                    product=form.cleaned_data["product"],
                    actor=request.user,
                )
            except DOMAIN_ERRORS as exc:
                add_service_error(form, exc)
            else:
                messages.success(
                    request,
                    _("Order %(number)s done: your plan becomes %(plan)s on %(day)s.")
                    % {
                        "number": order.number,
                        "plan": order.product.name,
                        "day": order.effective_on.isoformat(),
                    },
                )
                return HttpResponseRedirect(reverse("selfservice:plan"))
        return self.page(self.context(customer, form), status=400)


def _plan_radio():
    return forms.RadioSelect()


# --- Orders ------------------------------------------------------------------------------------


class MyOrdersView(CustomerPage):
    template_name = "selfservice/orders.html"

    def get(self, request):
        customer = self.get_customer()
        filters = MyOrderFilter(request.GET, queryset=selectors.self_service_orders(customer))
        page = Paginator(filters.qs, ORDERS_PER_PAGE).get_page(page_number(request))
        return self.page(
            {
                "customer": customer,
                "filter": filters,
                "page_obj": page,
                "orders": list(page.object_list),
            }
        )


# --- Privacy ------------------------------------------------------------------------------------


class PrivacyView(CustomerPage):
    """Marketing consent, notice channels, and who looked at the customer's protected data."""

    template_name = "selfservice/privacy.html"

    def context(self, customer, form=None):
        preference = preferences_of(customer)
        form = form or PrivacyForm(
            initial={
                "marketing_sms": preference.marketing_sms,
                "notices_by_sms": preference.notices_by_sms,
                "messages_by_email": preference.messages_by_email and bool(customer.email),
            }
        )
        if not customer.email:
            form.fields["messages_by_email"].disabled = True
        page = Paginator(selectors.pii_looks(customer), LOOKS_PER_PAGE).get_page(
            page_number(self.request)
        )
        looks = [
            {
                "when": look.created_at,
                "field": PiiField(look.field).label,
                "role": selectors.role_label(look.actor_role),
                "reason": look.reason,
            }
            for look in page.object_list
        ]
        return {
            "customer": customer,
            "form": form,
            "page_obj": page,
            "looks": looks,
            "history": selectors.consent_history(customer),
        }

    def get(self, request):
        return self.page(self.context(self.get_customer()))

    def post(self, request):
        customer = self.get_customer()
        form = PrivacyForm(request.POST)
        if not customer.email:
            form.fields["messages_by_email"].disabled = True
        if form.is_valid():
            try:
                update_contact_preferences(customer, actor=request.user, **form.cleaned_data)
            except DOMAIN_ERRORS as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("Your privacy settings are saved."))
                return HttpResponseRedirect(reverse("selfservice:privacy"))
        return self.page(self.context(customer, form), status=400)


# --- Password reset (signed out) ------------------------------------------------------------


class PasswordResetRequestView(View):
    """Ask for a code. The answer is the same whether or not the number has a login."""

    template_name = "selfservice/password_reset_request.html"

    def get(self, request):
        return render(request, self.template_name, {"form": ResetRequestForm()})

    def post(self, request):
        form = ResetRequestForm(request.POST)
        if form.is_valid():
            try:
                request_password_reset(
                    form.cleaned_data["phone"], ip_address=get_client_ip_address(request)
                )
            except DOMAIN_ERRORS as exc:
                add_service_error(form, exc)
            else:
                request.session[RESET_SESSION_KEY] = form.cleaned_data["phone"]
                messages.info(
                    request,
                    _(
                        "If this number belongs to an account, a code is on its way by SMS. "
                        "It is valid for a few minutes."
                    ),
                )
                return HttpResponseRedirect(reverse("password-reset-confirm"))
        return render(request, self.template_name, {"form": form}, status=400)


class PasswordResetConfirmView(View):
    """Type the code and a new password; then sign in with it."""

    template_name = "selfservice/password_reset_confirm.html"

    def get(self, request):
        phone = request.session.get(RESET_SESSION_KEY)
        if not phone:
            return HttpResponseRedirect(reverse("password-reset"))
        form = ResetConfirmForm(initial={"phone": phone})
        return render(request, self.template_name, {"form": form})

    def post(self, request):
        form = ResetConfirmForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                reset_password(data["phone"], data["code"], data["new_password1"])
            except DOMAIN_ERRORS as exc:
                add_service_error(form, exc)
            else:
                request.session.pop(RESET_SESSION_KEY, None)
                messages.success(request, _("Your password is changed. Sign in with it now."))
                return HttpResponseRedirect(reverse("login"))
        return render(request, self.template_name, {"form": form}, status=400)
