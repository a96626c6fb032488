"""Reads of the contact channels, scoped to who asks and tuned to a constant number of queries.

Customers reach only their own chats, agreements and notices (another customer's id is then a
404 like a missing one); staff reach what their model permissions allow; anyone else nothing.
"""

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from crm.channel_choices import (
    CallStatus,
    ChatStatus,
    DeliveryStatus,
    NoticeStatus,
)
from crm.channel_models import (
    AgentPresence,
    ChatMessage,
    ChatSession,
    InboundCall,
    InboundEmail,
    KnowledgeArticle,
    Notice,
    NoticeDelivery,
    ServiceAgreement,
)
from crm.choices import VerificationResult
from crm.contact_centre import contact_roles
from crm.knowledge import published_articles
from crm.models import IdentityVerification, Interaction
from crm.selectors import customers_for, is_customer_user
from portal.roles import Role

CONSOLE_ROWS = 20


def chats_for(user) -> QuerySet[ChatSession]:
    if not user.is_authenticated:
        return ChatSession.objects.none()
    if is_customer_user(user):
        return ChatSession.objects.filter(customer__user=user)
    if user.has_perm("crm.view_chatsession"):
        return ChatSession.objects.all()
    return ChatSession.objects.none()


def chat_list(user) -> QuerySet[ChatSession]:
    return chats_for(user).select_related("customer", "agent", "interaction", "ticket")


def chat_messages(chat: ChatSession, *, after: int = 0) -> QuerySet[ChatMessage]:
    return chat.messages.filter(pk__gt=after).select_related("article").order_by("pk")


def calls_for(user) -> QuerySet[InboundCall]:
    if user.is_authenticated and user.has_perm("crm.view_inboundcall"):
        return InboundCall.objects.select_related(
            "customer", "subscription", "interaction", "agent", "offered_to"
        )
    return InboundCall.objects.none()


def emails_for(user) -> QuerySet[InboundEmail]:
    if user.is_authenticated and user.has_perm("crm.view_inboundemail"):
        return InboundEmail.objects.select_related("customer", "ticket", "interaction")
    return InboundEmail.objects.none()


def notices_for(user) -> QuerySet[Notice]:
    """Staff with the view permission read every notice; a customer the published ones that
    reached them."""
    if not user.is_authenticated:
        return Notice.objects.none()
    if is_customer_user(user):
        return Notice.objects.filter(status=NoticeStatus.PUBLISHED, deliveries__customer__user=user)
    if user.has_perm("crm.view_notice"):
        return Notice.objects.all()
    return Notice.objects.none()


def banner_notices(user, *, limit: int = 3) -> list[Notice]:
    """The notices a signed-in customer sees on top of their portal now (one query)."""
    if not is_customer_user(user):
        return []
    now = timezone.now()
    return list(
        Notice.objects.filter(
            status=NoticeStatus.PUBLISHED,
            starts_at__lte=now,
            deliveries__customer__user=user,
        )
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
        .order_by("-starts_at", "-pk")[:limit]
    )


def deliveries_of(notice: Notice) -> QuerySet[NoticeDelivery]:
    return notice.deliveries.select_related("customer").order_by("pk")


def notices_with_undelivered(user) -> QuerySet[Notice]:
    """Published notices some of whose SMS failed or wait for another attempt, with those
    counts (the outbox page of supervisors), newest first."""
    if not user.has_perm("crm.view_noticedelivery"):
        return Notice.objects.none()
    failed = Q(deliveries__status=DeliveryStatus.FAILED)
    delayed = Q(deliveries__status=DeliveryStatus.PENDING, deliveries__attempts__gt=0)
    return (
        Notice.objects.filter(status=NoticeStatus.PUBLISHED)
        .annotate(failed=Count("deliveries", filter=failed))
        .annotate(delayed=Count("deliveries", filter=delayed))
        .filter(Q(failed__gt=0) | Q(delayed__gt=0))
        .order_by("-published_at", "-pk")
    )


def delivery_counts(notice: Notice) -> dict[str, int]:
    """How many of the notice's deliveries are in each status (one query)."""
    counts = dict(
        notice.deliveries.values("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    return {status: counts.get(status, 0) for status in DeliveryStatus.values}


def agreements_for(user) -> QuerySet[ServiceAgreement]:
    if not user.is_authenticated:
        return ServiceAgreement.objects.none()
    if is_customer_user(user):
        scope = ServiceAgreement.objects.filter(customer__user=user)
    elif user.has_perm("crm.view_serviceagreement"):
        scope = ServiceAgreement.objects.filter(customer__in=customers_for(user))
    else:
        return ServiceAgreement.objects.none()
    return scope.select_related("customer", "subscription", "signed_by")


def articles_for(user) -> QuerySet[KnowledgeArticle]:
    """Published articles: public ones for everyone, staff ones for staff too."""
    return published_articles(staff=sees_staff_articles(user))


def sees_staff_articles(user) -> bool:
    return user.is_authenticated and user.has_perm("crm.view_knowledgearticle")


# --- The console ------------------------------------------------------------------------------


@dataclass
class ConsoleState:
    """What the staff console shows: presence, the chat queue, the user's chats, the calls."""

    presence: AgentPresence | None
    waiting_chats: list[ChatSession]
    my_chats: list[ChatSession]
    calls: list[InboundCall]
    roles: list[str]

    @property
    def chat_offers(self) -> list[ChatSession]:
        return [chat for chat in self.waiting_chats if chat.offered_to_id == self._user_id]

    @property
    def call_offers(self) -> list[InboundCall]:
        return [
            call
            for call in self.calls
            if call.status == CallStatus.QUEUED and call.offered_to_id == self._user_id
        ]

    _user_id: int = 0


def console_state(user) -> ConsoleState:
    """Four queries: presence, waiting chats, the user's active chats, the calls of their
    roles (waiting, and their own connected ones). Supervisors watch every queue."""
    roles = [role.value for role in Role] if user.has_role(Role.SUPERVISOR) else contact_roles(user)
    presence = AgentPresence.objects.filter(user=user).first()
    waiting = (
        list(
            chats_for(user)
            .filter(status=ChatStatus.WAITING, queue_role__in=roles)
            .select_related("customer", "interaction")
            .order_by("-priority", "queued_at", "pk")[:CONSOLE_ROWS]
        )
        if roles
        else []
    )
    mine = list(
        chats_for(user)
        .filter(status=ChatStatus.ACTIVE, agent=user)
        .select_related("customer", "interaction")
        .order_by("accepted_at", "pk")
    )
    calls = list(
        calls_for(user)
        .filter(
            Q(status=CallStatus.QUEUED, target_role__in=roles)
            | Q(status=CallStatus.CONNECTED, agent=user)
        )
        .order_by("status", "started_at", "pk")[:CONSOLE_ROWS]
    )
    state = ConsoleState(
        presence=presence, waiting_chats=waiting, my_chats=mine, calls=calls, roles=roles
    )
    state._user_id = user.pk
    return state


def chat_desk(user, pk: int) -> ChatSession:
    """One chat for the specialist's desk, with whether its customer passed verification in
    its interaction (one query). Raises ``ChatSession.DoesNotExist``."""
    passed = IdentityVerification.objects.filter(
        interaction=OuterRef("interaction"), result=VerificationResult.PASSED
    )
    return (
        chats_for(user)
        .select_related("customer", "agent", "interaction__service_order", "ticket")
        .annotate(verified=Exists(passed))
        .get(pk=pk)
    )


def customer_history(customer, *, exclude_interaction=None, limit: int = 5) -> dict:
    """Beside a chat or a call: the customer's latest contacts and open tickets (two queries)."""
    from complaints.choices import OPEN_STATUSES
    from complaints.models import Ticket

    if customer is None:
        return {"interactions": [], "tickets": []}
    interactions = Interaction.objects.filter(customer=customer).select_related("staff")
    if exclude_interaction is not None:
        interactions = interactions.exclude(pk=exclude_interaction)
    return {
        "interactions": list(interactions.order_by("-started_at")[:limit]),
        "tickets": list(
            Ticket.objects.filter(customer=customer, status__in=OPEN_STATUSES).order_by(
                "-created_at"
            )[:limit]
        ),
    }


def call_desk(user, pk: int) -> InboundCall:
    """One call for the screen pop, with whether the caller passed verification in it."""
    passed = IdentityVerification.objects.filter(
        interaction=OuterRef("interaction"), result=VerificationResult.PASSED
    )
    return calls_for(user).select_related("ivr_node").annotate(verified=Exists(passed)).get(pk=pk)
