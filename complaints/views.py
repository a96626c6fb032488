"""Portal pages of the complaints app: the customer's own tickets (``my/tickets/``), the one-time
survey page (``survey/<token>/``, no login) and the staff pages under ``workspace/``: the ticket
queue, a ticket with its actions, opening a ticket for a customer, the escalation board and the
callbacks.

Views are thin: reads start from ``complaints.selectors`` (a ticket outside the user's scope is
the same 404 as a missing one), each POST calls one service and redirects with a message, and a
service's refusal is shown on the form that asked (400), never as a 500. Who may change a
ticket is ``permissions.can_work_ticket``, asked once per ticket page, never per list row.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.cache import never_cache

from complaints import selectors
from complaints.choices import (
    REOPENABLE,
    TICKET_TRANSITIONS,
    CallbackOutcome,
    FaultLocation,
    NoteKind,
    NoteVisibility,
    Priority,
    Queue,
    ReviewAction,
    SurveyStatus,
    TicketEventKind,
    TicketKind,
    TicketStatus,
)
from complaints.forms import (
    AssignForm,
    AttachmentForm,
    CallbackForm,
    ConfirmForm,
    CustomerTicketForm,
    DiagnosisForm,
    HallVisitSurveyForm,
    NoteForm,
    NoteReasonForm,
    PriorityForm,
    ReasonForm,
    ReopenForm,
    ReplyForm,
    ResolveForm,
    StaffTicketForm,
    SurveyForm,
)
from complaints.models import Callback, Survey, Ticket, TicketAttachment, TicketEvent, TicketNote
from complaints.permissions import COMPLAINT_DESK, can_work_ticket, queues_of
from complaints.services import (
    add_attachment,
    add_diagnosis,
    add_note,
    assign_ticket,
    change_priority,
    escalate_ticket,
    may_own,
    open_ticket,
    reopen_ticket,
    resolve_ticket,
    transition_ticket,
)
from complaints.surveys import answer_survey, complete_callback, survey_from_token, survey_token
from crm.choices import Channel
from crm.models import Customer
from crm.selectors import customers_for, open_interaction_with
from crm.views import CUSTOMER_DESK, StaffPageMixin
from portal.roles import ROLE_SPECS, STAFF_ROLES
from portal.web import DOMAIN_ERRORS, add_service_error, no_cache, page_number

TICKETS_PER_PAGE = 25
CALLBACKS_PER_PAGE = 25
NOTIFICATIONS_SHOWN = 5
LOW_SCORES_SHOWN = 50


# The page title of a customer's new ticket, by the kind chosen on the home page.
NEW_TICKET_TITLES = {
    TicketKind.FAULT: gettext_lazy("Report a fault"),
    TicketKind.COMPLAINT: gettext_lazy("File a complaint"),
    TicketKind.BILLING_DISPUTE: gettext_lazy("Dispute a charge"),
    TicketKind.INQUIRY: gettext_lazy("Ask a question"),
}


# --- The timeline -----------------------------------------------------------------------------


@dataclass
class TimelineEntry:
    """One line of a ticket's history: an event or a note, in the order they happened."""

    at: datetime.datetime
    title: str
    who: str = ""
    detail: str = ""
    note: TicketNote | None = None
    css: str = "event"


def _label(choices, value: str) -> str:
    return str(choices(value).label) if value in choices.values else value


def _who(user, ticket: Ticket) -> str:
    """Who did it, as staff read it: a customer's login (often their phone number) and name
    are personal data, so the customer shows as their masked name."""
    if user is None:
        return _("System")
    if user.pk == ticket.customer.user_id:
        return _("Customer %(name)s") % {"name": ticket.customer.masked_name}
    return user.get_full_name() or user.get_username()


def describe_event(event: TicketEvent) -> str:
    """What an event says, in words (labels, not stored values)."""
    old, new = event.from_value, event.to_value
    if event.kind == TicketEventKind.STATUS:
        if not old:
            return _("Ticket opened")
        return _("Status: %(old)s → %(new)s") % {
            "old": _label(TicketStatus, old),
            "new": _label(TicketStatus, new),
        }
    if event.kind == TicketEventKind.ASSIGNMENT:
        return _("Assigned to %(user)s") % {"user": new}
    if event.kind == TicketEventKind.ESCALATION:
        return _("Moved from the %(old)s queue to the %(new)s queue") % {
            "old": _label(Queue, old),
            "new": _label(Queue, new),
        }
    if event.kind == TicketEventKind.PRIORITY:
        return _("Priority: %(old)s → %(new)s") % {
            "old": _label(Priority, old),
            "new": _label(Priority, new),
        }
    if event.kind == TicketEventKind.ADJUSTMENT:
        return _("Billing adjustment of %(amount)s yuan") % {"amount": new}
    if event.kind == TicketEventKind.REVIEW:
        return _("Low score reviewed: %(action)s") % {"action": _label(ReviewAction, new)}
    if event.kind == TicketEventKind.SURVEY:
        if new == SurveyStatus.SENT:
            return _("Satisfaction survey sent")
        if new.isdigit():
            return _("Survey answered: %(score)s of 5") % {"score": new}
        return _("Callback: %(outcome)s") % {"outcome": _label(CallbackOutcome, new)}
    return _label(TicketEventKind, event.kind)


def staff_timeline(ticket: Ticket) -> list[TimelineEntry]:
    """Every event and every note, from the prefetched rows (no query)."""
    entries = [
        TimelineEntry(
            at=event.created_at,
            title=describe_event(event),
            who=_who(event.actor, ticket),
            detail=event.reason,
            css=f"event event-{event.kind}",
        )
        for event in ticket.events.all()
    ]
    entries += [
        TimelineEntry(
            at=note.created_at,
            title=_note_title(note),
            who=_who(note.author, ticket),
            note=note,
            css=f"note note-{note.visibility} note-{note.kind}",
        )
        for note in ticket.notes.all()
    ]
    return sorted(entries, key=lambda entry: entry.at)


def _note_title(note: TicketNote) -> str:
    """A diagnosis says where the fault lies; other notes say who can read them."""
    if note.kind == NoteKind.DIAGNOSIS:
        return _("Diagnosis: %(location)s") % {
            "location": _label(FaultLocation, note.fault_location)
        }
    return _label(NoteVisibility, note.visibility)


def customer_timeline(ticket: Ticket, customer_user) -> list[TimelineEntry]:
    """Status changes and the customer-visible notes (the selector already left out the internal
    ones); staff names and internal reasons stay inside."""
    entries = [
        TimelineEntry(at=event.created_at, title=describe_event(event), css="event event-status")
        for event in ticket.events.all()
        if event.kind == TicketEventKind.STATUS
    ]
    entries += [
        TimelineEntry(
            at=note.created_at,
            title=_("You wrote") if note.author_id == customer_user.pk else _("Customer service"),
            note=note,
            css="note note-customer",
        )
        for note in ticket.notes.all()
        if note.visibility == NoteVisibility.CUSTOMER
    ]
    return sorted(entries, key=lambda entry: entry.at)


def open_survey(ticket: Ticket) -> Survey | None:
    """The survey the customer can still answer, from the prefetched surveys."""
    return next(
        (
            survey
            for survey in ticket.surveys.all()
            if survey.status in (SurveyStatus.SENT, SurveyStatus.CALLBACK)
        ),
        None,
    )


# --- The customer's own tickets ---------------------------------------------------------------


class CustomerTicketMixin(LoginRequiredMixin):
    """Pages of the customer portal: a signed-in customer's own tickets only."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not selectors.is_customer(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_customer(self) -> Customer:
        customer = customers_for(self.request.user).filter(user=self.request.user).first()
        if customer is None:
            raise Http404(_("No customer record is linked to this login."))
        return customer

    def get_ticket(self, pk: int) -> Ticket:
        try:
            return selectors.ticket_detail(self.request.user, pk)
        except Ticket.DoesNotExist as exc:
            raise Http404 from exc


class CustomerListPage(CustomerTicketMixin, View):
    """One page of a customer's own rows, newest first."""

    template_name: str
    rows_name: str

    def rows(self, user):
        raise NotImplementedError

    def get(self, request):
        page = Paginator(self.rows(request.user), TICKETS_PER_PAGE).get_page(page_number(request))
        context = {"page_obj": page, self.rows_name: list(page.object_list)}
        return no_cache(render(request, self.template_name, context))


class CustomerTicketListView(CustomerListPage):
    template_name, rows_name = "complaints/customer_ticket_list.html", "tickets"
    rows = staticmethod(selectors.customer_tickets)


class CustomerMessageListView(CustomerListPage):
    """The customer's messages: every SMS and e-mail the site queued for them, sent or not."""

    template_name, rows_name = "complaints/customer_message_list.html", "messages_sent"
    rows = staticmethod(selectors.customer_messages)


class CustomerTicketNewView(CustomerTicketMixin, View):
    """Report a fault, file a complaint, dispute a charge or ask a question, with a photo."""

    def get(self, request):
        customer = self.get_customer()
        kind = request.GET.get("kind")
        initial = {"kind": kind} if kind in TicketKind.values else {}
        form = CustomerTicketForm(user=request.user, customer=customer, initial=initial)
        return self.render_page(form, kind)

    def post(self, request):
        customer = self.get_customer()
        form = CustomerTicketForm(request.POST, request.FILES, user=request.user, customer=customer)
        if not form.is_valid():
            return self.render_page(form, request.POST.get("kind"), status=400)
        data = form.cleaned_data
        try:
            # The ticket and its photo together: a refused file leaves no ticket behind.
            with transaction.atomic():
                ticket = open_ticket(
                    kind=data["kind"],
                    category=data["category"],
                    customer=customer,
                    subscription=data["subscription"],
                    subject=data["subject"],
                    description=data["description"],
                    channel=Channel.WEB_PORTAL,
                    actor=request.user,
                )
                if data["attachment"]:
                    add_attachment(ticket, data["attachment"], actor=request.user)
        except DOMAIN_ERRORS as exc:
            add_service_error(form, exc, CustomerTicketForm.ERROR_FIELDS)
            return self.render_page(form, data["kind"], status=400)
        messages.success(
            request,
            _("Ticket %(number)s received. We will keep you informed by SMS.")
            % {"number": ticket.number},
        )
        return HttpResponseRedirect(reverse("customer-ticket-detail", args=[ticket.pk]))

    def render_page(self, form, kind, *, status=200) -> HttpResponse:
        title = NEW_TICKET_TITLES.get(kind, gettext_lazy("New ticket"))
        context = {"form": form, "title": title}
        return render(self.request, "complaints/customer_ticket_new.html", context, status=status)


# What a customer can do on their ticket: form, service call, success message.
CUSTOMER_ACTIONS: dict[str, tuple[type, Callable, Promise]] = {
    "reply": (
        ReplyForm,
        lambda ticket, data, user: add_note(
            ticket, author=user, body=data["body"], visibility=NoteVisibility.CUSTOMER
        ),
        gettext_lazy("Your message was added to the ticket."),
    ),
    "attach": (
        AttachmentForm,
        lambda ticket, data, user: add_attachment(ticket, data["file"], actor=user),
        gettext_lazy("Your file was added to the ticket."),
    ),
    "reopen": (
        ReopenForm,
        lambda ticket, data, user: reopen_ticket(ticket, actor=user, reason=data["reason"]),
        gettext_lazy("The ticket is open again: we will get back to you."),
    ),
}


class CustomerTicketPage(CustomerTicketMixin):
    def render_page(self, ticket: Ticket, *, status=200, **forms) -> HttpResponse:
        user = self.request.user
        survey = open_survey(ticket)
        context = {
            "ticket": ticket,
            "timeline": customer_timeline(ticket, user),
            "attachments": list(ticket.attachments.all()),
            "survey_url": reverse("survey-answer", args=[survey_token(survey)]) if survey else None,
            "may_reply": ticket.is_open,
            "may_reopen": ticket.status in REOPENABLE,
            "reply_form": ReplyForm(auto_id="reply_%s"),
            "attach_form": AttachmentForm(auto_id="attach_%s"),
            "reopen_form": ReopenForm(auto_id="reopen_%s"),
            **forms,
        }
        response = render(
            self.request, "complaints/customer_ticket_detail.html", context, status=status
        )
        return no_cache(response)


class CustomerTicketDetailView(CustomerTicketPage, View):
    def get(self, request, pk):
        return self.render_page(self.get_ticket(pk))


class CustomerTicketActionView(CustomerTicketPage, View):
    def post(self, request, pk, action):
        if action not in CUSTOMER_ACTIONS:
            raise Http404
        ticket = self.get_ticket(pk)
        form_class, perform, done = CUSTOMER_ACTIONS[action]
        form = form_class(request.POST, request.FILES, auto_id=f"{action}_%s")
        if form.is_valid():
            try:
                perform(ticket, form.cleaned_data, request.user)
            except DOMAIN_ERRORS as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, str(done))
                return HttpResponseRedirect(reverse("customer-ticket-detail", args=[ticket.pk]))
        return self.render_page(ticket, status=400, **{f"{action}_form": form})


# --- Attachments --------------------------------------------------------------------------------


class TicketAttachmentView(LoginRequiredMixin, View):
    """Download a file of a ticket the user may read: staff with ``complaints.view_ticket`` or
    the customer whose ticket it is (``selectors.tickets_for``); anything else is 404.

    Always a download, under the server's name with the detected type (never the uploader's
    name); ``nosniff`` (SecurityMiddleware, on every response) keeps browsers from reading it as
    anything else."""

    def get(self, request, pk):
        try:
            attachment = TicketAttachment.objects.select_related("ticket").get(
                pk=pk, ticket__in=selectors.tickets_for(request.user)
            )
        except TicketAttachment.DoesNotExist as exc:
            raise Http404 from exc
        response = FileResponse(
            attachment.file.open("rb"),
            as_attachment=True,
            filename=attachment.download_name,
            content_type=attachment.content_type,
        )
        return no_cache(response)


# --- The satisfaction survey (no login) ---------------------------------------------------------


@method_decorator(never_cache, name="dispatch")
class SurveyAnswerView(View):
    """The link in the survey SMS: one page, one answer; a second visit shows it was answered."""

    def get_survey(self, token: str) -> Survey:
        try:
            return survey_from_token(token)
        except Survey.DoesNotExist as exc:
            raise Http404 from exc

    @staticmethod
    def form_class(survey: Survey):
        # A hall visit (about an order) is rated without the "resolved?" question.
        return HallVisitSurveyForm if survey.service_order_id else SurveyForm

    def get(self, request, token):
        survey = self.get_survey(token)
        return self.render_page(survey, self.form_class(survey)())

    def post(self, request, token):
        survey = self.get_survey(token)
        if survey.status not in (SurveyStatus.SENT, SurveyStatus.CALLBACK):
            return self.render_page(survey, None, status=409)
        form = self.form_class(survey)(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                answer_survey(
                    survey,
                    score=data["score"],
                    resolved=data.get("resolved"),
                    comment=data["comment"],
                )
            except DOMAIN_ERRORS as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("Thank you for your answer."))
                return HttpResponseRedirect(request.path)
        return self.render_page(survey, form, status=400)

    def render_page(self, survey: Survey, form, *, status=200) -> HttpResponse:
        if survey.status == SurveyStatus.ANSWERED:
            state = "answered"
        elif survey.status in (SurveyStatus.SENT, SurveyStatus.CALLBACK):
            state = "open"
        else:
            state = "closed"
        context = {
            "survey": survey,
            "ticket": survey.ticket,
            "order": survey.service_order,
            "state": state,
            "form": form if state == "open" else None,
        }
        return render(self.request, "complaints/survey.html", context, status=status)


# --- Staff: the ticket queue --------------------------------------------------------------------


class StaffTicketMixin(StaffPageMixin):
    """Any staff role's page that reads tickets; others get 403."""

    portal_roles = STAFF_ROLES
    permission_required = ("complaints.view_ticket",)


class TicketQueueView(StaffTicketMixin, View):
    """Open tickets of the user's queues, most urgent deadline first, breached ones marked."""

    def get(self, request):
        user = request.user
        queues = queues_of(user)
        mine = request.GET.get("mine") == "1"
        queue = request.GET.get("queue") or None
        if queue not in queues:
            queue = None
        tickets = selectors.queue_tickets(user, queue=queue, mine=mine)
        if queue is not None:
            # The selector also keeps the user's own tickets of other queues; a tab is one queue.
            tickets = tickets.filter(queue=queue)
        page = Paginator(tickets, TICKETS_PER_PAGE).get_page(page_number(request))
        now = timezone.now()
        rows = list(page.object_list)
        for ticket in rows:
            ticket.breached = ticket.is_breached(now)
        context = {
            "page_obj": page,
            "tickets": rows,
            "tabs": [(value, Queue(value).label) for value in queues],
            "queue": queue,
            "mine": mine,
            "notifications": selectors.notifications_for(user, limit=NOTIFICATIONS_SHOWN),
        }
        return no_cache(render(request, "complaints/ticket_queue.html", context))


# --- Staff: one ticket and its actions ----------------------------------------------------------


def _may_move_to(status: str) -> Callable[[Ticket, Any], bool]:
    return lambda ticket, user: status in TICKET_TRANSITIONS.get(ticket.status, frozenset())


@dataclass(frozen=True)
class TicketAction:
    """One thing a staff member who works the ticket can do from its page."""

    label: Promise
    form_class: type
    perform: Callable[[Ticket, dict, Any], Any]
    done: Promise
    available: Callable[[Ticket, Any], bool]
    needs_ticket: bool = False
    button: str = ""
    initial: Callable[[Ticket], dict] | None = None

    def form(self, name: str, ticket: Ticket, data=None) -> Any:
        kwargs = {"ticket": ticket} if self.needs_ticket else {}
        initial = self.initial(ticket) if self.initial else None
        return self.form_class(data, auto_id=f"{name}_%s", initial=initial, **kwargs)


def _is_open(ticket: Ticket, user) -> bool:
    return ticket.is_open


# In the order the page shows them.
TICKET_ACTIONS: dict[str, TicketAction] = {
    "take": TicketAction(
        label=gettext_lazy("Take this ticket"),
        form_class=ConfirmForm,
        perform=lambda ticket, data, user: assign_ticket(ticket, user, actor=user),
        done=gettext_lazy("Ticket %(number)s is yours."),
        available=lambda ticket, user: (
            ticket.is_open and ticket.assignee_id != user.pk and may_own(user, ticket.queue)
        ),
    ),
    "start": TicketAction(
        label=gettext_lazy("Start work"),
        form_class=NoteReasonForm,
        perform=lambda ticket, data, user: transition_ticket(
            ticket, TicketStatus.IN_PROGRESS, actor=user, reason=data["reason"]
        ),
        done=gettext_lazy("Ticket %(number)s is in progress."),
        available=_may_move_to(TicketStatus.IN_PROGRESS),
    ),
    "wait": TicketAction(
        label=gettext_lazy("Wait for the customer"),
        form_class=NoteReasonForm,
        perform=lambda ticket, data, user: transition_ticket(
            ticket, TicketStatus.WAITING_CUSTOMER, actor=user, reason=data["reason"]
        ),
        done=gettext_lazy("Ticket %(number)s waits for the customer: the SLA clock is paused."),
        available=_may_move_to(TicketStatus.WAITING_CUSTOMER),
        button="secondary",
    ),
    "resolve": TicketAction(
        label=gettext_lazy("Resolve"),
        form_class=ResolveForm,
        perform=lambda ticket, data, user: resolve_ticket(
            ticket,
            actor=user,
            resolution=data["resolution"],
            adjustment_amount=data.get("adjustment_amount"),
            adjustment_reason=data.get("adjustment_reason", ""),
        ),
        done=gettext_lazy("Ticket %(number)s is resolved."),
        available=_may_move_to(TicketStatus.RESOLVED),
        needs_ticket=True,
    ),
    "close": TicketAction(
        label=gettext_lazy("Close"),
        form_class=NoteReasonForm,
        perform=lambda ticket, data, user: transition_ticket(
            ticket, TicketStatus.CLOSED, actor=user, reason=data["reason"]
        ),
        done=gettext_lazy("Ticket %(number)s is closed."),
        available=_may_move_to(TicketStatus.CLOSED),
    ),
    "reopen": TicketAction(
        label=gettext_lazy("Reopen"),
        form_class=ReasonForm,
        perform=lambda ticket, data, user: reopen_ticket(ticket, actor=user, reason=data["reason"]),
        done=gettext_lazy("Ticket %(number)s is open again."),
        available=lambda ticket, user: ticket.status in REOPENABLE,
        button="secondary",
    ),
    "assign": TicketAction(
        label=gettext_lazy("Assign"),
        form_class=AssignForm,
        perform=lambda ticket, data, user: assign_ticket(
            ticket, data["assignee"], actor=user, reason=data["reason"]
        ),
        done=gettext_lazy("Ticket %(number)s was assigned."),
        available=_is_open,
        needs_ticket=True,
        button="secondary",
    ),
    "escalate": TicketAction(
        label=gettext_lazy("Escalate"),
        form_class=ReasonForm,
        perform=lambda ticket, data, user: escalate_ticket(
            ticket, actor=user, reason=data["reason"]
        ),
        done=gettext_lazy("Ticket %(number)s was escalated."),
        available=lambda ticket, user: ticket.is_open and ticket.queue != Queue.SUPERVISOR,
        button="secondary",
    ),
    "priority": TicketAction(
        label=gettext_lazy("Change priority"),
        form_class=PriorityForm,
        perform=lambda ticket, data, user: change_priority(
            ticket, data["priority"], actor=user, reason=data["reason"]
        ),
        done=gettext_lazy("The priority of ticket %(number)s was changed."),
        available=_is_open,
        button="secondary",
        initial=lambda ticket: {"priority": ticket.priority},
    ),
    "diagnose": TicketAction(
        label=gettext_lazy("Record a diagnosis"),
        form_class=DiagnosisForm,
        perform=lambda ticket, data, user: add_diagnosis(
            ticket, author=user, fault_location=data["fault_location"], body=data["body"]
        ),
        done=gettext_lazy("The diagnosis was added to ticket %(number)s."),
        available=lambda ticket, user: ticket.is_open and ticket.kind == TicketKind.FAULT,
        button="secondary",
    ),
    "note": TicketAction(
        label=gettext_lazy("Add note"),
        form_class=NoteForm,
        perform=lambda ticket, data, user: add_note(
            ticket, author=user, body=data["body"], visibility=data["visibility"]
        ),
        done=gettext_lazy("The note was added."),
        available=lambda ticket, user: True,
        button="secondary",
    ),
    "cancel": TicketAction(
        label=gettext_lazy("Cancel ticket"),
        form_class=ReasonForm,
        perform=lambda ticket, data, user: transition_ticket(
            ticket, TicketStatus.CANCELLED, actor=user, reason=data["reason"]
        ),
        done=gettext_lazy("Ticket %(number)s was cancelled."),
        available=_may_move_to(TicketStatus.CANCELLED),
        button="contrast outline",
    ),
}


@dataclass
class ActionForm:
    name: str
    action: TicketAction
    form: Any


class StaffTicketPage(StaffTicketMixin):
    def get_ticket(self, pk: int) -> Ticket:
        try:
            return selectors.ticket_detail(self.request.user, pk)
        except Ticket.DoesNotExist as exc:
            raise Http404 from exc

    def render_page(
        self, ticket: Ticket, *, failed: ActionForm | None = None, status=200
    ) -> HttpResponse:
        user = self.request.user
        may_work = can_work_ticket(user, ticket)
        action_forms = []
        if may_work:
            for name, action in TICKET_ACTIONS.items():
                if failed is not None and failed.name == name:
                    action_forms.append(failed)
                elif action.available(ticket, user):
                    action_forms.append(ActionForm(name, action, action.form(name, ticket)))
        now = timezone.now()
        context = {
            "ticket": ticket,
            "opened_by": _who(ticket.created_by, ticket),
            "timeline": staff_timeline(ticket),
            "attachments": list(ticket.attachments.all()),
            "surveys": list(ticket.surveys.all()),
            "breached": ticket.is_breached(now),
            "response_breached": (
                ticket.is_open
                and ticket.first_response_at is None
                and ticket.paused_at is None
                and ticket.response_due_at is not None
                and ticket.response_due_at < now
            ),
            "may_work": may_work,
            "action_forms": action_forms,
            "may_open_customer": any(
                user.has_perm(ROLE_SPECS[role].permission) for role in CUSTOMER_DESK
            ),
        }
        response = render(self.request, "complaints/ticket_detail.html", context, status=status)
        return no_cache(response)


class TicketDetailView(StaffTicketPage, View):
    def get(self, request, pk):
        return self.render_page(self.get_ticket(pk))


class TicketActionView(StaffTicketPage, View):
    """A POST from the ticket page: only for who works the ticket (403 for the others)."""

    def post(self, request, pk, action):
        if action not in TICKET_ACTIONS:
            raise Http404
        ticket = self.get_ticket(pk)
        if not can_work_ticket(request.user, ticket):
            raise PermissionDenied
        spec = TICKET_ACTIONS[action]
        form = spec.form(action, ticket, request.POST)
        if form.is_valid():
            try:
                spec.perform(ticket, form.cleaned_data, request.user)
            except DOMAIN_ERRORS as exc:
                add_service_error(form, exc, getattr(form, "ERROR_FIELDS", None))
            else:
                messages.success(request, str(spec.done) % {"number": ticket.number})
                return HttpResponseRedirect(reverse("ticket-detail", args=[ticket.pk]))
        return self.render_page(ticket, failed=ActionForm(action, spec, form), status=400)


# --- Staff: opening a ticket for a customer -----------------------------------------------------


class TicketNewView(StaffTicketMixin, View):
    permission_required = ("complaints.view_ticket", "complaints.add_ticket")

    def get_customer(self) -> Customer:
        try:
            return customers_for(self.request.user).get(pk=self.kwargs["customer_pk"])
        except Customer.DoesNotExist as exc:
            raise Http404 from exc

    def get(self, request, customer_pk):
        customer = self.get_customer()
        form = StaffTicketForm(user=request.user, customer=customer, initial={"channel": "hotline"})
        return self.render_page(customer, form)

    def post(self, request, customer_pk):
        customer = self.get_customer()
        form = StaffTicketForm(request.POST, user=request.user, customer=customer)
        if form.is_valid():
            try:
                ticket = open_ticket(
                    customer=customer,
                    actor=request.user,
                    interaction=open_interaction_with(request.user, customer),
                    **form.service_kwargs(),
                )
            except DOMAIN_ERRORS as exc:
                add_service_error(form, exc)
            else:
                messages.success(
                    request,
                    _(
                        "Ticket %(number)s opened in the queue of %(queue)s: tell the customer "
                        "this number."
                    )
                    % {"number": ticket.number, "queue": Queue(ticket.queue).label},
                )
                return HttpResponseRedirect(reverse("ticket-detail", args=[ticket.pk]))
        return self.render_page(customer, form, status=400)

    def render_page(self, customer, form, *, status=200) -> HttpResponse:
        user = self.request.user
        context = {
            "customer": customer,
            "form": form,
            "may_open_customer": any(
                user.has_perm(ROLE_SPECS[role].permission) for role in CUSTOMER_DESK
            ),
        }
        return render(self.request, "complaints/ticket_new.html", context, status=status)


# --- Staff: escalation board and callbacks ------------------------------------------------------


class EscalationBoardView(StaffTicketMixin, View):
    """Open complaints-side tickets by SLA state, and the recent low survey scores."""

    portal_roles = COMPLAINT_DESK

    def get(self, request):
        board = selectors.escalation_board(request.user)
        columns = [
            ("breached", _("Breached"), board["breached"]),
            ("due_soon", _("Due within 2 hours"), board["due_soon"]),
            ("on_track", _("On track"), board["on_track"]),
            ("paused", _("Paused: waiting for the customer"), board["paused"]),
        ]
        context = {
            "columns": columns,
            "low_scores": list(selectors.low_score_surveys(request.user)[:LOW_SCORES_SHOWN]),
        }
        return no_cache(render(request, "complaints/escalation_board.html", context))


class CallbackPage(StaffPageMixin):
    portal_roles = STAFF_ROLES
    permission_required = ("complaints.view_callback",)

    # ?assignee= narrows the list, ?sort= orders it (due first by default).
    ASSIGNEE_FILTERS = {
        "mine": lambda callbacks, user: callbacks.filter(assignee=user),
        "unassigned": lambda callbacks, user: callbacks.filter(assignee__isnull=True),
    }
    SORTS = {"due": ("due_at", "pk"), "-due": ("-due_at", "-pk")}

    def render_page(self, *, failed: tuple[int, Any] | None = None, status=200) -> HttpResponse:
        user = self.request.user
        callbacks = selectors.callbacks_for(user)
        assignee = self.request.GET.get("assignee", "")
        if assignee in self.ASSIGNEE_FILTERS:
            callbacks = self.ASSIGNEE_FILTERS[assignee](callbacks, user)
        sort = self.request.GET.get("sort", "due")
        callbacks = callbacks.order_by(*self.SORTS.get(sort, self.SORTS["due"]))
        page = Paginator(callbacks, CALLBACKS_PER_PAGE).get_page(page_number(self.request))
        rows = list(page.object_list)
        may_complete = user.has_perm("complaints.change_callback")
        failed_row = None
        for callback in rows:
            if failed is not None and failed[0] == callback.pk:
                callback.form = failed[1]
            elif may_complete:
                callback.form = CallbackForm(auto_id=f"callback_{callback.pk}_%s")
            else:
                callback.form = None
        if failed is not None and failed[0] not in {callback.pk for callback in rows}:
            failed_row = failed[1]
        context = {
            "page_obj": page,
            "callbacks": rows,
            "may_complete": may_complete,
            "failed_form": failed_row,
            "assignee": assignee if assignee in self.ASSIGNEE_FILTERS else "",
            "sort": sort if sort in self.SORTS else "due",
        }
        response = render(self.request, "complaints/callback_list.html", context, status=status)
        return no_cache(response)


class CallbackListView(CallbackPage, View):
    def get(self, request):
        return self.render_page()


class CallbackCompleteView(CallbackPage, View):
    permission_required = ("complaints.view_callback", "complaints.change_callback")

    def post(self, request, pk):
        try:
            callback = selectors.callbacks_for(request.user, open_only=False).get(pk=pk)
        except Callback.DoesNotExist as exc:
            raise Http404 from exc
        form = CallbackForm(request.POST, auto_id=f"callback_{pk}_%s")
        if form.is_valid():
            data = form.cleaned_data
            try:
                complete_callback(
                    callback,
                    actor=request.user,
                    outcome=data["outcome"],
                    score=data["score"],
                    note=data["note"],
                )
            except DOMAIN_ERRORS as exc:
                add_service_error(form, exc)
            else:
                messages.success(
                    request,
                    _("Callback for ticket %(number)s recorded.")
                    % {"number": callback.ticket.number},
                )
                return HttpResponseRedirect(reverse("callback-list"))
        return self.render_page(failed=(callback.pk, form), status=400)
