"""Views of the complaints API: scope with a selector, check shape, call one service, serialize.

Every ticket comes from ``selectors.tickets_for(user)``: a customer reaches only their own
tickets, and another customer's ticket id is a 404 like a missing one. Staff read with
``complaints.view_ticket`` and open tickets with ``complaints.add_ticket``; changing a ticket
takes ``permissions.can_work_ticket`` on it (its assignee, its queue's role, supervisors),
else 403. Customers may open tickets, add a reply or a file and reopen their own, nothing else.
Refusals of the services come back through ``portal.errors``: 400 on a field, else 409.
"""

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.filters import SearchFilter
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from complaints import selectors, services, surveys
from complaints.api import filters, serializers
from complaints.choices import NoteVisibility
from complaints.models import Ticket
from complaints.permissions import can_work_ticket, may_review_low_scores
from crm.choices import Channel
from portal.api.filtering import StrictDjangoFilterBackend
from portal.api.serializers import ConflictErrorResponseSerializer

READ_ACTIONS = frozenset({"list", "retrieve"})
# What a customer may do with their own tickets besides reading them.
CUSTOMER_ACTIONS = frozenset({"create", "note", "reopen", "attachments"})
CONFLICT = ConflictErrorResponseSerializer
# Fields of a new ticket that staff set and a customer's request leaves out.
STAFF_ONLY = frozenset({"customer", "channel", "priority", "interaction"})


class TicketPermission(BasePermission):
    """Customers: read, open, reply, reopen (their own, by the scope). Staff: read with
    ``view_ticket``, open with ``add_ticket``, change a ticket they may work."""

    def has_permission(self, request, view):
        user = request.user
        if selectors.is_customer(user):
            return view.action in READ_ACTIONS | CUSTOMER_ACTIONS or request.method == "OPTIONS"
        if view.action == "create":
            return user.has_perm("complaints.add_ticket")
        return user.has_perm("complaints.view_ticket")

    def has_object_permission(self, request, view, ticket):
        if view.action in READ_ACTIONS or selectors.is_customer(request.user):
            return True
        return can_work_ticket(request.user, ticket)


def _detail_responses(description: str, request_serializer):
    return extend_schema(
        request=request_serializer,
        responses={200: serializers.TicketDetailSerializer, 409: CONFLICT},
        description=description,
    )


@extend_schema_view(
    retrieve=extend_schema(responses=serializers.TicketDetailSerializer),
    create=extend_schema(
        request=serializers.TicketCreateSerializer,
        responses={201: serializers.TicketDetailSerializer},
        description=(
            "Staff open a ticket for a customer they may see; a customer opens one for "
            "themselves (channel web_portal, default priority)."
        ),
    ),
    assign=_detail_responses(
        "Give the ticket to a member of its queue (or take it: leave out assignee). A new "
        "ticket becomes assigned.",
        serializers.TicketAssignSerializer,
    ),
    escalate=_detail_responses(
        "Hand the ticket one step up the chain, with a reason (409 top_of_chain for "
        "supervisors' tickets).",
        serializers.TicketReasonSerializer,
    ),
    resolve=_detail_responses(
        "Resolve with a summary the customer sees; a billing dispute may grant a credit within "
        "your approval limit (400 adjustment_over_limit on adjustment_amount).",
        serializers.TicketResolveSerializer,
    ),
    reopen=_detail_responses(
        "Reopen a resolved or closed ticket within the reopen window, with a reason. "
        "Customers may reopen their own.",
        serializers.TicketReasonSerializer,
    ),
    note=_detail_responses(
        "Add a note. A customer's reply is always visible to the customer.",
        serializers.TicketNoteCreateSerializer,
    ),
    diagnosis=_detail_responses(
        "Record a diagnosis of a fault: where the fault lies and the tests run (an internal "
        "note; 409 not_a_fault for other kinds, ticket_finished once it is resolved).",
        serializers.TicketDiagnosisSerializer,
    ),
    attachments=extend_schema(
        request={"multipart/form-data": serializers.TicketAttachmentUploadSerializer},
        responses={201: serializers.TicketDetailSerializer, 409: CONFLICT},
        description=(
            "Add a photo or PDF (multipart field file). The type is read from the content and the "
            "file must parse cleanly as that type: trailing data after an image's end, PDFs with "
            "scripts, automatic actions or embedded files are refused (400 on file: "
            "attachment_type, attachment_damaged, attachment_active_content, "
            "attachment_too_large, too_many_attachments). The file is downloaded under the "
            "server's name (file_name), never the uploaded one."
        ),
    ),
    transition=_detail_responses(
        "Start work, wait for the customer, close or cancel (409 invalid_transition when the "
        "ticket's status does not allow it).",
        serializers.TicketTransitionSerializer,
    ),
    priority=_detail_responses(
        "Change the priority with a reason; the SLA deadlines are recomputed.",
        serializers.TicketPrioritySerializer,
    ),
)
class TicketViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Trouble tickets: inquiries, faults, complaints and billing disputes.

    ``search`` matches the ticket number; the list is ordered by resolution deadline unless
    ``ordering`` says otherwise.
    """

    serializer_class = serializers.TicketSerializer
    permission_classes = [IsAuthenticated, TicketPermission]
    filter_backends = [StrictDjangoFilterBackend, SearchFilter]
    filterset_class = filters.TicketFilter
    search_fields = ["number"]

    def get_queryset(self):
        tickets = selectors.tickets_for(self.request.user).select_related(
            "customer", "subscription", "assignee"
        )
        if self.action == "list":
            tickets = tickets.annotate(priority_rank=selectors.PRIORITY_RANK).order_by(
                selectors.DEADLINE_FIRST, "pk"
            )
        return tickets

    def get_serializer_class(self):
        if self.action == "list":
            return serializers.TicketSerializer
        return serializers.TicketDetailSerializer

    def get_serializer_context(self):
        return {
            **super().get_serializer_context(),
            "now": timezone.now(),
            "customer_view": selectors.is_customer(self.request.user),
        }

    def get_object(self):
        """The ticket in the user's scope (404 outside it), then the per-ticket check (403)."""
        try:
            if self.action == "retrieve":
                ticket = selectors.ticket_detail(self.request.user, self.kwargs["pk"])
            else:
                ticket = self.get_queryset().get(pk=self.kwargs["pk"])
        except Ticket.DoesNotExist as exc:
            raise Http404 from exc
        self.check_object_permissions(self.request, ticket)
        return ticket

    def _detail(self, ticket, status_code=status.HTTP_200_OK):
        # Re-read through the scoped selector: services return a bare, locked row, and a
        # customer must see only the customer-visible notes.
        fresh = selectors.ticket_detail(self.request.user, ticket.pk)
        return Response(self.get_serializer(fresh).data, status=status_code)

    def _input(self, serializer_class, data=None) -> dict:
        serializer = serializer_class(
            data=self.request.data if data is None else data,
            context=self.get_serializer_context(),
        )
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def create(self, request, *args, **kwargs):
        user = request.user
        if selectors.is_customer(user):
            customer = getattr(user, "customer", None)
            if customer is None:
                raise PermissionDenied(_("Your login is not linked to a customer record."))
            # What only staff decide is ignored, not checked: a customer's ticket is their own,
            # from the web portal, at the default priority.
            body = {key: value for key, value in request.data.items() if key not in STAFF_ONLY}
            data = dict(self._input(serializers.TicketCreateSerializer, body))
            data.update(customer=customer, channel=Channel.WEB_PORTAL)
        else:
            data = self._input(serializers.TicketCreateSerializer)
        ticket = services.open_ticket(
            kind=data["kind"],
            category=data["category"],
            customer=data["customer"],
            subject=data["subject"],
            description=data["description"],
            channel=data["channel"],
            actor=user,
            subscription=data.get("subscription"),
            interaction=data.get("interaction"),
            priority=data.get("priority"),
        )
        return self._detail(ticket, status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        ticket = self.get_object()
        data = self._input(serializers.TicketAssignSerializer)
        assignee = data.get("assignee") or request.user
        return self._detail(
            services.assign_ticket(ticket, assignee, actor=request.user, reason=data["reason"])
        )

    @action(detail=True, methods=["post"])
    def escalate(self, request, pk=None):
        ticket = self.get_object()
        data = self._input(serializers.TicketReasonSerializer)
        return self._detail(
            services.escalate_ticket(ticket, actor=request.user, reason=data["reason"])
        )

    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        ticket = self.get_object()
        data = self._input(serializers.TicketResolveSerializer)
        return self._detail(
            services.resolve_ticket(
                ticket,
                actor=request.user,
                resolution=data["resolution"],
                adjustment_amount=data.get("adjustment_amount"),
                adjustment_reason=data["adjustment_reason"],
            )
        )

    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        ticket = self.get_object()
        data = self._input(serializers.TicketReasonSerializer)
        return self._detail(
            services.reopen_ticket(ticket, actor=request.user, reason=data["reason"])
        )

    @action(detail=True, methods=["post"])
    def note(self, request, pk=None):
        ticket = self.get_object()
        data = self._input(serializers.TicketNoteCreateSerializer)
        visibility = data["visibility"]
        if selectors.is_customer(request.user):
            visibility = NoteVisibility.CUSTOMER
        services.add_note(ticket, author=request.user, body=data["body"], visibility=visibility)
        return self._detail(ticket)

    @action(detail=True, methods=["post"])
    def diagnosis(self, request, pk=None):
        ticket = self.get_object()
        data = self._input(serializers.TicketDiagnosisSerializer)
        services.add_diagnosis(
            ticket, author=request.user, fault_location=data["fault_location"], body=data["body"]
        )
        return self._detail(ticket)

    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser])
    def attachments(self, request, pk=None):
        ticket = self.get_object()
        data = self._input(serializers.TicketAttachmentUploadSerializer)
        services.add_attachment(ticket, data["file"], actor=request.user)
        return self._detail(ticket, status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        ticket = self.get_object()
        data = self._input(serializers.TicketTransitionSerializer)
        return self._detail(
            services.transition_ticket(
                ticket, data["status"], actor=request.user, reason=data["reason"]
            )
        )

    @action(detail=True, methods=["post"])
    def priority(self, request, pk=None):
        ticket = self.get_object()
        data = self._input(serializers.TicketPrioritySerializer)
        return self._detail(
            services.change_priority(
                ticket, data["priority"], actor=request.user, reason=data["reason"]
            )
        )


# --- Callbacks ------------------------------------------------------------------------------


class CallbackPermission(BasePermission):
    """Reading callbacks takes ``view_callback``; completing one ``change_callback``."""

    def has_permission(self, request, view):
        if view.action == "complete":
            return request.user.has_perm("complaints.change_callback")
        return request.user.has_perm("complaints.view_callback")


@extend_schema_view(
    complete=extend_schema(
        request=serializers.CallbackCompleteSerializer,
        responses={200: serializers.CallbackSerializer, 409: CONFLICT},
        description=(
            "Record what the callback found. Dissatisfied, not resolved or a score of 2 or less "
            "reopens the ticket for a coordinator (409 callback_done if already recorded)."
        ),
    )
)
class CallbackViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Return calls for unanswered satisfaction surveys: a specialist's own and unassigned
    ones, every one for coordinators and supervisors."""

    serializer_class = serializers.CallbackSerializer
    permission_classes = [IsAuthenticated, CallbackPermission]
    filter_backends = [StrictDjangoFilterBackend]
    filterset_class = filters.CallbackFilter

    def get_queryset(self):
        return selectors.callbacks_for(self.request.user, open_only=False).select_related(
            "assignee", "completed_by"
        )

    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        callback = self.get_object()
        serializer = serializers.CallbackCompleteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        surveys.complete_callback(
            callback,
            actor=request.user,
            outcome=data["outcome"],
            score=data.get("score"),
            note=data["note"],
        )
        fresh = self.get_queryset().get(pk=callback.pk)
        return Response(self.get_serializer(fresh).data)


# --- Low-score reviews ----------------------------------------------------------------------


class LowScoreReviewPermission(BasePermission):
    """Complaint coordinators and supervisors review low scores (their workspaces)."""

    def has_permission(self, request, view):
        return may_review_low_scores(request.user)


@extend_schema_view(
    review=extend_schema(
        request=serializers.LowScoreReviewActionSerializer,
        responses={200: serializers.LowScoreReviewSerializer, 409: CONFLICT},
        description=(
            "Review a low score: reopen the ticket to the coordinators, ask a specialist to call "
            "the customer back (409 callback_open if one is waiting), or only record a note. "
            "The note goes on the ticket; the first review marks the survey reviewed."
        ),
    )
)
class LowScoreReviewViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Answered satisfaction surveys with a score of 2 or less or "not resolved", newest
    first; ``reviewed=false`` lists those still to review."""

    serializer_class = serializers.LowScoreReviewSerializer
    permission_classes = [IsAuthenticated, LowScoreReviewPermission]
    filter_backends = [StrictDjangoFilterBackend]
    filterset_class = filters.LowScoreReviewFilter

    def get_queryset(self):
        return selectors.low_score_reviews(self.request.user)

    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        survey = self.get_object()
        serializer = serializers.LowScoreReviewActionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        surveys.review_low_score(survey, data["action"], actor=request.user, note=data["note"])
        fresh = self.get_queryset().get(pk=survey.pk)
        return Response(self.get_serializer(fresh).data)
