"""The contact centre's shared machinery: who is present, who gets the next chat or call, and
the account automated intake (mail, a visitor's message) is recorded under.

Presence is a row per staff member (``AgentPresence``), set by the console and kept fresh by its
polling. An agent is *available* when the row says so and the console polled within
``CRM_PRESENCE_TIMEOUT_SECONDS``. Offers (a chat or a call proposed to one agent) expire after
``CRM_OFFER_SECONDS``; the sweep then offers them to someone else.
"""

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.channel_choices import CallStatus, ChatStatus, PresenceStatus
from crm.channel_models import AgentPresence, ChatSession, InboundCall
from crm.choices import SubscriptionStatus
from crm.models import Customer, Subscription
from portal.roles import STAFF_ROLES, Role

INTAKE_USERNAME = "contact-intake"


def presence_cutoff(now: datetime.datetime | None = None) -> datetime.datetime:
    return (now or timezone.now()) - datetime.timedelta(
        seconds=settings.CRM_PRESENCE_TIMEOUT_SECONDS
    )


def offer_cutoff(now: datetime.datetime | None = None) -> datetime.datetime:
    """Offers made before this moment have expired."""
    return (now or timezone.now()) - datetime.timedelta(seconds=settings.CRM_OFFER_SECONDS)


def contact_roles(user) -> list[str]:
    """The staff roles whose chat and call queues this user works."""
    return [role.value for role in STAFF_ROLES if role in user.roles]


@transaction.atomic
def set_presence(user, status: str, *, max_chats: int | None = None) -> AgentPresence:
    """Go available, away or offline (the console's switch); staff only."""
    if status not in PresenceStatus.values:
        raise ValidationError({"status": ValidationError(_("Unknown status."), code="invalid")})
    if max_chats is not None and not 1 <= max_chats <= 10:
        raise ValidationError(
            {"max_chats": ValidationError(_("Take between 1 and 10 chats."), code="invalid")}
        )
    presence, _created = AgentPresence.objects.get_or_create(user=user)
    presence = AgentPresence.objects.select_for_update().get(pk=presence.pk)
    presence.status = status
    presence.last_seen_at = timezone.now()
    if max_chats is not None:
        presence.max_chats = max_chats
    presence.save(update_fields=["status", "last_seen_at", "max_chats", "updated_at"])
    return presence


def touch_presence(user) -> None:
    """The console polled: still here (one UPDATE; nothing when the user never set presence)."""
    AgentPresence.objects.filter(user=user).update(last_seen_at=timezone.now())


def _active_chats(user_ref) -> Subquery:
    return Coalesce(
        Subquery(
            ChatSession.objects.filter(agent=user_ref, status=ChatStatus.ACTIVE)
            .values("agent")
            .annotate(n=Count("pk"))
            .values("n")[:1],
            output_field=IntegerField(),
        ),
        Value(0),
    )


def _open_chat_offers(user_ref, now) -> Subquery:
    return Coalesce(
        Subquery(
            ChatSession.objects.filter(
                offered_to=user_ref, status=ChatStatus.WAITING, offered_at__gte=offer_cutoff(now)
            )
            .values("offered_to")
            .annotate(n=Count("pk"))
            .values("n")[:1],
            output_field=IntegerField(),
        ),
        Value(0),
    )


def available_agents(role: str, *, now=None) -> QuerySet:
    """Active members of ``role`` who are available now, with their chat load annotated."""
    now = now or timezone.now()
    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            groups__name=role,
            presence__status=PresenceStatus.AVAILABLE,
            presence__last_seen_at__gte=presence_cutoff(now),
        )
        .annotate(
            active_chats=_active_chats(OuterRef("pk")),
            chat_offers=_open_chat_offers(OuterRef("pk"), now),
        )
    )


def agents_available(role: str = Role.SERVICE_SPECIALIST) -> bool:
    return available_agents(role).exists()


def pick_chat_agent(role: str, *, now=None, exclude_ids=()):
    """The available member of ``role`` with room for one more chat and the fewest chats."""
    return (
        available_agents(role, now=now)
        .exclude(pk__in=[pk for pk in exclude_ids if pk])
        .filter(
            presence__max_chats__gt=_active_chats(OuterRef("pk"))
            + _open_chat_offers(OuterRef("pk"), now or timezone.now())
        )
        .order_by("active_chats", "chat_offers", "pk")
        .first()
    )


def pick_call_agent(role: str, *, now=None, exclude_ids=()):
    """The available member of ``role`` neither on a call nor holding an offered call, the one
    with the fewest chats first."""
    now = now or timezone.now()
    on_call = InboundCall.objects.filter(agent=OuterRef("pk"), status=CallStatus.CONNECTED)
    holding = InboundCall.objects.filter(
        offered_to=OuterRef("pk"), status=CallStatus.QUEUED, offered_at__gte=offer_cutoff(now)
    )
    return (
        available_agents(role, now=now)
        .exclude(pk__in=[pk for pk in exclude_ids if pk])
        .filter(~Exists(on_call), ~Exists(holding))
        .order_by("active_chats", "pk")
        .first()
    )


def intake_user():
    """The inactive account that automated intake (mail, a visitor's message) writes as; it
    cannot sign in. Created on first use; the unique username settles a race."""
    user, _created = get_user_model().objects.get_or_create(
        username=INTAKE_USERNAME,
        defaults={"is_active": False, "first_name": "", "last_name": _("Contact intake")},
    )
    return user


def offer_filter(now) -> Q:
    """Rows not offered to anyone, or whose offer expired."""
    return Q(offered_to__isnull=True) | Q(offered_at__lt=offer_cutoff(now))


def identify_caller(number: str) -> tuple[Customer | None, Subscription | None]:
    """Whose number this is: a live line's holder (mobile or fixed) first, else the one customer
    with it as contact phone; several customers sharing a contact phone identify nobody."""
    number = "".join(ch for ch in (number or "") if ch.isdigit())
    if number.startswith("86") and len(number) == 13:
        number = number[2:]
    if not number:
        return None, None
    line = (
        Subscription.objects.filter(Q(msisdn=number) | Q(fixed_number=number))
        .exclude(status=SubscriptionStatus.TERMINATED)
        .select_related("customer")
        .order_by("pk")
        .first()
    )
    if line is not None:
        return line.customer, line
    matches = list(Customer.objects.filter(contact_phone=number)[:2])
    return (matches[0] if len(matches) == 1 else None), None
