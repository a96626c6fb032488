"""Monthly staff KPIs, computed set-based from the other apps' tables, and the incentive score.

One aggregate query per source, grouped by staff member, for the whole month (Asia/Shanghai):

- **tickets handled**: tickets resolved in the month, counted for their assignee (a reopened
  ticket is no longer resolved; closing keeps the resolution);
- **first-contact resolution**: of those, the ones resolved without escalation by the staff
  member who took the contact (opened the ticket);
- **SLA compliance**: of those with a resolution deadline, the ones resolved by it;
- **satisfaction**: surveys answered in the month, counted for the staff member who resolved
  the ticket (a low score reopens the ticket to someone else, so its current assignee would
  be the wrong one), and their average score (1–5);
- **interactions**: contacts started in the month by the staff member;
- **orders and sales**: service orders taken in the month (not cancelled) and the fees of the
  completed ones, in yuan;
- **assessment results**: attempts finished in the month, passed, and their average score.

The incentive score (0–100) is the weighted mean of each KPI's achievement (0–1) under the
role's active ``IncentiveScheme``: counts against the scheme's targets (capped at 1), rates as
they are, satisfaction as (score − 1) / 4. A rate without data (no ticket, no survey, no
attempt) leaves its weight out rather than counting as zero.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Avg, Count, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from complaints.choices import SurveyStatus, TicketEventKind, TicketStatus
from complaints.models import Survey, Ticket, TicketEvent
from crm.choices import OrderStatus
from crm.models import Interaction, ServiceOrder
from portal.months import month_bounds, month_start
from portal.roles import STAFF_ROLES
from training.choices import FINISHED_ATTEMPT
from training.models import Attempt, IncentiveScheme, StaffKpi, TeamMember

HUNDRED = Decimal("100")
CENT = Decimal("0.01")
ONE = Decimal("1")
# A staff member with several roles is ranked under the first of these they hold.
ROLE_ORDER = [role.value for role in STAFF_ROLES]


def surveys_with_resolver(surveys: QuerySet[Survey]) -> QuerySet[Survey]:
    """Annotate ``resolver_id``: who resolved the ticket the survey asks about. The resolution
    writes the survey and then its status event in one transaction, so the survey's resolution
    is the ticket's first move to resolved at or after the survey's creation."""
    resolution = TicketEvent.objects.filter(
        ticket_id=OuterRef("ticket_id"),
        kind=TicketEventKind.STATUS,
        to_value=TicketStatus.RESOLVED,
        created_at__gte=OuterRef("created_at"),
    ).order_by("created_at", "pk")
    return surveys.annotate(resolver_id=Subquery(resolution.values("actor_id")[:1]))


def _pct(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(CENT, rounding=ROUND_HALF_UP)


def _dec(value, places: Decimal = CENT) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(places, rounding=ROUND_HALF_UP)


@dataclass
class Achievement:
    weight: Decimal
    value: Decimal | None  # 0..1, None when there is nothing to measure


def incentive_score(kpi: StaffKpi, scheme: IncentiveScheme | None) -> Decimal:
    """The weighted mean of the KPIs' achievements, 0–100, two places."""
    if scheme is None:
        return Decimal("0.00")

    def capped(value: Decimal, target) -> Decimal:
        return min(value / Decimal(target), ONE)

    parts = [
        Achievement(
            scheme.weight_tickets, capped(Decimal(kpi.tickets_handled), scheme.target_tickets)
        ),
        Achievement(scheme.weight_fcr, None if kpi.fcr_rate is None else kpi.fcr_rate / HUNDRED),
        Achievement(scheme.weight_sla, None if kpi.sla_rate is None else kpi.sla_rate / HUNDRED),
        Achievement(
            scheme.weight_satisfaction,
            None if kpi.satisfaction_avg is None else (kpi.satisfaction_avg - ONE) / Decimal(4),
        ),
        Achievement(
            scheme.weight_interactions,
            capped(Decimal(kpi.interactions), scheme.target_interactions),
        ),
        Achievement(scheme.weight_sales, capped(kpi.sales_amount, scheme.target_sales)),
        Achievement(
            scheme.weight_assessments,
            None if kpi.assessment_avg is None else kpi.assessment_avg / HUNDRED,
        ),
    ]
    counted = [part for part in parts if part.value is not None and part.weight > 0]
    total_weight = sum((part.weight for part in counted), Decimal(0))
    if not total_weight:
        return Decimal("0.00")
    weighted = sum((part.weight * part.value for part in counted), Decimal(0))
    return (weighted * HUNDRED / total_weight).quantize(CENT, rounding=ROUND_HALF_UP)


def active_schemes() -> dict[str, IncentiveScheme]:
    """The active scheme of each role ("" is the default for the others)."""
    return {scheme.role: scheme for scheme in IncentiveScheme.objects.filter(is_active=True)}


def _staff() -> dict[int, str]:
    """Active staff members and the role each is ranked under (one query)."""
    roles: dict[int, list[str]] = defaultdict(list)
    rows = (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=ROLE_ORDER)
        .values_list("pk", "groups__name")
    )
    for user_id, group in rows:
        roles[user_id].append(group)
    return {user_id: min(names, key=ROLE_ORDER.index) for user_id, names in roles.items() if names}


def compute_monthly_kpis(month: datetime.date) -> int:
    """Compute (or recompute) every staff member's KPIs of ``month``; returns the rows written.

    Seven queries whatever the number of staff and records, then one upsert."""
    month = month_start(month)
    start, end = month_bounds(month)
    staff = _staff()
    if not staff:
        return 0
    teams = dict(TeamMember.objects.filter(user_id__in=staff).values_list("user_id", "team_id"))
    tickets = {
        row["assignee_id"]: row
        for row in Ticket.objects.filter(
            resolved_at__gte=start, resolved_at__lt=end, assignee_id__isnull=False
        )
        .values("assignee_id")
        .annotate(
            handled=Count("pk"),
            first_contact=Count("pk", filter=Q(escalation_level=0, created_by_id=F("assignee_id"))),
            with_deadline=Count("pk", filter=Q(resolution_due_at__isnull=False)),
            sla_met=Count("pk", filter=Q(resolved_at__lte=F("resolution_due_at"))),
        )
        .order_by()
    }
    surveys = {
        row["resolver_id"]: row
        for row in surveys_with_resolver(
            Survey.objects.filter(
                status=SurveyStatus.ANSWERED,
                answered_at__gte=start,
                answered_at__lt=end,
                score__isnull=False,
            )
        )
        .values("resolver_id")
        .annotate(answered=Count("pk"), average=Avg("score"))
        .order_by()
    }
    interactions = dict(
        Interaction.objects.filter(
            started_at__gte=start, started_at__lt=end, staff_id__isnull=False
        )
        .values("staff_id")
        .annotate(count=Count("pk"))
        .order_by()
        .values_list("staff_id", "count")
    )
    orders = {
        row["created_by_id"]: row
        for row in ServiceOrder.objects.filter(created_at__gte=start, created_at__lt=end)
        .exclude(status=OrderStatus.CANCELLED)
        .values("created_by_id")
        .annotate(count=Count("pk"), sales=Sum("fee", filter=Q(status=OrderStatus.COMPLETED)))
        .order_by()
    }
    attempts = {
        row["user_id"]: row
        for row in Attempt.objects.filter(
            status__in=FINISHED_ATTEMPT, submitted_at__gte=start, submitted_at__lt=end
        )
        .values("user_id")
        .annotate(
            taken=Count("pk"), passed=Count("pk", filter=Q(passed=True)), average=Avg("score")
        )
        .order_by()
    }
    schemes = active_schemes()
    now = timezone.now()
    rows = []
    for user_id, role in staff.items():
        ticket = tickets.get(user_id, {})
        survey = surveys.get(user_id, {})
        order = orders.get(user_id, {})
        attempt = attempts.get(user_id, {})
        handled = ticket.get("handled", 0)
        kpi = StaffKpi(
            user_id=user_id,
            month=month,
            role=role,
            team_id=teams.get(user_id),
            tickets_handled=handled,
            first_contact_resolved=ticket.get("first_contact", 0),
            fcr_rate=_pct(ticket.get("first_contact", 0), handled),
            sla_met=ticket.get("sla_met", 0),
            sla_rate=_pct(ticket.get("sla_met", 0), ticket.get("with_deadline", 0)),
            surveys_answered=survey.get("answered", 0),
            satisfaction_avg=_dec(survey.get("average")),
            interactions=interactions.get(user_id, 0),
            orders=order.get("count", 0),
            sales_amount=_dec(order.get("sales")) or Decimal("0.00"),
            assessments_taken=attempt.get("taken", 0),
            assessments_passed=attempt.get("passed", 0),
            assessment_avg=_dec(attempt.get("average")),
            computed_at=now,
        )
        kpi.incentive_score = incentive_score(kpi, schemes.get(role) or schemes.get(""))
        rows.append(kpi)
    fields = [
        field.name
        for field in StaffKpi._meta.concrete_fields
        if field.name not in {"id", "user", "month"}
    ]
    with transaction.atomic():
        # Staff who left since the last run drop out of the month's ranking.
        StaffKpi.objects.filter(month=month).exclude(user_id__in=staff).delete()
        StaffKpi.objects.bulk_create(
            rows,
            batch_size=500,
            update_conflicts=True,
            unique_fields=["user", "month"],
            update_fields=fields,
        )
    return len(rows)
