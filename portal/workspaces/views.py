"""The four staff workspaces: each role's landing page and the tools only a whole view gives.

- Service specialist: the one search box (phone, customer, ID, ticket or order number), their
  open contacts and callbacks; the customer 360 page itself is crm's customer page.
- Tech-support engineer: the fault queue (filter, sort, page), counts on the landing page;
  diagnosis and resolution are actions of the ticket page.
- Complaint coordinator: billing disputes and low-score reviews as lists with their actions;
  the escalation board is complaints'.
- Sales advisor: the plan recommendation from a line's usage and "my sales".
- Supervisor: the messages that did not go out (failed or delayed), sent again on request; the
  supervisor's landing page is the dashboard (``portal.reports``).

Views are thin: reads from scoped selectors (an object outside the user's scope is a 404),
one service per POST, a refusal shown on the form that asked (400). A page belongs to the
roles in ``portal_roles`` (others get 403, anonymous visitors the sign-in page).
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.decorators.cache import never_cache

from billing.forms import IdentityCheckForm
from billing.recommendation import recommend_plan
from complaints import selectors as tickets
from complaints.choices import OPEN_STATUSES, REOPENABLE, FaultLocation, Queue
from complaints.delivery import retry_messages
from complaints.forms import LowScoreReviewForm
from complaints.models import Notification, Survey, Ticket
from complaints.permissions import COMPLAINT_DESK
from complaints.surveys import review_low_score
from crm.channel_models import Notice, NoticeDelivery
from crm.channel_selectors import notices_with_undelivered
from crm.choices import (
    OrderKind,
    SubscriptionKind,
    SubscriptionStatus,
    VerificationResult,
)
from crm.forms import OrderCustomerForm
from crm.masking import mask_pii
from crm.models import Customer, ServiceOrder, Subscription
from crm.notices import retry_notice_deliveries
from crm.services import gate_account_detail, verify_document_at_counter
from crm.views import CUSTOMER_DESK, StaffPageMixin
from portal import outbox
from portal.roles import Role
from portal.views import RoleWorkspaceView
from portal.web import DOMAIN_ERRORS, add_service_error, no_cache_varying_on_htmx
from portal.workspaces import filters, selectors
from portal.workspaces.forms import WorkspaceSearchForm
from portal.workspaces.listing import ListPage
from portal.workspaces.search import QueryKind, search

SEARCH_TARGET = "search-results"

FAULT_DESK = (Role.TECH_SUPPORT, Role.SUPERVISOR)
NOTICES_SHOWN = 20
SALES_DESK = (Role.SALES_ADVISOR,)


def htmx_target(request) -> str | None:
    """The element an htmx request will swap (None for an ordinary request)."""
    if request.headers.get("HX-Request") != "true":
        return None
    return request.headers.get("HX-Target")


def go_to(request, url: str) -> HttpResponse:
    """A redirect that htmx follows as a full page load (``HX-Redirect``), a 302 otherwise."""
    if htmx_target(request):
        return HttpResponse(status=200, headers={"HX-Redirect": url})
    return HttpResponseRedirect(url)


# --- Landing pages ------------------------------------------------------------------------------


@method_decorator(never_cache, name="dispatch")
class SpecialistWorkspaceView(RoleWorkspaceView):
    """The search box, the specialist's open contacts, their callbacks and their queue."""

    role = Role.SERVICE_SPECIALIST
    template_name = "workspaces/specialist.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        callbacks = selectors.my_callbacks(user)
        return super().get_context_data(
            search_form=WorkspaceSearchForm(),
            open_interactions=selectors.my_open_interactions(user),
            callbacks=list(callbacks[: selectors.SHOWN]),
            callbacks_count=callbacks.count(),
            counts=tickets.ticket_counts(
                user, tickets.tickets_for(user).filter(queue=Queue.FIRST_CONTACT), timezone.now()
            ),
            **kwargs,
        )


@method_decorator(never_cache, name="dispatch")
class TechSupportWorkspaceView(RoleWorkspaceView):
    """Counts of the fault queue (open, breached, due soon, mine, unassigned) and the
    engineer's own open faults, most urgent first."""

    role = Role.TECH_SUPPORT
    template_name = "workspaces/tech_support.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        faults = tickets.fault_tickets(user).filter(queue=Queue.TECH_SUPPORT)
        now = timezone.now()
        mine = list(
            tickets.fault_tickets(user)
            .filter(assignee=user, status__in=OPEN_STATUSES)
            .order_by(tickets.DEADLINE_FIRST, "urgency", "pk")[: selectors.SHOWN]
        )
        for ticket in mine:
            ticket.breached = ticket.is_breached(now)
        return super().get_context_data(
            counts=tickets.ticket_counts(user, faults, now), my_faults=mine, **kwargs
        )


@method_decorator(never_cache, name="dispatch")
class CoordinatorWorkspaceView(RoleWorkspaceView):
    """Counts of the complaints queue and of open disputes, low scores to review, and the
    breached tickets at the top of the escalation board."""

    role = Role.COMPLAINT_COORDINATOR
    template_name = "workspaces/coordinator.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        now = timezone.now()
        queue = tickets.tickets_for(user).filter(queue=Queue.COMPLAINTS)
        breached = list(
            tickets.escalation_tickets(user)
            .filter(tickets.breached_q(now))
            .order_by(tickets.DEADLINE_FIRST, "pk")[: selectors.SHOWN]
        )
        return super().get_context_data(
            counts=tickets.ticket_counts(user, queue, now),
            disputes=tickets.ticket_counts(user, tickets.dispute_tickets(user), now),
            to_review=tickets.low_score_reviews(user).filter(reviewed_at__isnull=True).count(),
            breached=breached,
            **kwargs,
        )


@method_decorator(never_cache, name="dispatch")
class SalesWorkspaceView(RoleWorkspaceView):
    """This month's sales and the advisor's latest orders."""

    role = Role.SALES_ADVISOR
    template_name = "workspaces/sales.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        return super().get_context_data(
            month=selectors.this_month_sales(user),
            recent_orders=list(
                selectors.my_orders(user).order_by("-created_at", "-pk")[: selectors.SHOWN]
            ),
            **kwargs,
        )


# --- Service specialist: the search box ---------------------------------------------------------


class WorkspaceSearchView(StaffPageMixin, View):
    """One box: a ticket or order number opens it, a phone, customer or ID number finds the
    customer (one match opens the customer page). The number is posted, never put in a URL."""

    portal_roles = CUSTOMER_DESK
    permission_required = ("crm.view_customer", "complaints.view_ticket")

    def get(self, request):
        return self.render_page(WorkspaceSearchForm())

    def post(self, request):
        form = WorkspaceSearchForm(request.POST)
        if not form.is_valid():
            return self.render_page(form, status=400)
        query = form.cleaned_data["q"]
        result = search(request.user, query)
        target = result.single_target
        if isinstance(target, Ticket):
            return go_to(request, reverse("ticket-detail", args=[target.pk]))
        if isinstance(target, ServiceOrder):
            return go_to(request, reverse("crm:order-detail", args=[target.pk]))
        if isinstance(target, Customer):
            return go_to(request, reverse("crm:customer-detail", args=[target.pk]))
        return self.render_page(WorkspaceSearchForm(), result=result, searched_for=mask_pii(query))

    def render_page(self, form, *, result=None, searched_for="", status=200):
        context = {
            "search_form": form,
            "result": result,
            "searched_for": searched_for,
            "kinds": QueryKind,
        }
        template = (
            "workspaces/_search_results.html"
            if htmx_target(self.request) == SEARCH_TARGET
            else "workspaces/search.html"
        )
        return no_cache_varying_on_htmx(render(self.request, template, context, status=status))


# --- Tech-support engineer: the fault queue ----------------------------------------------------


class FaultQueueView(StaffPageMixin, ListPage, View):
    """Fault reports: open ones of the tech-support queue by deadline unless filtered."""

    portal_roles = FAULT_DESK
    permission_required = ("complaints.view_ticket",)
    filterset_class = filters.FaultQueueFilter
    template_name = "workspaces/fault_queue.html"
    results_template = "workspaces/_fault_rows.html"
    default_filters = {"state": "open", "queue": Queue.TECH_SUPPORT.value, "assignee": "all"}
    default_sort = "deadline"

    def get_queryset(self):
        return tickets.fault_tickets(self.request.user)

    def decorate(self, rows):
        now = timezone.now()
        for ticket in rows:
            ticket.breached = ticket.is_breached(now)
            location = ticket.diagnosis_location
            ticket.diagnosis_location_label = (
                FaultLocation(location).label if location in FaultLocation.values else ""
            )


# --- Complaint coordinator: disputes and low-score reviews ---------------------------------------


class DisputeListView(StaffPageMixin, ListPage, View):
    """Billing disputes with the adjustment each granted; resolving (with a credit within the
    approval limit) is the ticket page's."""

    portal_roles = COMPLAINT_DESK
    permission_required = ("complaints.view_ticket",)
    filterset_class = filters.DisputeFilter
    template_name = "workspaces/disputes.html"
    results_template = "workspaces/_dispute_rows.html"
    default_filters = {"state": "open", "assignee": "all"}
    default_sort = "deadline"

    def get_queryset(self):
        return tickets.dispute_tickets(self.request.user)

    def decorate(self, rows):
        now = timezone.now()
        for ticket in rows:
            ticket.breached = ticket.is_breached(now)


class LowScoreListView(StaffPageMixin, ListPage, View):
    """Low satisfaction scores, those still to review first, each with its review form."""

    portal_roles = COMPLAINT_DESK
    permission_required = ("complaints.view_ticket", "complaints.view_survey")
    filterset_class = filters.LowScoreFilter
    template_name = "workspaces/low_scores.html"
    results_template = "workspaces/_low_score_rows.html"
    default_filters = {"reviewed": "to_review", "days": "all"}
    default_sort = "-answered"

    def get_queryset(self):
        return tickets.low_score_reviews(self.request.user)

    def decorate(self, rows):
        for survey in rows:
            survey.reopenable = survey.ticket.status in REOPENABLE
            survey.form = LowScoreReviewForm(auto_id=f"review_{survey.pk}_%s")


class LowScoreReviewView(StaffPageMixin, View):
    """POST: one review of one low score (reopen, callback or note)."""

    portal_roles = COMPLAINT_DESK
    permission_required = ("complaints.view_ticket", "complaints.view_survey")

    def post(self, request, pk):
        try:
            survey = tickets.low_score_reviews(request.user).get(pk=pk)
        except Survey.DoesNotExist as exc:
            raise Http404 from exc
        form = LowScoreReviewForm(request.POST, auto_id=f"review_{pk}_%s")
        if form.is_valid():
            try:
                review_low_score(
                    survey,
                    form.cleaned_data["action"],
                    actor=request.user,
                    note=form.cleaned_data["note"],
                )
            except DOMAIN_ERRORS as exc:
                add_service_error(form, exc)
            else:
                messages.success(
                    request,
                    _("Low score on ticket %(number)s reviewed.")
                    % {"number": survey.ticket.number},
                )
                return HttpResponseRedirect(self.back_url())
        survey.reopenable = survey.ticket.status in REOPENABLE
        context = {"survey": survey, "form": form, "back_url": self.back_url()}
        return no_cache_varying_on_htmx(
            render(request, "workspaces/low_score_review.html", context, status=400)
        )

    def back_url(self) -> str:
        back = self.request.POST.get("next", "")
        if back and url_has_allowed_host_and_scheme(back, allowed_hosts={self.request.get_host()}):
            return back
        return reverse("workspaces:low-scores")


# --- Supervisor: messages that did not go out ---------------------------------------------------


class UndeliveredMessagesView(StaffPageMixin, ListPage, View):
    """Failed and delayed messages (SMS and e-mail) with the outbox's counts, notices whose SMS
    did not all go out, and a button to send them again."""

    portal_roles = (Role.SUPERVISOR,)
    permission_required = ("complaints.view_notification", "crm.view_noticedelivery")
    filterset_class = filters.UndeliveredMessageFilter
    template_name = "workspaces/undelivered.html"
    results_template = "workspaces/_undelivered_rows.html"
    default_filters = {"state": "all"}
    default_sort = "-created"

    def get_queryset(self):
        return tickets.undelivered_messages(self.request.user)

    def extra_context(self) -> dict:
        user = self.request.user
        return {
            "message_counts": outbox.backlog(Notification.objects.all()),
            "notice_counts": outbox.backlog(NoticeDelivery.objects.all()),
            "notices": list(notices_with_undelivered(user)[:NOTICES_SHOWN]),
            "may_retry": user.has_perm("complaints.retry_notification"),
            "may_retry_notices": user.has_perm("crm.retry_noticedelivery"),
        }


class RetryMessagesView(StaffPageMixin, View):
    """POST: send again one message (``message``), every failed or delayed message the filters
    select (``all``, with the page's filters), or one notice's SMS (``notice``)."""

    portal_roles = (Role.SUPERVISOR,)
    permission_required = ("complaints.view_notification",)

    def post(self, request):
        if "notice" in request.POST:
            return self.retry_notice(request)
        if not request.user.has_perm("complaints.retry_notification"):
            raise PermissionDenied
        rows = tickets.undelivered_messages(request.user)
        if "message" in request.POST:
            rows = rows.filter(pk=_id_or_404(request.POST["message"]))
            scope = _("message %(id)s") % {"id": request.POST["message"]}
        else:
            filterset = filters.UndeliveredMessageFilter(request.POST, queryset=rows)
            rows = filterset.qs.order_by()
            scope = _("every message the filters selected")
        count = retry_messages(rows, actor=request.user, scope=scope)
        messages.success(
            request,
            ngettext(
                "%(count)s message will be sent again now.",
                "%(count)s messages will be sent again now.",
                count,
            )
            % {"count": count},
        )
        return HttpResponseRedirect(reverse("workspaces:undelivered"))

    def retry_notice(self, request):
        if not request.user.has_perm("crm.retry_noticedelivery"):
            raise PermissionDenied
        try:
            notice = notices_with_undelivered(request.user).get(
                pk=_id_or_404(request.POST["notice"])
            )
        except Notice.DoesNotExist as exc:
            raise Http404 from exc
        count = retry_notice_deliveries(notice, actor=request.user)
        messages.success(
            request,
            ngettext(
                "%(count)s SMS of the notice “%(title)s” will be sent again now.",
                "%(count)s SMS of the notice “%(title)s” will be sent again now.",
                count,
            )
            % {"count": count, "title": notice.title},
        )
        return HttpResponseRedirect(reverse("workspaces:undelivered"))


def _id_or_404(value: str) -> int:
    if not value.isdigit() or len(value) > 18:
        raise Http404
    return int(value)


# --- Sales advisor: plan recommendation and my sales ---------------------------------------------


class PlanRecommendationView(StaffPageMixin, View):
    """Name the customer, check their identity document (their usage is account detail), pick
    a mobile line: what each plan on sale would have cost over the last three full months, the
    cheapest that carries the usage, and the saving; the plan change is one click away."""

    portal_roles = SALES_DESK
    permission_required = ("crm.view_customer", "billing.view_usagerecord")

    def get(self, request):
        customer_form = OrderCustomerForm(request.GET or None, user=request.user)
        if not customer_form.is_valid():
            if not request.GET:
                customer_form = OrderCustomerForm(user=request.user)
            status = 400 if request.GET else 200
            return self.render_page(customer_form=customer_form, status=status)
        return self.render_customer(customer_form.cleaned_data["customer"])

    def post(self, request):
        """The identity check at the counter, in the advisor's open contact (one is started)."""
        customer_form = OrderCustomerForm(request.POST, user=request.user)
        if not customer_form.is_valid():
            return self.render_page(customer_form=customer_form, status=400)
        customer = customer_form.cleaned_data["customer"]
        form = IdentityCheckForm(request.POST)
        if form.is_valid():
            try:
                verification = verify_document_at_counter(
                    customer,
                    actor=request.user,
                    reason=_("Plan advice"),
                    id_number=form.cleaned_data["id_number"],
                    name=form.cleaned_data["name"],
                )
            except DOMAIN_ERRORS as exc:
                add_service_error(form, exc)
            else:
                if verification.result == VerificationResult.PASSED:
                    messages.success(request, _("Identity document checked."))
                    query = urlencode({"customer": customer.customer_number})
                    return HttpResponseRedirect(f"{reverse('workspaces:recommendation')}?{query}")
                form.add_error(None, _("The document number and name do not match the record."))
        return self.render_customer(customer, identity_form=form, status=400)

    def render_customer(self, customer, *, identity_form=None, status=200):
        user = self.request.user
        access = gate_account_detail(
            user, customer, reason=_("Plan recommendation without caller verification")
        )
        context = {"customer": customer, "verified": access.visible}
        if not access.visible:
            context["identity_form"] = identity_form or IdentityCheckForm()
            return self.render_page(**context, status=status)
        lines = list(
            Subscription.objects.filter(customer=customer, kind=SubscriptionKind.MOBILE)
            .exclude(status=SubscriptionStatus.TERMINATED)
            .order_by("activated_on", "pk")
        )
        chosen = next(
            (line for line in lines if str(line.pk) == self.request.GET.get("line")),
            lines[0] if lines else None,
        )
        recommendation = recommend_plan(chosen) if chosen else None
        if recommendation is not None and recommendation.best is not None:
            context["change_url"] = (
                reverse("crm:order-new")
                + "?"
                + urlencode(
                    {
                        "customer": customer.customer_number,
                        "kind": OrderKind.CHANGE_PLAN,
                        "subscription": chosen.pk,
                        "product": recommendation.best.plan.pk,
                    }
                )
            )
        best = recommendation.best if recommendation is not None else None
        context.update(
            lines=lines,
            line=chosen,
            recommendation=recommendation,
            best_pk=best.plan.pk if best is not None else None,
        )
        return self.render_page(**context, status=status)

    def render_page(self, *, status=200, **context):
        context.setdefault("customer_form", OrderCustomerForm(user=self.request.user))
        return no_cache_varying_on_htmx(
            render(self.request, "workspaces/recommendation.html", context, status=status)
        )


class MySalesView(StaffPageMixin, ListPage, View):
    """The advisor's sales by month (orders and instalment plans), and either list, filtered
    by month, kind and status (``?show=orders`` or ``?show=plans``)."""

    portal_roles = SALES_DESK
    permission_required = ("crm.view_serviceorder", "billing.view_instalmentplan")
    template_name = "workspaces/my_sales.html"
    default_sort = "-created"

    LISTS = {
        "orders": (filters.MyOrdersFilter, "workspaces/_my_order_rows.html"),
        "plans": (filters.MyInstalmentsFilter, "workspaces/_my_plan_rows.html"),
    }

    def get(self, request, *args, **kwargs):
        self.show = request.GET.get("show") if request.GET.get("show") in self.LISTS else "orders"
        self.filterset_class, self.results_template = self.LISTS[self.show]
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if self.show == "plans":
            return selectors.my_instalment_sales(self.request.user)
        return selectors.my_orders(self.request.user)

    def extra_context(self) -> dict:
        return {"show": self.show, "months": selectors.sales_by_month(self.request.user)}
