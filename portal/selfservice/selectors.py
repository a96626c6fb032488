"""Reads of the customer self-service portal, each scoped to the signed-in customer's own
record (``billing.selectors.own_customer``) and shaped for one page in a fixed number of
queries."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import Group
from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.http import Http404
from django.utils import timezone

from billing.choices import VOICE_EVENTS, PromotionKind, TopUpChannel, UsageEventType, UsageStatus
from billing.models import Bill, TopUp, UsageMonth, UsageRecord
from billing.promotions import common_refusal, current_promotions, uses_by
from complaints.choices import OPEN_STATUSES
from complaints.models import Ticket
from crm.choices import (
    PLAN_KIND_FOR_SUBSCRIPTION,
    ProductKind,
    SubscriptionKind,
    SubscriptionStatus,
)
from crm.models import (
    Customer,
    PiiAccessLog,
    Product,
    ServiceOrder,
    Subscription,
    SubscriptionProduct,
)
from crm.selectors import catalog
from portal.months import month_start
from portal.roles import Role
from portal.selfservice.models import ConsentChange, ContactPreference

ZERO = Decimal("0.00")
KB_PER_MB = 1024


@dataclass
class Allowance:
    """One progress bar: how much of a plan's allowance or cap this month has used."""

    key: str
    used: Decimal | int
    limit: Decimal | int
    unit: str

    @property
    def percent(self) -> int:
        if not self.limit:
            return 0
        return min(100, int(Decimal(self.used) * 100 / Decimal(self.limit)))


@dataclass
class LineOverview:
    line: Subscription
    plan: Product | None
    services: list[Product] = field(default_factory=list)
    data_kb: int = 0
    usage_charges: Decimal = ZERO
    allowances: list[Allowance] = field(default_factory=list)

    @property
    def data_mb(self) -> Decimal:
        return _mb(self.data_kb)


def _products_effective(day: datetime.date) -> QuerySet[SubscriptionProduct]:
    return (
        SubscriptionProduct.objects.filter(effective_from__lte=day)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=day))
        .select_related("product__mobile_terms")
        .order_by("product__kind", "product__code")
    )


def live_lines(customer: Customer, day: datetime.date, *, mobile_only: bool = False):
    """The customer's lines that are not terminated, each with ``current_products`` (the
    products effective on ``day``, with their plan terms): two queries."""
    lines = (
        Subscription.objects.filter(customer=customer)
        .exclude(status=SubscriptionStatus.TERMINATED)
        .prefetch_related(
            Prefetch("products", queryset=_products_effective(day), to_attr="current_products")
        )
        .order_by("kind", "activated_on", "pk")
    )
    if mobile_only:
        lines = lines.filter(kind=SubscriptionKind.MOBILE)
    return list(lines)


def plan_of(line: Subscription) -> Product | None:
    plan_kind = PLAN_KIND_FOR_SUBSCRIPTION[SubscriptionKind(line.kind)]
    return next(
        (row.product for row in line.current_products if row.product.kind == plan_kind), None
    )


def services_of(line: Subscription) -> list[Product]:
    kinds = (ProductKind.VALUE_ADDED, ProductKind.FEATURE)
    return [row.product for row in line.current_products if row.product.kind in kinds]


def line_overviews(customer: Customer, day: datetime.date | None = None) -> list[LineOverview]:
    """Every live line with its plan, services and this month's usage against the plan's
    allowances and caps (four queries: lines, their products, usage months, minutes and SMS)."""
    day = day or timezone.localdate()
    month = month_start(day)
    lines = live_lines(customer, day)
    if not lines:
        return []
    line_ids = [line.pk for line in lines]
    months = {
        row.subscription_id: row
        for row in UsageMonth.objects.filter(subscription_id__in=line_ids, month=month)
    }
    counted: dict[tuple[int, str], int] = {}
    for sub_id, event_type, units in (
        UsageRecord.objects.filter(
            subscription_id__in=line_ids, billing_month=month, status=UsageStatus.RATED
        )
        .filter(event_type__in=[*VOICE_EVENTS, UsageEventType.SMS])
        .values_list("subscription_id", "event_type")
        .annotate(units=Sum("charged_units"))
        .order_by()
    ):
        kind = "sms" if event_type == UsageEventType.SMS else "minutes"
        counted[(sub_id, kind)] = counted.get((sub_id, kind), 0) + (units or 0)
    overviews = []
    for line in lines:
        usage = months.get(line.pk)
        plan = plan_of(line)
        overview = LineOverview(line=line, plan=plan, services=services_of(line))
        if usage is not None:
            overview.data_kb = usage.data_kb
            overview.usage_charges = usage.data_charge + usage.voice_charge + usage.sms_charge
        terms = getattr(plan, "mobile_terms", None) if plan else None
        if terms is not None:
            overview.allowances = _allowances(overview, terms, counted)
        overviews.append(overview)
    return overviews


def _allowances(overview: LineOverview, terms, counted) -> list[Allowance]:
    line_id = overview.line.pk
    bars = []
    if terms.included_minutes:
        bars.append(
            Allowance(
                "minutes", counted.get((line_id, "minutes"), 0), terms.included_minutes, "min"
            )
        )
    if terms.included_sms:
        bars.append(Allowance("sms", counted.get((line_id, "sms"), 0), terms.included_sms, "sms"))
    if terms.included_data_kb:
        bars.append(
            Allowance(
                "included_data",
                _mb(overview.data_kb),
                _mb(terms.included_data_kb),
                "MB",
            )
        )
    if terms.monthly_data_cap_kb:
        bars.append(
            Allowance("data_cutoff", _mb(overview.data_kb), _mb(terms.monthly_data_cap_kb), "MB")
        )
    if terms.monthly_charge_cap:
        bars.append(
            Allowance("charge_cap", overview.usage_charges, terms.monthly_charge_cap, "CNY")
        )
    return bars


def _mb(kb: int) -> Decimal:
    return (Decimal(kb) / KB_PER_MB).quantize(Decimal("0.1"))


def open_tickets(customer: Customer, *, limit: int = 5) -> list[Ticket]:
    return list(
        Ticket.objects.filter(customer=customer, status__in=OPEN_STATUSES).order_by(
            "-created_at", "-pk"
        )[:limit]
    )


def latest_bill(customer: Customer) -> Bill | None:
    return (
        Bill.objects.filter(subscription__customer=customer)
        .select_related("subscription")
        .order_by("-period", "-pk")
        .first()
    )


# --- Value-added services and plans ---------------------------------------------------------


def value_added_catalog(day: datetime.date | None = None) -> list[Product]:
    """Value-added services and features on sale today, with their bundle components."""
    return list(
        catalog(on_day=day or timezone.localdate())
        .filter(kind__in=(ProductKind.VALUE_ADDED, ProductKind.FEATURE))
        .order_by("kind", "monthly_fee", "code")
    )


def mobile_plans(day: datetime.date | None = None) -> list[Product]:
    """Mobile plans on sale today with their terms."""
    return list(
        catalog(on_day=day or timezone.localdate())
        .filter(kind=ProductKind.MOBILE_PLAN)
        .select_related("mobile_terms")
        .order_by("monthly_fee", "code")
    )


def self_service_orders(customer: Customer) -> QuerySet[ServiceOrder]:
    """The customer's service orders (every channel), newest first, with line and product."""
    return (
        ServiceOrder.objects.filter(customer=customer)
        .select_related("subscription", "product")
        .order_by("-created_at", "-pk")
    )


def pending_plan_changes(customer: Customer, day: datetime.date) -> dict[int, SubscriptionProduct]:
    """Plans that start after ``day`` on the customer's lines (a change already ordered)."""
    rows = SubscriptionProduct.objects.filter(
        subscription__customer=customer,
        product__kind__in=list(PLAN_KIND_FOR_SUBSCRIPTION.values()),
        effective_from__gt=day,
    ).select_related("product")
    return {row.subscription_id: row for row in rows}


# --- Privacy ----------------------------------------------------------------------------------


def pii_looks(customer: Customer) -> QuerySet[PiiAccessLog]:
    """Who looked at the customer's protected data, by role only (``actor_role``, a group name
    from ``portal.roles.Role``): date, field, reason; never the staff member's name."""
    role = Group.objects.filter(user=OuterRef("actor_id"), name__in=STAFF_ROLE_NAMES).order_by(
        "name"
    )
    return (
        PiiAccessLog.objects.filter(customer=customer)
        .annotate(actor_role=Subquery(role.values("name")[:1]))
        .only("created_at", "field", "reason", "customer_id")
        .order_by("-created_at", "-pk")
    )


STAFF_ROLE_NAMES = [role.value for role in Role if role != Role.CUSTOMER]


def role_label(name: str | None) -> str:
    return str(Role(name).label) if name in STAFF_ROLE_NAMES else ""


def consent_history(customer: Customer, *, limit: int = 10) -> list[ConsentChange]:
    return list(ConsentChange.objects.filter(customer=customer)[:limit])


def marketing_sms_audience() -> QuerySet[Customer]:
    """Customers who agreed to marketing SMS: the only ones any campaign may text."""
    return Customer.objects.filter(contact_preference__marketing_sms=True)


def sms_notice_opt_outs() -> QuerySet:
    """Ids of customers who asked not to get service notices by SMS (a subquery)."""
    return ContactPreference.objects.filter(notices_by_sms=False).values("customer_id")


def email_opt_outs() -> QuerySet:
    """Ids of customers who asked for no e-mail copies of their messages (a subquery)."""
    return ContactPreference.objects.filter(messages_by_email=False).values("customer_id")


# --- Top-up offers ----------------------------------------------------------------------------


def online_top_up_offers(customer: Customer, day: datetime.date | None = None) -> list:
    """Limited-time top-up offers an online top-up by this customer may get today: running, for
    the online channel (or any), for their segment (or all), not used up, and within their own
    limit of uses (two queries). Whether a given amount qualifies is decided when paying."""
    day = day or timezone.localdate()
    offers = list(
        current_promotions(day)
        .filter(kind=PromotionKind.TOP_UP_BONUS)
        .filter(Q(channel="") | Q(channel=TopUpChannel.ONLINE))
        .filter(Q(segment="") | Q(segment=customer.segment))
        .order_by("min_amount", "pk")
    )
    if not offers:
        return []
    uses = uses_by(customer, offers)
    # Billing's own checks; a benefit of one fen: an offer shows while any budget is left.
    return [
        offer
        for offer in offers
        if common_refusal(
            offer,
            customer=customer,
            day=day,
            uses_by_customer=uses.get(offer.pk, 0),
            benefit=Decimal("0.01"),
        )
        is None
    ]


def own_top_up(customer: Customer, pk: int) -> TopUp:
    """One of the customer's top-ups with its ledger entry, offer and points (404 otherwise)."""
    record = (
        TopUp.objects.filter(account__customer=customer, pk=pk)
        .select_related(
            "account__prepaid_balance",
            "ledger_entry",
            "promotion_redemption__promotion",
            "points_entry",
        )
        .first()
    )
    if record is None:
        raise Http404
    return record
