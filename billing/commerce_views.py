"""Portal pages of billing commerce.

Customers (``my/...``): their points (balance, what expires next, redemption offers, history),
their instalment plans (schedules, early payoff) and their account status (balance and bonus,
credit limit, arrears notices, suspensions and restorations, low-balance reminder). Staff at the
billing desk see a customer's account status behind the same two gates as the billing pages
(``billing.views.StaffSideMixin``). Sales advisors sell phones on instalments
(``workspace/instalments/...``): find the customer, check their identity document, see every
eligibility condition and the plan it would make, sell; they (and supervisors) follow and cancel
what they sold.

Views are thin: reads from ``billing.selectors``, one service per POST, a refusal shown on the
form that asked (status 400).
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views import View

from billing.choices import OPEN_DUE_STATUSES, InstalmentDueStatus, InstalmentPlanStatus
from billing.forms import (
    CancelPlanForm,
    ConfirmForm,
    IdentityCheckForm,
    InstalmentSaleForm,
    RedeemForm,
    live_lines,
)
from billing.instalments import (
    cancel_plan,
    check_credit_purchase,
    pay_off_plan,
    payoff_amount,
    purchase_on_instalments,
    quote_purchase,
)
from billing.models import InstalmentPlan, Promotion
from billing.money import ZERO
from billing.permissions import (
    may_cancel_plan,
    may_open_sales_pages,
    may_pay_off_plan,
    may_sell_on_instalments,
)
from billing.points import points_balance, redeem_points
from billing.selectors import (
    account_standings,
    expiring_points,
    line_status_history,
    plan_detail,
    plans_of,
    plans_sold_by,
    points_entries_of,
    redemption_offers,
)
from billing.views import (
    CustomerSideMixin,
    StaffSideMixin,
    VerificationRequired,
    verification_required_response,
)
from crm.choices import VerificationResult
from crm.forms import OrderCustomerForm
from crm.permissions import verified_interaction
from crm.selectors import open_interaction_with
from crm.services import gate_account_detail, verify_document_at_counter
from portal.web import DOMAIN_ERRORS, add_service_error, error_message, no_cache, page_number

POINTS_PER_PAGE = 20
PLANS_PER_PAGE = 25


# --- The customer's points ----------------------------------------------------------------------


class MyPointsView(CustomerSideMixin, View):
    def get(self, request):
        return self.render_points(self.get_customer())

    def render_points(self, customer, *, bound_form=None, status=200):
        offers = list(redemption_offers())
        lines = list(live_lines(customer, mobile_only=True))
        forms = []
        for offer in offers:
            if bound_form is not None and bound_form.data.get("promotion") == offer.code:
                form = bound_form
            else:
                form = RedeemForm(
                    lines=lines,
                    initial={"promotion": offer.code},
                    auto_id=f"redeem_{offer.pk}_%s",
                )
            forms.append((offer, form))
        page = Paginator(points_entries_of(customer), POINTS_PER_PAGE).get_page(
            page_number(request=self.request)
        )
        context = {
            "customer": customer,
            "balance": points_balance(customer),
            "expiring": expiring_points(customer),
            "offers": forms,
            "page": page,
            "entries": list(page.object_list),
        }
        return no_cache(render(self.request, "billing/my_points.html", context, status=status))


class MyPointsRedeemView(MyPointsView):
    def post(self, request):
        customer = self.get_customer()
        form = RedeemForm(request.POST, lines=list(live_lines(customer, mobile_only=True)))
        if form.is_valid():
            promotion = (
                Promotion.objects.filter(code=form.cleaned_data["promotion"])
                .select_related("product")
                .first()
            )
            if promotion is None:
                form.add_error(None, _("No offer has this code."))
            else:
                try:
                    result = redeem_points(
                        customer,
                        promotion,
                        actor=request.user,
                        subscription=form.cleaned_data["subscription"],
                    )
                except DOMAIN_ERRORS as exc:
                    add_service_error(form, exc)
                else:
                    messages.success(
                        request,
                        _("Redeemed %(points)s points for %(name)s; %(balance)s points left.")
                        % {
                            "points": result.redemption.points_spent,
                            "name": promotion.name,
                            "balance": result.balance,
                        },
                    )
                    return HttpResponseRedirect(reverse("billing:my-points"))
        return self.render_points(customer, bound_form=form, status=400)


# --- The customer's instalments -----------------------------------------------------------------


class MyInstalmentsView(CustomerSideMixin, View):
    def get(self, request):
        return self.render_plans(self.get_customer())

    def render_plans(self, customer, *, errors=None, status=200):
        plans = list(plans_of(customer))
        for plan in plans:
            # From the prefetched dues, as ``instalments.payoff_amount`` counts it.
            plan.dues_list = list(plan.dues.all())
            plan.payoff_now = sum(
                (
                    due.amount if due.status == InstalmentDueStatus.OVERDUE else due.principal
                    for due in plan.dues_list
                    if due.status in OPEN_DUE_STATUSES
                ),
                start=ZERO,
            )
            plan.payoff_error = (errors or {}).get(plan.pk)
        context = {"customer": customer, "plans": plans, "confirm_form": ConfirmForm()}
        return no_cache(render(self.request, "billing/my_instalments.html", context, status=status))


class MyPayoffView(MyInstalmentsView):
    # A POST only: the inherited page GET takes no plan id (a GET here was a 500).
    http_method_names = ["post", "options"]

    def post(self, request, pk):
        customer = self.get_customer()
        plan = InstalmentPlan.objects.filter(customer=customer, pk=pk).first()
        if plan is None:
            raise Http404
        try:
            pay_off_plan(plan, actor=request.user)
        except DOMAIN_ERRORS as exc:
            message = error_message(exc)
            return self.render_plans(customer, errors={plan.pk: message}, status=400)
        messages.success(request, _("Plan %(number)s is paid off.") % {"number": plan.number})
        return HttpResponseRedirect(reverse("billing:my-instalments"))


# --- Account status (customer and staff) --------------------------------------------------------


class AccountStatusPage:
    def get(self, request, **kwargs):
        customer = self.get_customer()
        standings = account_standings(customer)
        plans = [
            plan
            for plan in plans_of(customer).prefetch_related(None)
            if plan.status == InstalmentPlanStatus.ACTIVE
        ]
        return self.render_page(
            "billing/account_status.html",
            {
                "customer": customer,
                "standings": standings,
                "line_changes": line_status_history(customer),
                "points": points_balance(customer),
                "active_plans": plans,
                "overview_url": self.url("billing", customer),
            },
        )


class MyAccountStatusView(CustomerSideMixin, AccountStatusPage, View):
    pass


class CustomerAccountStatusView(StaffSideMixin, AccountStatusPage, View):
    pass


# --- Sales: instalment sales ------------------------------------------------------------------


class SalesPageMixin(LoginRequiredMixin):
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not may_open_sales_pages(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class InstalmentSalesListView(SalesPageMixin, View):
    def get(self, request):
        page = Paginator(plans_sold_by(request.user), PLANS_PER_PAGE).get_page(page_number(request))
        context = {
            "page": page,
            "plans": list(page.object_list),
            "may_sell": may_sell_on_instalments(request.user),
        }
        return no_cache(render(request, "billing/instalment_sales.html", context))


class InstalmentSaleView(SalesPageMixin, View):
    """Step one names the customer; step two checks their document, shows every eligibility
    condition and, with a device and a term, the plan; selling is the last step."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not may_sell_on_instalments(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        customer_form = OrderCustomerForm(request.GET or None, user=request.user)
        if not customer_form.is_valid():
            if not request.GET:
                customer_form = OrderCustomerForm(user=request.user)
            return self.render_page(customer_form=customer_form)
        customer = customer_form.cleaned_data["customer"]
        sale_form = InstalmentSaleForm(
            request.GET if "device" in request.GET else None, customer=customer
        )
        quote = None
        if sale_form.is_bound and sale_form.is_valid():
            try:
                quote = quote_purchase(
                    customer,
                    device=sale_form.cleaned_data["device"],
                    months=sale_form.cleaned_data["months"],
                    down_payment=sale_form.cleaned_data["down_payment"],
                    promotion=sale_form.cleaned_data["promotion"] or None,
                )
            except DOMAIN_ERRORS as exc:
                add_service_error(sale_form, exc)
        return self.render_page(customer=customer, sale_form=sale_form, quote=quote)

    def post(self, request):
        customer_form = OrderCustomerForm(request.POST, user=request.user)
        if not customer_form.is_valid():
            return self.render_page(customer_form=customer_form, status=400)
        customer = customer_form.cleaned_data["customer"]
        if request.POST.get("step") == "verify":
            return self.verify(customer)
        sale_form = InstalmentSaleForm(request.POST, customer=customer)
        if sale_form.is_valid():
            data = sale_form.cleaned_data
            try:
                plan = purchase_on_instalments(
                    customer,
                    device=data["device"],
                    months=data["months"],
                    down_payment=data["down_payment"],
                    subscription=data["subscription"],
                    promotion=data["promotion"] or None,
                    seller=request.user,
                    interaction=open_interaction_with(request.user, customer),
                )
            except DOMAIN_ERRORS as exc:
                add_service_error(sale_form, exc)
            else:
                messages.success(
                    request,
                    _("Sold on instalments: plan %(number)s.") % {"number": plan.number},
                )
                return HttpResponseRedirect(reverse("billing:instalment-plan", args=[plan.pk]))
        return self.render_page(customer=customer, sale_form=sale_form, status=400)

    def verify(self, customer):
        request = self.request
        form = IdentityCheckForm(request.POST)
        if form.is_valid():
            try:
                verification = verify_document_at_counter(
                    customer,
                    actor=request.user,
                    reason=_("Phone purchase on instalments"),
                    id_number=form.cleaned_data["id_number"],
                    name=form.cleaned_data["name"],
                )
            except DOMAIN_ERRORS as exc:
                add_service_error(form, exc)
            else:
                if verification.result == VerificationResult.PASSED:
                    messages.success(request, _("Identity document checked."))
                    url = reverse("billing:instalment-sale")
                    query = urlencode({"customer": customer.customer_number})
                    return HttpResponseRedirect(f"{url}?{query}")
                form.add_error(None, _("The document number and name do not match the record."))
        return self.render_page(customer=customer, identity_form=form, status=400)

    def render_page(
        self,
        *,
        customer_form=None,
        customer=None,
        sale_form=None,
        identity_form=None,
        quote=None,
        status=200,
    ):
        context = {"customer_form": customer_form, "customer": customer}
        if customer is not None:
            eligibility = check_credit_purchase(
                customer,
                seller=self.request.user,
                financed_amount=quote.financed_amount if quote else None,
            )
            context.update(
                {
                    "eligibility": eligibility,
                    "verified": verified_interaction(self.request.user, customer) is not None,
                    "identity_form": identity_form or IdentityCheckForm(),
                    "sale_form": sale_form or InstalmentSaleForm(customer=customer),
                    "quote": quote,
                }
            )
        return no_cache(
            render(self.request, "billing/instalment_sale.html", context, status=status)
        )


class InstalmentPlanPage(SalesPageMixin, View):
    """A plan the user sold (supervisors: any), with its schedule, history and actions.

    The seller follows their own sale; anyone else's look at a customer's plan is account
    detail and passes the verification gate (a supervisor's look is logged), as in the API."""

    def dispatch(self, request, *args, **kwargs):
        try:
            return super().dispatch(request, *args, **kwargs)
        except VerificationRequired as refusal:
            return verification_required_response(request, refusal.customer)

    def get_plan(self, pk) -> InstalmentPlan:
        user = self.request.user
        try:
            plan = plan_detail(plans_sold_by(user), pk)
        except InstalmentPlan.DoesNotExist as exc:
            raise Http404 from exc
        if plan.seller_id != user.pk:
            access = gate_account_detail(
                user,
                plan.customer,
                reason=_("Instalment plan viewed without caller verification: %(path)s")
                % {"path": self.request.path},
            )
            if not access.visible:
                raise VerificationRequired(plan.customer)
        return plan

    def get(self, request, pk):
        return self.render_page(self.get_plan(pk))

    def render_page(self, plan, *, cancel_form=None, payoff_error=None, status=200):
        user = self.request.user
        active = plan.status == InstalmentPlanStatus.ACTIVE
        context = {
            "plan": plan,
            "dues": list(plan.dues.all()),
            "events": list(plan.events.all()),
            "may_cancel": active and may_cancel_plan(user),
            "may_pay_off": active and may_pay_off_plan(user, plan),
            "payoff_amount": payoff_amount(plan) if active else None,
            "cancel_form": cancel_form or CancelPlanForm(),
            "confirm_form": ConfirmForm(),
            "payoff_error": payoff_error,
        }
        return no_cache(
            render(self.request, "billing/instalment_plan.html", context, status=status)
        )


class InstalmentCancelView(InstalmentPlanPage):
    def post(self, request, pk):
        plan = self.get_plan(pk)
        if not may_cancel_plan(request.user):
            raise PermissionDenied
        form = CancelPlanForm(request.POST)
        if form.is_valid():
            try:
                cancel_plan(plan, actor=request.user, reason=form.cleaned_data["reason"])
            except DOMAIN_ERRORS as exc:
                add_service_error(form, exc)
            else:
                messages.success(
                    request, _("Plan %(number)s is cancelled.") % {"number": plan.number}
                )
                return HttpResponseRedirect(reverse("billing:instalment-plan", args=[plan.pk]))
        return self.render_page(plan, cancel_form=form, status=400)


class InstalmentPayoffView(InstalmentPlanPage):
    def post(self, request, pk):
        plan = self.get_plan(pk)
        if not may_pay_off_plan(request.user, plan):
            raise PermissionDenied
        try:
            pay_off_plan(plan, actor=request.user)
        except DOMAIN_ERRORS as exc:
            message = error_message(exc)
            return self.render_page(plan, payoff_error=message, status=400)
        messages.success(request, _("Plan %(number)s is paid off.") % {"number": plan.number})
        return HttpResponseRedirect(reverse("billing:instalment-plan", args=[plan.pk]))
