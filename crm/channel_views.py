"""Portal pages of the contact channels.

Customers and visitors: ``chat/`` (start; a visitor confirms a phone number by SMS code first),
``chat/<token>/`` (the conversation, polled by ``static/js/chat.js``), ``help/`` (the public
knowledge base), ``my/agreements/``. Staff: ``workspace/contact-centre/`` (presence, the chat
queue, calls; new offers pop up), ``workspace/chats/<pk>/`` (the desk: transcript, the customer
beside it, canned answers, articles, ticket), ``workspace/calls/<pk>/`` (the screen pop with the
verification step), ``workspace/ivr-simulator/``.

Views are thin: reads come from ``crm.channel_selectors``, each POST calls one service and
redirects (or answers JSON to the page's script), and a refusal is shown on the form that asked.
A chat page is reachable by its customer's login or by the browser session that confirmed it;
anything else is the same 404 as a missing chat.
"""

import uuid

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache

from crm import agreements, chat, knowledge, telephony
from crm.channel_choices import CallStatus, ChatSender, ChatStatus
from crm.channel_forms import (
    ArticleFeedbackForm,
    ArticleSendForm,
    CallIdentifyForm,
    CallWrapUpForm,
    CannedAnswerForm,
    ChatEndForm,
    ChatMessageForm,
    ChatRateForm,
    ChatStartForm,
    ChatTicketForm,
    HelpSearchForm,
    IvrSimulatorForm,
    LeaveMessageForm,
    PresenceForm,
    VisitorCodeForm,
    VisitorStartForm,
)
from crm.channel_models import ChatSession, InboundCall, KnowledgeArticle, ServiceAgreement
from crm.channel_selectors import (
    agreements_for,
    articles_for,
    call_desk,
    chat_desk,
    chat_messages,
    console_state,
    customer_history,
    sees_staff_articles,
)
from crm.contact_centre import agents_available, set_presence, touch_presence
from crm.models import Customer
from crm.selectors import customers_for, is_customer_user
from crm.views import StaffPageMixin
from portal.roles import Role
from portal.web import DOMAIN_ERRORS, add_service_error, error_message, no_cache, page_number

SESSION_CHATS = "chat_tokens"
SESSION_VISITOR = "visitor_chat"
HELP_PER_PAGE = 20
AGREEMENTS_PER_PAGE = 25
CONSOLE_DESK = (
    Role.SERVICE_SPECIALIST,
    Role.TECH_SUPPORT,
    Role.COMPLAINT_COORDINATOR,
    Role.SUPERVISOR,
)


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _message_rows(rows, *, staff: bool) -> list[dict]:
    """Messages as the page's script shows them."""
    labels = {
        ChatSender.CUSTOMER: _("You") if not staff else _("Customer"),
        ChatSender.AGENT: _("Service specialist") if not staff else _("You"),
        ChatSender.SYSTEM: _("System"),
    }
    return [
        {
            "id": message.pk,
            "sender": message.sender,
            "who": str(labels[message.sender]),
            "body": message.body,
            "at": timezone.localtime(message.created_at).strftime("%H:%M"),
            "article_title": message.article.title if message.article_id else "",
            "article_url": (
                reverse("crm-channels:help-article", args=[message.article.slug])
                if message.article_id
                else ""
            ),
        }
        for message in rows
    ]


# --- Customers and visitors: the chat ----------------------------------------------------------


@method_decorator(never_cache, name="dispatch")
class ChatStartView(View):
    """Start a chat: a signed-in customer names the topic; a visitor also gives a phone number,
    which is confirmed by an SMS code. The answer to a visitor is the same whether the number
    is known or not."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not is_customer_user(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def form_class(self):
        return ChatStartForm if request_is_customer(self.request) else VisitorStartForm

    def get(self, request):
        return self.render_page(self.form_class()())

    def post(self, request):
        form = self.form_class()(request.POST)
        if not form.is_valid():
            return self.render_page(form, status=400)
        try:
            if request_is_customer(request):
                customer = Customer.objects.filter(user=request.user).first()
                if customer is None:
                    raise Http404(_("No customer record is linked to this login."))
                started = chat.start_chat(
                    customer=customer, topic=form.cleaned_data["topic"], actor=request.user
                )
                return HttpResponseRedirect(reverse("crm-channels:chat-room", args=[started.token]))
            started = chat.begin_visitor_chat(
                phone=form.cleaned_data["phone"], topic=form.cleaned_data["topic"]
            )
        except DOMAIN_ERRORS as exc:
            add_service_error(form, exc)
            return self.render_page(form, status=400)
        # A decoy token for unknown numbers: the next page looks the same either way.
        request.session[SESSION_VISITOR] = str(started.token if started else uuid.uuid4())
        messages.success(
            request,
            _("If this number is one of ours, we have just texted a code to it."),
        )
        return HttpResponseRedirect(reverse("crm-channels:chat-confirm"))

    def render_page(self, form, *, status=200):
        context = {"form": form, "agents_available": agents_available()}
        return render(self.request, "crm/channels/chat_start.html", context, status=status)


def request_is_customer(request) -> bool:
    return is_customer_user(request.user)


@method_decorator(never_cache, name="dispatch")
class ChatConfirmView(View):
    """The visitor types the SMS code; right, the chat joins the queue."""

    def pending_chat(self) -> ChatSession | None:
        token = self.request.session.get(SESSION_VISITOR)
        if not token:
            return None
        return ChatSession.objects.filter(token=token, status=ChatStatus.VERIFYING).first()

    def get(self, request):
        if not request.session.get(SESSION_VISITOR):
            return HttpResponseRedirect(reverse("crm-channels:chat-start"))
        return self.render_page(VisitorCodeForm())

    def post(self, request):
        form = VisitorCodeForm(request.POST)
        if not form.is_valid():
            return self.render_page(form, status=400)
        pending = self.pending_chat()
        confirmed = None
        if pending is not None:
            try:
                confirmed = chat.confirm_visitor_chat(pending, code=form.cleaned_data["code"])
            except DOMAIN_ERRORS as exc:
                add_service_error(form, exc)
                return self.render_page(form, status=400)
        if confirmed is None or confirmed.status != ChatStatus.WAITING:
            request.session.pop(SESSION_VISITOR, None)
            form.add_error("code", _("The code is wrong or has expired: start again."))
            return self.render_page(form, status=400)
        request.session.pop(SESSION_VISITOR, None)
        request.session[SESSION_CHATS] = [
            *request.session.get(SESSION_CHATS, []),
            str(confirmed.token),
        ][-5:]
        return HttpResponseRedirect(reverse("crm-channels:chat-room", args=[confirmed.token]))

    def render_page(self, form, *, status=200):
        return render(self.request, "crm/channels/chat_confirm.html", {"form": form}, status=status)


class CustomerChatMixin:
    """The chat a token names, when this browser may follow it (its customer's login, or the
    session that confirmed it); otherwise 404."""

    def get_chat(self, token) -> ChatSession:
        found = (
            ChatSession.objects.select_related("customer", "agent", "ticket", "interaction")
            .filter(token=token)
            .first()
        )
        if found is None:
            raise Http404
        user = self.request.user
        own_login = (
            is_customer_user(user)
            and found.customer_id is not None
            and found.customer.user_id == user.pk
        )
        if not own_login and str(token) not in self.request.session.get(SESSION_CHATS, []):
            raise Http404
        return found


@method_decorator(never_cache, name="dispatch")
class ChatRoomView(CustomerChatMixin, View):
    def get(self, request, token):
        record = self.get_chat(token)
        rows = list(chat_messages(record))
        context = {
            "chat": record,
            "messages_shown": _message_rows(rows, staff=False),
            "last_id": rows[-1].pk if rows else 0,
            "position": chat.queue_position(record),
            "agents_available": agents_available() if record.status == ChatStatus.WAITING else True,
            "message_form": ChatMessageForm(),
            "leave_form": LeaveMessageForm(),
            "rate_form": ChatRateForm(),
            "poll_url": reverse("crm-channels:chat-poll", args=[record.token]),
        }
        return render(request, "crm/channels/chat_room.html", context)


@method_decorator(never_cache, name="dispatch")
class ChatPollView(CustomerChatMixin, View):
    """What the page's script asks every few seconds: state, place in the queue, new messages."""

    def get(self, request, token):
        record = self.get_chat(token)
        try:
            after = int(request.GET.get("after") or 0)
        except ValueError:
            after = 0
        if record.status == ChatStatus.WAITING:
            chat.customer_seen(record)
        return JsonResponse(
            {
                "status": record.status,
                "position": chat.queue_position(record),
                "messages": _message_rows(chat_messages(record, after=after), staff=False),
            }
        )


class ChatActionView(CustomerChatMixin, View):
    """The customer's buttons: send, end, rate, leave a message."""

    FORMS = {
        "send": ChatMessageForm,
        "rate": ChatRateForm,
        "leave-message": LeaveMessageForm,
        "end": None,
    }

    def post(self, request, token, action):
        if action not in self.FORMS:
            raise Http404
        record = self.get_chat(token)
        form_class = self.FORMS[action]
        form = form_class(request.POST) if form_class else None
        if form is not None and not form.is_valid():
            return self.refused(record, " ".join(m for e in form.errors.values() for m in e))
        try:
            if action == "send":
                chat.post_customer_message(record, body=form.cleaned_data["body"])
            elif action == "rate":
                chat.rate_chat(
                    record, score=form.cleaned_data["score"], comment=form.cleaned_data["comment"]
                )
                messages.success(request, _("Thank you for your rating."))
            elif action == "leave-message":
                ticket = chat.leave_message(
                    record, body=form.cleaned_data["body"], actor=request.user
                )
                messages.success(
                    request,
                    _("Your message is ticket %(number)s.") % {"number": ticket.number},
                )
            else:
                chat.end_chat(record, by_customer=True)
        except DOMAIN_ERRORS as exc:
            return self.refused(record, error_message(exc))
        if _wants_json(request):
            return JsonResponse({"ok": True})
        return HttpResponseRedirect(reverse("crm-channels:chat-room", args=[record.token]))

    def refused(self, record, text: str):
        if _wants_json(self.request):
            return JsonResponse({"ok": False, "error": text}, status=400)
        messages.error(self.request, text)
        return HttpResponseRedirect(reverse("crm-channels:chat-room", args=[record.token]))


# --- Help (public) ------------------------------------------------------------------------------


class HelpIndexView(View):
    """The help centre: search (Chinese or English) and browse by category; no sign-in."""

    def get(self, request):
        form = HelpSearchForm(request.GET or None)
        staff = sees_staff_articles(request.user)
        query, category = "", ""
        if form.is_valid():
            query, category = form.cleaned_data["q"], form.cleaned_data["category"]
        if query.strip():
            articles = knowledge.search_articles(query, staff=staff, category=category or None)
        else:
            articles = articles_for(request.user).order_by("category", "title", "pk")
            if category:
                articles = articles.filter(category=category)
        page = Paginator(articles, HELP_PER_PAGE).get_page(page_number(request))
        context = {
            "form": form if form.is_bound else HelpSearchForm(),
            "page_obj": page,
            "articles": list(page.object_list),
            "query": query,
            "language": get_language() or "zh-hans",
        }
        return render(request, "crm/channels/help_index.html", context)


class HelpArticleView(View):
    def get_article(self, slug) -> KnowledgeArticle:
        found = articles_for(self.request.user).filter(slug=slug).first()
        if found is None:
            raise Http404
        return found

    def get(self, request, slug):
        return self.render_page(self.get_article(slug), ArticleFeedbackForm())

    def post(self, request, slug):
        article = self.get_article(slug)
        form = ArticleFeedbackForm(request.POST)
        if not form.is_valid():
            return self.render_page(article, form, status=400)
        knowledge.record_feedback(article, user=request.user, **form.cleaned_data)
        messages.success(request, _("Thank you for your feedback."))
        return HttpResponseRedirect(reverse("crm-channels:help-article", args=[slug]))

    def render_page(self, article, form, *, status=200):
        language = get_language() or "zh-hans"
        context = {
            "article": article,
            "title": article.title_in(language),
            "body": article.body_in(language),
            "form": form,
        }
        return render(self.request, "crm/channels/help_article.html", context, status=status)


# --- Customers: agreements ----------------------------------------------------------------------


class CustomerPortalMixin(LoginRequiredMixin):
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not is_customer_user(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class MyAgreementsView(CustomerPortalMixin, View):
    def get(self, request):
        rows = agreements_for(request.user).order_by("-starts_on", "-pk")
        page = Paginator(rows, AGREEMENTS_PER_PAGE).get_page(page_number(request))
        context = {"page_obj": page, "agreements": list(page.object_list)}
        return no_cache(render(request, "crm/channels/my_agreements.html", context))


def _agreement_pdf(agreement: ServiceAgreement) -> HttpResponse:
    response = HttpResponse(
        agreements.render_agreement_pdf(agreement), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'inline; filename="agreement-{agreement.number}.pdf"'
    return no_cache(response)


class MyAgreementPdfView(CustomerPortalMixin, View):
    def get(self, request, pk):
        found = agreements_for(request.user).filter(pk=pk).first()
        if found is None:
            raise Http404
        return _agreement_pdf(found)


class StaffAgreementPdfView(StaffPageMixin, View):
    portal_roles = (Role.SERVICE_SPECIALIST, Role.SALES_ADVISOR, Role.SUPERVISOR)
    permission_required = ("crm.view_serviceagreement",)

    def get(self, request, pk):
        found = agreements_for(request.user).filter(pk=pk).first()
        if found is None:
            raise Http404
        return _agreement_pdf(found)


# --- Staff: the console -------------------------------------------------------------------------


class ConsolePageMixin(StaffPageMixin):
    """Staff whose role takes chats or calls (their section) with the view permission."""

    portal_roles = CONSOLE_DESK

    def has_permission(self) -> bool:
        user = self.request.user
        in_section = any(user.has_role(role) for role in self.portal_roles)
        reads = user.has_perm("crm.view_chatsession") or user.has_perm("crm.view_inboundcall")
        return in_section and reads


def console_signature(state) -> str:
    """What the console shows, in short: when it changes, the page reloads."""
    return "|".join(
        [
            ",".join(str(c.pk) for c in state.waiting_chats),
            ",".join(str(c.pk) for c in state.chat_offers),
            ",".join(str(c.pk) for c in state.my_chats),
            ",".join(f"{c.pk}:{c.status}:{c.offered_to_id}" for c in state.calls),
        ]
    )


@method_decorator(never_cache, name="dispatch")
class ConsoleView(ConsolePageMixin, View):
    def get(self, request):
        state = console_state(request.user)
        presence = state.presence
        context = {
            "state": state,
            "presence_form": PresenceForm(
                initial={
                    "status": presence.status if presence else "offline",
                    "max_chats": presence.max_chats if presence else 3,
                }
            ),
            "signature": console_signature(state),
            "may_work_chats": request.user.has_perm("crm.change_chatsession"),
            "may_work_calls": request.user.has_perm("crm.change_inboundcall"),
        }
        return render(request, "crm/channels/console.html", context)


@method_decorator(never_cache, name="dispatch")
class ConsolePollView(ConsolePageMixin, View):
    """The console's script: still here; offer what waits; what is offered to me now."""

    def get(self, request):
        touch_presence(request.user)
        chat.offer_waiting_chats()
        telephony.offer_queued_calls()
        state = console_state(request.user)
        return JsonResponse(
            {
                "signature": console_signature(state),
                "chat_offers": [c.pk for c in state.chat_offers],
                "call_offers": [c.pk for c in state.call_offers],
            }
        )


class PresenceUpdateView(ConsolePageMixin, View):
    def post(self, request):
        if not request.user.has_perm("crm.change_agentpresence"):
            raise PermissionDenied
        form = PresenceForm(request.POST)
        if form.is_valid():
            set_presence(
                request.user, form.cleaned_data["status"], max_chats=form.cleaned_data["max_chats"]
            )
            chat.offer_waiting_chats()
            telephony.offer_queued_calls()
            messages.success(request, _("Your status is saved."))
        else:
            messages.error(request, _("Choose a status and 1 to 10 chats."))
        return HttpResponseRedirect(reverse("crm-channels:console"))


# --- Staff: a chat ------------------------------------------------------------------------------


class ChatDeskMixin(ConsolePageMixin):
    def get_chat(self, pk) -> ChatSession:
        try:
            return chat_desk(self.request.user, pk)
        except ChatSession.DoesNotExist as exc:
            raise Http404 from exc

    def render_page(self, record: ChatSession, *, status=200, **forms):
        request_user = self.request.user
        rows = list(chat_messages(record))
        answers = list(knowledge.canned_answers_for(request_user))
        kb_query = (self.request.GET.get("kb") or "").strip()
        context = {
            "chat": record,
            "messages_shown": _message_rows(rows, staff=True),
            "last_id": rows[-1].pk if rows else 0,
            "mine": record.agent_id == request_user.pk,
            "may_work": request_user.has_perm("crm.change_chatsession"),
            "history": customer_history(record.customer, exclude_interaction=record.interaction_id),
            "answers": answers,
            "kb_query": kb_query,
            "kb_results": list(knowledge.search_articles(kb_query)[:5]) if kb_query else [],
            "message_form": ChatMessageForm(),
            "canned_form": CannedAnswerForm(answers=answers),
            "ticket_form": ChatTicketForm(initial={"subject": record.topic}),
            "end_form": ChatEndForm(),
            "poll_url": reverse("crm-channels:desk-poll", args=[record.pk]),
            **forms,
        }
        response = render(self.request, "crm/channels/chat_desk.html", context, status=status)
        return no_cache(response)


@method_decorator(never_cache, name="dispatch")
class ChatDeskView(ChatDeskMixin, View):
    def get(self, request, pk):
        return self.render_page(self.get_chat(pk))


@method_decorator(never_cache, name="dispatch")
class ChatDeskPollView(ChatDeskMixin, View):
    def get(self, request, pk):
        record = self.get_chat(pk)
        try:
            after = int(request.GET.get("after") or 0)
        except ValueError:
            after = 0
        touch_presence(request.user)
        return JsonResponse(
            {
                "status": record.status,
                "messages": _message_rows(chat_messages(record, after=after), staff=True),
            }
        )


class ChatDeskActionView(ChatDeskMixin, View):
    """The specialist's buttons on a chat."""

    ACTIONS = ("accept", "send", "canned", "article", "ticket", "end")

    def post(self, request, pk, action):
        if action not in self.ACTIONS:
            raise Http404
        if not request.user.has_perm("crm.change_chatsession"):
            raise PermissionDenied
        record = self.get_chat(pk)
        user = request.user
        form = None
        try:
            if action == "accept":
                chat.accept_chat(record, actor=user)
            elif action == "send":
                form = ChatMessageForm(request.POST)
                if form.is_valid():
                    chat.post_agent_message(record, actor=user, body=form.cleaned_data["body"])
            elif action == "canned":
                answers = list(knowledge.canned_answers_for(user))
                form = CannedAnswerForm(request.POST, answers=answers)
                if form.is_valid():
                    answer = next(a for a in answers if a.pk == form.cleaned_data["canned"])
                    chat.post_agent_message(
                        record, actor=user, body=answer.body, article=answer.article
                    )
            elif action == "article":
                form = ArticleSendForm(request.POST)
                if form.is_valid():
                    article = (
                        articles_for(user)
                        .filter(slug=form.cleaned_data["article"], audience="public")
                        .first()
                    )
                    if article is None:
                        raise Http404
                    chat.post_agent_message(record, actor=user, article=article)
            elif action == "ticket":
                form = ChatTicketForm(request.POST, auto_id="ticket_form_%s")
                if form.is_valid():
                    ticket = chat.convert_chat_to_ticket(record, actor=user, **form.cleaned_data)
                    messages.success(
                        request, _("Ticket %(number)s opened.") % {"number": ticket.number}
                    )
            else:
                form = ChatEndForm(request.POST)
                if form.is_valid():
                    chat.end_chat(record, actor=user, outcome=form.cleaned_data["outcome"])
        except DOMAIN_ERRORS as exc:
            if form is None or _wants_json(request):
                return self.refused(record, error_message(exc))
            add_service_error(form, exc)
        if form is not None and form.errors:
            if _wants_json(request):
                return JsonResponse({"ok": False, "errors": form.errors}, status=400)
            names = {"ticket": "ticket_form", "end": "end_form", "canned": "canned_form"}
            return self.render_page(
                self.get_chat(pk), status=400, **{names.get(action, "message_form"): form}
            )
        if _wants_json(request):
            return JsonResponse({"ok": True})
        return HttpResponseRedirect(reverse("crm-channels:desk", args=[record.pk]))

    def refused(self, record, text: str):
        if _wants_json(self.request):
            return JsonResponse({"ok": False, "error": text}, status=409)
        messages.error(self.request, text)
        return HttpResponseRedirect(reverse("crm-channels:desk", args=[record.pk]))


# --- Staff: a call (the screen pop) ------------------------------------------------------------


class CallDeskMixin(ConsolePageMixin):
    def get_call(self, pk) -> InboundCall:
        try:
            return call_desk(self.request.user, pk)
        except InboundCall.DoesNotExist as exc:
            raise Http404 from exc

    def render_page(self, call: InboundCall, *, status=200, wrap_form=None, identify_form=None):
        user = self.request.user
        context = {
            "call": call,
            "mine": call.agent_id == user.pk,
            "offered_to_me": call.status == CallStatus.QUEUED and call.offered_to_id == user.pk,
            "may_work": user.has_perm("crm.change_inboundcall"),
            "history": customer_history(call.customer, exclude_interaction=call.interaction_id),
            "wrap_form": wrap_form or CallWrapUpForm(),
            "identify_form": identify_form or CallIdentifyForm(),
        }
        return no_cache(render(self.request, "crm/channels/call_desk.html", context, status=status))


@method_decorator(never_cache, name="dispatch")
class CallDeskView(CallDeskMixin, View):
    """Who is calling (identified by number, masked), the voice-menu path, the customer's
    latest contacts and open tickets, and the verification step ready on their page."""

    def get(self, request, pk):
        return self.render_page(self.get_call(pk))


class CallActionView(CallDeskMixin, View):
    def post(self, request, pk, action):
        if action not in ("answer", "wrap-up", "identify"):
            raise Http404
        if not request.user.has_perm("crm.change_inboundcall"):
            raise PermissionDenied
        call = self.get_call(pk)
        try:
            if action == "answer":
                answered = telephony.answer_call(call, actor=request.user)
                messages.success(
                    request,
                    _("Call connected: interaction %(number)s. Verify the caller first.")
                    % {"number": answered.interaction.number},
                )
            elif action == "wrap-up":
                form = CallWrapUpForm(request.POST)
                if not form.is_valid():
                    return self.render_page(call, status=400, wrap_form=form)
                telephony.wrap_up_call(call, actor=request.user, **form.cleaned_data)
                messages.success(request, _("Outcome saved."))
            elif action == "identify":
                form = CallIdentifyForm(request.POST)
                digits = "".join(request.POST.get("customer_number", "").split())
                customer = (
                    customers_for(request.user).filter(customer_number=digits).first()
                    if form.is_valid()
                    else None
                )
                if customer is None:
                    form.add_error("customer_number", _("No customer has this number."))
                    return self.render_page(call, status=400, identify_form=form)
                telephony.identify_call_customer(call, customer, actor=request.user)
                messages.success(request, _("Caller identified: verify them now."))
        except DOMAIN_ERRORS as exc:
            messages.error(request, error_message(exc))
        return HttpResponseRedirect(reverse("crm-channels:call", args=[pk]))


# --- Staff: the voice-menu simulator ------------------------------------------------------------


class IvrSimulatorView(ConsolePageMixin, View):
    """Press keys as a caller would and hear what the menu says; a transfer can be queued."""

    def get(self, request):
        form = IvrSimulatorForm(request.GET or None)
        step = None
        if form.is_valid():
            try:
                step = telephony.navigate_ivr(
                    form.cleaned_data["keys"], caller_number=form.cleaned_data["caller"]
                )
            except DOMAIN_ERRORS as exc:
                add_service_error(form, exc)
        context = {"form": form if form.is_bound else IvrSimulatorForm(), "step": step}
        return render(request, "crm/channels/ivr_simulator.html", context)

    def post(self, request):
        form = IvrSimulatorForm(request.POST)
        if not form.is_valid() or not form.cleaned_data["caller"]:
            messages.error(request, _("Give the caller's number to place the call."))
            return HttpResponseRedirect(reverse("crm-channels:ivr-simulator"))
        # Only where the keys lead: the menu already answered the caller on the simulator page.
        step = telephony.navigate_ivr(form.cleaned_data["keys"])
        if not step.target_role:
            messages.error(request, _("These keys do not reach a person."))
            return HttpResponseRedirect(reverse("crm-channels:ivr-simulator"))
        try:
            call = telephony.receive_call(
                call_id=f"sim-{uuid.uuid4().hex[:16]}",
                caller_number=form.cleaned_data["caller"],
                dialled_number="10000",
                ivr_path=step.path,
            )
        except DOMAIN_ERRORS as exc:
            messages.error(request, error_message(exc))
            return HttpResponseRedirect(reverse("crm-channels:ivr-simulator"))
        messages.success(
            request,
            _("Call %(number)s is waiting in the queue.") % {"number": call.interaction.number},
        )
        return HttpResponseRedirect(reverse("crm-channels:console"))
