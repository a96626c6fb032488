"""Views of the contact-channel API: scope with a selector, check shape, call one service,
serialize. Refusals of the services come back through ``portal.errors`` (400 on a field,
otherwise 409 with the rule's code).

- ``chats/``: customers start, follow (poll ``messages``), end, rate and leave a message in
  their own chats; staff with ``crm.change_chatsession`` accept, answer, end and convert them.
- ``presence/``: the staff member's availability for chats and calls.
- ``calls/``: hotline calls; ``answer`` takes an offered call, ``wrap-up`` records the outcome.
- ``cti/events/``: the telephony system's webhook, signed with the shared secret (no user).
- ``ivr/nodes/``, ``ivr/navigate/``: the voice menu and a walk through it.
- ``inbound-emails/``: what the mailbox brought in.
- ``kb/articles/`` (public, no sign-in needed), ``kb/canned-answers/`` (staff).
- ``notices/``: notices, publishing, withdrawing, deliveries.
- ``agreements/``: service agreements, the early-termination quote, termination, the PDF.
"""

from django.http import Http404, HttpResponse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from billing.api.bill_views import PdfRenderer
from crm import agreements, chat, knowledge, notices, telephony
from crm.api import channel_serializers as s
from crm.channel_choices import CtiEvent
from crm.channel_models import CannedAnswer, InboundCall
from crm.channel_selectors import (
    agreements_for,
    articles_for,
    calls_for,
    chat_list,
    chat_messages,
    emails_for,
    notices_for,
    sees_staff_articles,
)
from crm.contact_centre import set_presence, touch_presence
from crm.models import Customer
from crm.selectors import is_customer_user
from portal.api.filtering import StrictDjangoFilterBackend
from portal.api.serializers import ConflictErrorResponseSerializer

READ_ACTIONS = frozenset({"list", "retrieve"})
CONFLICT = ConflictErrorResponseSerializer


def _own_customer(user) -> Customer:
    customer = Customer.objects.filter(user=user).first()
    if customer is None:
        raise PermissionDenied(_("Your login is not linked to a customer record."))
    return customer


class ActionPermission(BasePermission):
    """Per action: ``customer_actions`` a customer may take (on their own records, by the
    scope), ``action_permissions`` the model permission staff need (reads: ``read_permission``).
    """

    def has_permission(self, request, view):
        user = request.user
        action_name = view.action
        if request.method == "OPTIONS":
            return True
        if is_customer_user(user):
            return action_name in view.customer_actions
        if action_name in READ_ACTIONS:
            return user.has_perm(view.read_permission)
        permission = view.action_permissions.get(action_name)
        if callable(permission):
            permission = permission(request)
        return permission is not None and user.has_perm(permission)


class ChannelViewSet(viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated, ActionPermission]
    filter_backends = [StrictDjangoFilterBackend]
    read_permission = ""
    action_permissions: dict = {}
    customer_actions: frozenset[str] = frozenset()

    def _input(self, serializer_class, data=None):
        serializer = serializer_class(
            data=self.request.data if data is None else data,
            context=self.get_serializer_context(),
        )
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


# --- Chats --------------------------------------------------------------------------------------


ChatPollSerializer = inline_serializer(
    "ChatPoll",
    {
        "chat": s.ChatSerializer(),
        "messages": s.ChatMessageSerializer(many=True),
    },
)


def _messages_permission(request):
    return "crm.view_chatsession" if request.method == "GET" else "crm.change_chatsession"


@extend_schema_view(
    create=extend_schema(
        request=s.ChatStartSerializer,
        responses={201: s.ChatSerializer},
        description=(
            "A signed-in customer starts a chat: it joins the queue (VIP first, then first come) "
            "and is offered to an available specialist. Visitors confirm a phone number on the "
            "chat page instead."
        ),
    ),
    accept=extend_schema(
        request=None,
        responses={200: s.ChatSerializer, 409: CONFLICT},
        description="Take a waiting chat offered to you, or one whose offer lapsed.",
    ),
    end=extend_schema(
        request=s.ChatEndSerializer,
        responses={200: s.ChatSerializer, 409: CONFLICT},
        description="End the chat; the transcript goes into its interaction. A customer "
        "leaving the queue abandons it.",
    ),
    rate=extend_schema(
        request=s.ChatRateSerializer,
        responses={200: s.ChatSerializer, 409: CONFLICT},
        description="The customer's one rating (1-5) of an ended chat.",
    ),
    leave_message=extend_schema(
        request=s.ChatLeaveMessageSerializer,
        responses={201: s.TicketRefSerializer, 409: CONFLICT},
        description="Nobody is free: the message (and what was written while waiting) becomes "
        "a ticket in the specialists' queue.",
    ),
    convert_ticket=extend_schema(
        request=s.ChatTicketSerializer,
        responses={201: s.TicketRefSerializer, 409: CONFLICT},
        description="Open a ticket from the chat (once).",
    ),
    convert_order=extend_schema(
        request=s.ChatOrderSerializer,
        responses={201: s.OrderRefSerializer, 409: CONFLICT},
        description="Take a service order in the chat (the chat's customer, channel online chat).",
    ),
)
class ChatViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ChannelViewSet):
    """Online chats: your own as a customer; all of them for staff with the view permission."""

    serializer_class = s.ChatSerializer
    filterset_fields = ["status", "queue_role"]
    read_permission = "crm.view_chatsession"
    customer_actions = frozenset(
        {"list", "retrieve", "create", "messages", "end", "rate", "leave_message"}
    )
    action_permissions = {
        "accept": "crm.change_chatsession",
        "messages": _messages_permission,
        "end": "crm.change_chatsession",
        "convert_ticket": "crm.change_chatsession",
        "convert_order": "crm.change_chatsession",
    }

    def get_queryset(self):
        return chat_list(self.request.user).order_by("-created_at", "-pk")

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if self.action == "list":
            context["queue_positions"] = chat.waiting_positions()
        return context

    def _show(self, record, status_code=status.HTTP_200_OK):
        fresh = self.get_queryset().get(pk=record.pk)
        return Response(s.ChatSerializer(fresh).data, status=status_code)

    def create(self, request, *args, **kwargs):
        data = self._input(s.ChatStartSerializer)
        started = chat.start_chat(
            customer=_own_customer(request.user), topic=data["topic"], actor=request.user
        )
        return self._show(started, status.HTTP_201_CREATED)

    @extend_schema(
        methods=["GET"],
        parameters=[
            OpenApiParameter(
                "after", OpenApiTypes.INT, description="Only messages with a larger id."
            )
        ],
        responses={200: ChatPollSerializer},
        description="Poll: the chat's state and the messages after ``after``.",
    )
    @extend_schema(
        methods=["POST"],
        request=s.ChatMessageCreateSerializer,
        responses={201: s.ChatMessageSerializer, 409: CONFLICT},
        description="Write in the chat (staff may send a public help article).",
    )
    @action(detail=True, methods=["get", "post"])
    def messages(self, request, pk=None):
        record = self.get_object()
        customer = is_customer_user(request.user)
        if request.method == "GET":
            try:
                after = int(request.query_params.get("after") or 0)
            except ValueError:
                after = 0
            if customer:
                chat.customer_seen(record)
            else:
                touch_presence(request.user)
            return Response(
                {
                    "chat": s.ChatSerializer(record).data,
                    "messages": s.ChatMessageSerializer(
                        chat_messages(record, after=after), many=True
                    ).data,
                }
            )
        data = self._input(s.ChatMessageCreateSerializer)
        if customer:
            message = chat.post_customer_message(record, body=data["body"])
        else:
            message = chat.post_agent_message(
                record, actor=request.user, body=data["body"], article=data.get("article")
            )
        return Response(s.ChatMessageSerializer(message).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return self._show(chat.accept_chat(self.get_object(), actor=request.user))

    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        record = self.get_object()
        if is_customer_user(request.user):
            return self._show(chat.end_chat(record, by_customer=True))
        data = self._input(s.ChatEndSerializer)
        return self._show(chat.end_chat(record, actor=request.user, outcome=data["outcome"]))

    @action(detail=True, methods=["post"])
    def rate(self, request, pk=None):
        data = self._input(s.ChatRateSerializer)
        return self._show(
            chat.rate_chat(self.get_object(), score=data["score"], comment=data["comment"])
        )

    @action(detail=True, methods=["post"], url_path="leave-message", url_name="leave-message")
    def leave_message(self, request, pk=None):
        data = self._input(s.ChatLeaveMessageSerializer)
        ticket = chat.leave_message(self.get_object(), body=data["body"], actor=request.user)
        return Response({"id": ticket.pk, "number": ticket.number}, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"], url_path="convert-ticket", url_name="convert-ticket")
    def convert_ticket(self, request, pk=None):
        data = self._input(s.ChatTicketSerializer)
        ticket = chat.convert_chat_to_ticket(self.get_object(), actor=request.user, **data)
        return Response({"id": ticket.pk, "number": ticket.number}, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"], url_path="convert-order", url_name="convert-order")
    def convert_order(self, request, pk=None):
        data = dict(self._input(s.ChatOrderSerializer))
        order = chat.convert_chat_to_order(self.get_object(), actor=request.user, **data)
        return Response({"id": order.pk, "number": order.number}, status=status.HTTP_201_CREATED)


# --- Presence -----------------------------------------------------------------------------------


class PresenceView(APIView):
    """Your availability for chats and calls (``available``, ``away``, ``offline``)."""

    permission_classes = [IsAuthenticated]

    def _check(self, request):
        if not request.user.has_perm("crm.change_agentpresence"):
            raise PermissionDenied

    @extend_schema(responses=s.PresenceSerializer)
    def get(self, request):
        self._check(request)
        presence = getattr(request.user, "presence", None)
        data = (
            s.PresenceSerializer(presence).data
            if presence
            else {"status": "offline", "max_chats": 3, "last_seen_at": None}
        )
        return Response(data)

    @extend_schema(request=s.PresenceSerializer, responses=s.PresenceSerializer)
    def put(self, request):
        self._check(request)
        serializer = s.PresenceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        presence = set_presence(
            request.user,
            serializer.validated_data["status"],
            max_chats=serializer.validated_data.get("max_chats"),
        )
        chat.offer_waiting_chats()
        telephony.offer_queued_calls()
        return Response(s.PresenceSerializer(presence).data)


# --- Calls --------------------------------------------------------------------------------------


@extend_schema_view(
    answer=extend_schema(
        request=None,
        responses={200: s.CallSerializer, 409: CONFLICT},
        description="Take the call offered to you (the screen pop); the caller's verification "
        "is recorded next in its interaction.",
    ),
    wrap_up=extend_schema(
        request=s.CallWrapUpSerializer,
        responses={200: s.CallSerializer, 409: CONFLICT},
        description="Your outcome and notes for a call you answered.",
    ),
)
class CallViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ChannelViewSet):
    """Hotline calls as the telephony system reported them (caller masked)."""

    serializer_class = s.CallSerializer
    filterset_fields = ["status", "target_role"]
    read_permission = "crm.view_inboundcall"
    action_permissions = {"answer": "crm.change_inboundcall", "wrap_up": "crm.change_inboundcall"}

    def get_queryset(self):
        return calls_for(self.request.user).order_by("-started_at", "-pk")

    def _show(self, record):
        return Response(s.CallSerializer(self.get_queryset().get(pk=record.pk)).data)

    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        return self._show(telephony.answer_call(self.get_object(), actor=request.user))

    @action(detail=True, methods=["post"], url_path="wrap-up", url_name="wrap-up")
    def wrap_up(self, request, pk=None):
        data = self._input(s.CallWrapUpSerializer)
        return self._show(telephony.wrap_up_call(self.get_object(), actor=request.user, **data))


class CtiEventView(APIView):
    """The telephony system reports a call after the voice menu (``call.incoming``) and its end
    (``call.ended``). No user: the request is signed. ``X-CTI-Timestamp`` is the Unix time,
    ``X-CTI-Signature`` is ``sha256=`` + the hex HMAC-SHA256 of ``"<timestamp>." + body`` with
    the shared secret; older than the allowed skew, or badly signed, is 403."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=s.CtiEventSerializer,
        responses={200: s.CallSerializer, 403: OpenApiResponse(description="Bad signature.")},
        parameters=[
            OpenApiParameter("X-CTI-Timestamp", str, OpenApiParameter.HEADER, required=True),
            OpenApiParameter("X-CTI-Signature", str, OpenApiParameter.HEADER, required=True),
        ],
        auth=[],
    )
    def post(self, request):
        body = request._request.body
        if not telephony.verify_cti_signature(
            body,
            request.headers.get("X-CTI-Timestamp", ""),
            request.headers.get("X-CTI-Signature", ""),
        ):
            raise PermissionDenied(_("The request is not signed with the shared secret."))
        serializer = s.CtiEventSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if data["event"] == CtiEvent.INCOMING:
            call = telephony.receive_call(
                call_id=data["call_id"],
                caller_number=data["caller_number"],
                dialled_number=data["dialled_number"],
                ivr_path=data["ivr_path"],
                started_at=data.get("started_at"),
            )
        else:
            call = InboundCall.objects.filter(call_id=data["call_id"]).first()
            if call is None:
                raise Http404
            call = telephony.end_call(call, duration_seconds=data["duration_seconds"])
        fresh = InboundCall.objects.select_related("customer", "interaction", "agent").get(
            pk=call.pk
        )
        return Response(s.CallSerializer(fresh).data)


# --- The voice menu -----------------------------------------------------------------------------


class IvrNodeViewSet(mixins.ListModelMixin, ChannelViewSet):
    """The voice menu's entries (edit them in the admin)."""

    serializer_class = s.IvrNodeSerializer
    read_permission = "crm.view_ivrnode"
    pagination_class = None

    def get_queryset(self):
        from crm.channel_models import IvrNode

        return IvrNode.objects.filter(is_active=True).order_by("parent_id", "position", "key")


class IvrNavigateView(APIView):
    """Walk the voice menu by keys, as a caller would (the simulator); self-service answers
    for the given caller number."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=s.IvrNavigateSerializer, responses={200: s.IvrStepSerializer})
    def post(self, request):
        if not request.user.has_perm("crm.view_ivrnode"):
            raise PermissionDenied
        serializer = s.IvrNavigateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        step = telephony.navigate_ivr(
            serializer.validated_data["keys"],
            caller_number=serializer.validated_data.get("caller_number", ""),
        )
        return Response(
            s.IvrStepSerializer(
                {
                    "path": step.path,
                    "labels": step.labels,
                    "speech": step.speech,
                    "action": step.action,
                    "target_role": step.target_role,
                    "invalid_key": step.invalid_key,
                    "finished": step.finished,
                    "options": [{"key": key, "label": label} for key, label in step.options],
                }
            ).data
        )


# --- Inbound mail -------------------------------------------------------------------------------


class InboundEmailViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ChannelViewSet):
    """Mail read from the service mailbox and what became of it (sender masked)."""

    serializer_class = s.InboundEmailSerializer
    filterset_fields = ["status"]
    read_permission = "crm.view_inboundemail"

    def get_queryset(self):
        return emails_for(self.request.user).order_by("-created_at", "-pk")


# --- Knowledge base -----------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="Search words (Chinese or English)."),
            OpenApiParameter("category", str, description="One category."),
        ],
        auth=[],
    ),
    retrieve=extend_schema(auth=[]),
    feedback=extend_schema(
        request=s.ArticleFeedbackSerializer,
        responses={201: None},
        description='"Was this helpful?" (no sign-in needed).',
        auth=[],
    ),
    link_ticket=extend_schema(
        request=s.ArticleLinkSerializer,
        responses={201: None, 403: OpenApiResponse(description="You may not work the ticket.")},
        description="Give the article to the customer on a ticket you work (a customer-visible "
        "note with its address).",
    ),
)
class ArticleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Help articles: public ones for everyone (no sign-in), staff ones for staff."""

    serializer_class = s.ArticleSerializer
    lookup_field = "slug"
    permission_classes = [AllowAny]

    def get_queryset(self):
        user = self.request.user
        query = self.request.query_params.get("q", "")
        category = self.request.query_params.get("category") or None
        if self.action == "list" and query.strip():
            return knowledge.search_articles(
                query, staff=sees_staff_articles(user), category=category
            )
        articles = articles_for(user)
        if category:
            articles = articles.filter(category=category)
        return articles.order_by("category", "title", "pk")

    @action(detail=True, methods=["post"])
    def feedback(self, request, slug=None):
        data = s.ArticleFeedbackSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        knowledge.record_feedback(self.get_object(), user=request.user, **data.validated_data)
        return Response(status=status.HTTP_201_CREATED)

    @action(
        detail=True,
        methods=["post"],
        url_path="link-ticket",
        url_name="link-ticket",
        permission_classes=[IsAuthenticated],
    )
    def link_ticket(self, request, slug=None):
        from complaints.models import Ticket
        from complaints.permissions import can_work_ticket
        from complaints.selectors import tickets_for

        data = s.ArticleLinkSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if is_customer_user(request.user):
            raise PermissionDenied
        try:
            ticket = tickets_for(request.user).get(pk=data.validated_data["ticket"])
        except Ticket.DoesNotExist as exc:
            raise serializers.ValidationError({"ticket": [_("No such ticket.")]}) from exc
        if not can_work_ticket(request.user, ticket):
            raise PermissionDenied
        knowledge.link_article_to_ticket(ticket, self.get_object(), actor=request.user)
        return Response(status=status.HTTP_201_CREATED)


class CannedAnswerViewSet(mixins.ListModelMixin, ChannelViewSet):
    """Canned answers for your roles and queues."""

    serializer_class = s.CannedAnswerSerializer
    read_permission = "crm.view_cannedanswer"

    def get_queryset(self):
        if not self.request.user.has_perm("crm.view_cannedanswer"):
            return CannedAnswer.objects.none()
        return knowledge.canned_answers_for(self.request.user)


# --- Notices ------------------------------------------------------------------------------------


@extend_schema_view(
    create=extend_schema(request=s.NoticeCreateSerializer, responses={201: s.NoticeSerializer}),
    publish=extend_schema(
        request=None,
        responses={200: s.NoticeSerializer, 409: CONFLICT},
        description="Publish: the audience (segment, area) is fixed and the SMS are queued "
        "(409 notice_audience_empty when nobody matches).",
    ),
    withdraw=extend_schema(
        request=None,
        responses={200: s.NoticeSerializer, 409: CONFLICT},
        description="Take the banner down; SMS not yet sent are not sent.",
    ),
    deliveries=extend_schema(responses=s.NoticeDeliverySerializer(many=True)),
)
class NoticeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ChannelViewSet):
    """Notices to customers: all of them for staff, the ones that reached you as a customer."""

    serializer_class = s.NoticeSerializer
    filterset_fields = ["status", "kind"]
    read_permission = "crm.view_notice"
    customer_actions = READ_ACTIONS
    action_permissions = {
        "create": "crm.add_notice",
        "publish": "crm.change_notice",
        "withdraw": "crm.change_notice",
        "deliveries": "crm.view_noticedelivery",
    }

    def get_queryset(self):
        return notices_for(self.request.user).order_by("-starts_at", "-pk").distinct()

    def create(self, request, *args, **kwargs):
        data = dict(self._input(s.NoticeCreateSerializer))
        send_sms = data.pop("send_sms")
        notice = notices.create_notice(actor=request.user, send_sms=send_sms, **data)
        return Response(s.NoticeSerializer(notice).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        return Response(
            s.NoticeSerializer(notices.publish_notice(self.get_object(), actor=request.user)).data
        )

    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return Response(
            s.NoticeSerializer(notices.withdraw_notice(self.get_object(), actor=request.user)).data
        )

    @action(detail=True, methods=["get"])
    def deliveries(self, request, pk=None):
        from crm.channel_selectors import deliveries_of

        page = self.paginate_queryset(deliveries_of(self.get_object()))
        return self.get_paginated_response(s.NoticeDeliverySerializer(page, many=True).data)


# --- Agreements ---------------------------------------------------------------------------------


@extend_schema_view(
    create=extend_schema(
        request=s.AgreementCreateSerializer,
        responses={201: s.AgreementSerializer, 409: CONFLICT},
        description="Sign the line's agreement (400 active_agreement_exists on subscription).",
    ),
    quote=extend_schema(
        parameters=[OpenApiParameter("on", OpenApiTypes.DATE, description="Default today.")],
        responses={200: s.TerminationQuoteSerializer},
        description="What ending the agreement early would cost on that day.",
    ),
    terminate=extend_schema(
        request=s.AgreementTerminateSerializer,
        responses={200: s.AgreementSerializer, 409: CONFLICT},
        description="End the agreement early; the fee is debited from the line's account "
        "(a ledger entry of kind termination_fee).",
    ),
    pdf=extend_schema(
        operation_id="agreements_pdf",
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
    ),
)
class AgreementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ChannelViewSet):
    """Service agreements of the lines you may see (a customer: their own)."""

    serializer_class = s.AgreementSerializer
    filterset_fields = ["status", "subscription", "customer"]
    read_permission = "crm.view_serviceagreement"
    customer_actions = frozenset({"list", "retrieve", "quote", "pdf"})
    action_permissions = {
        "create": "crm.add_serviceagreement",
        "terminate": "crm.change_serviceagreement",
        "quote": "crm.view_serviceagreement",
        "pdf": "crm.view_serviceagreement",
    }

    def get_queryset(self):
        return agreements_for(self.request.user).order_by("-starts_on", "-pk")

    def create(self, request, *args, **kwargs):
        data = dict(self._input(s.AgreementCreateSerializer))
        subscription = data.pop("subscription")
        agreement = agreements.sign_agreement(
            subscription, actor=request.user, **{k: v for k, v in data.items() if v is not None}
        )
        return Response(
            s.AgreementSerializer(self.get_queryset().get(pk=agreement.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @action(detail=True, methods=["get"])
    def quote(self, request, pk=None):
        day = serializers.DateField(required=False, allow_null=True)
        on_day = (
            day.run_validation(request.query_params.get("on"))
            if request.query_params.get("on")
            else None
        )
        quote = agreements.termination_quote(self.get_object(), on_day)
        return Response(s.TerminationQuoteSerializer(quote).data)

    @action(detail=True, methods=["post"])
    def terminate(self, request, pk=None):
        data = self._input(s.AgreementTerminateSerializer)
        agreement = agreements.terminate_agreement(
            self.get_object(), actor=request.user, reason=data["reason"], on_day=data.get("on_day")
        )
        return Response(s.AgreementSerializer(self.get_queryset().get(pk=agreement.pk)).data)

    @action(detail=True, methods=["get"])
    def pdf(self, request, pk=None):
        agreement = self.get_object()
        response = HttpResponse(
            agreements.render_agreement_pdf(agreement), content_type="application/pdf"
        )
        response["Content-Disposition"] = f'attachment; filename="agreement-{agreement.number}.pdf"'
        add_never_cache_headers(response)
        return response

    def get_renderers(self):
        if self.action == "pdf":
            return [JSONRenderer(), PdfRenderer()]
        return super().get_renderers()
