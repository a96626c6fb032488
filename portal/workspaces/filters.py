"""Filters and sort orders of the workspaces' lists (GET parameters, django-filter).

Each filter set narrows a queryset a scoped selector already gave; none of them widens it.
"""

import datetime

import django_filters as filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from billing.choices import InstalmentPlanStatus
from billing.models import InstalmentPlan
from complaints.choices import (
    OPEN_STATUSES,
    NotificationChannel,
    NotificationStatus,
    Priority,
    Queue,
    TicketCategory,
    TicketStatus,
)
from complaints.models import Notification, Survey, Ticket
from complaints.selectors import breached_q, due_soon_q
from crm.choices import ORDER_OPEN_STATUSES, OrderKind, OrderStatus
from crm.models import ServiceOrder
from portal import outbox
from portal.workspaces.listing import SortFilter

ANY = ("all", pgettext_lazy("filter", "All"))
YES_NO = (("yes", _("yes")), ("no", _("no")))


def _ticket_state(queryset, value: str):
    now = timezone.now()
    if value == "open":
        return queryset.filter(status__in=OPEN_STATUSES)
    if value == "breached":
        return queryset.filter(breached_q(now))
    if value == "due_soon":
        return queryset.filter(due_soon_q(now))
    if value == "waiting":
        return queryset.filter(status=TicketStatus.WAITING_CUSTOMER)
    if value == "finished":
        return queryset.exclude(status__in=OPEN_STATUSES)
    return queryset


TICKET_STATES = (
    ("open", _("Open")),
    ("breached", _("Breached")),
    ("due_soon", _("Due within 2 hours")),
    ("waiting", _("Waiting for the customer")),
    ("finished", _("Resolved, closed or cancelled")),
    ANY,
)
ASSIGNEE_CHOICES = (("mine", _("Mine")), ("unassigned", _("Unassigned")), ANY)


class TicketListFilter(filters.FilterSet):
    """What the fault queue and the disputes list share: state, assignee, priority."""

    state = filters.ChoiceFilter(
        label=_("State"), choices=TICKET_STATES, method="filter_state", empty_label=None
    )
    assignee = filters.ChoiceFilter(
        label=_("Assignee"), choices=ASSIGNEE_CHOICES, method="filter_assignee", empty_label=None
    )
    priority = filters.ChoiceFilter(
        label=_("Priority"), choices=Priority.choices, empty_label=pgettext_lazy("filter", "All")
    )

    class Meta:
        model = Ticket
        fields = ["state", "assignee", "priority"]

    def filter_state(self, queryset, name, value):
        return _ticket_state(queryset, value)

    def filter_assignee(self, queryset, name, value):
        if value == "mine":
            return queryset.filter(assignee=self.request.user)
        if value == "unassigned":
            return queryset.filter(assignee__isnull=True)
        return queryset


class FaultQueueFilter(TicketListFilter):
    queue = filters.ChoiceFilter(
        label=_("Queue"),
        choices=[(Queue.TECH_SUPPORT.value, Queue.TECH_SUPPORT.label), ANY],
        method="filter_queue",
        empty_label=None,
    )
    category = filters.ChoiceFilter(
        label=_("Category"),
        choices=[
            (value, label)
            for value, label in TicketCategory.choices
            if value
            in (
                TicketCategory.MOBILE_SIGNAL,
                TicketCategory.MOBILE_DATA,
                TicketCategory.BROADBAND,
                TicketCategory.FIXED_LINE,
                TicketCategory.OTHER,
            )
        ],
        empty_label=pgettext_lazy("filter", "All"),
    )
    diagnosed = filters.ChoiceFilter(
        label=_("Diagnosed"),
        choices=YES_NO,
        method="filter_diagnosed",
        empty_label=pgettext_lazy("filter", "All"),
    )
    sort = SortFilter(
        fields=(
            ("resolution_due_at", "deadline"),
            ("urgency", "priority"),
            ("created_at", "created"),
            ("number", "number"),
        ),
        field_labels={
            "resolution_due_at": _("Resolve by"),
            "urgency": _("Priority"),
            "created_at": _("Opened"),
            "number": _("Ticket number"),
        },
        label=_("Sort by"),
    )

    class Meta(TicketListFilter.Meta):
        fields = ["state", "queue", "assignee", "priority", "category", "diagnosed"]

    def filter_queue(self, queryset, name, value):
        if value == Queue.TECH_SUPPORT:
            return queryset.filter(queue=Queue.TECH_SUPPORT)
        return queryset

    def filter_diagnosed(self, queryset, name, value):
        return queryset.filter(diagnosed_at__isnull=value != "yes")


class DisputeFilter(TicketListFilter):
    adjusted = filters.ChoiceFilter(
        label=_("Adjustment granted"),
        choices=YES_NO,
        method="filter_adjusted",
        empty_label=pgettext_lazy("filter", "All"),
    )
    sort = SortFilter(
        fields=(
            ("resolution_due_at", "deadline"),
            ("urgency", "priority"),
            ("created_at", "created"),
            ("adjustment_entry__amount", "adjustment"),
        ),
        field_labels={
            "resolution_due_at": _("Resolve by"),
            "urgency": _("Priority"),
            "created_at": _("Opened"),
            "adjustment_entry__amount": _("Adjustment"),
        },
        label=_("Sort by"),
    )

    class Meta(TicketListFilter.Meta):
        fields = ["state", "assignee", "priority", "adjusted"]

    def filter_adjusted(self, queryset, name, value):
        return queryset.filter(adjustment_entry__isnull=value != "yes")


class LowScoreFilter(filters.FilterSet):
    reviewed = filters.ChoiceFilter(
        label=_("Review"),
        choices=(("to_review", _("To review")), ("reviewed", _("Reviewed")), ANY),
        method="filter_reviewed",
        empty_label=None,
    )
    score = filters.ChoiceFilter(
        label=_("Score"),
        choices=[(str(score), str(score)) for score in range(1, 6)],
        empty_label=pgettext_lazy("filter", "All"),
    )
    resolved = filters.ChoiceFilter(
        label=_("Resolved?"),
        choices=YES_NO,
        method="filter_resolved",
        empty_label=pgettext_lazy("filter", "All"),
    )
    days = filters.ChoiceFilter(
        label=_("Answered in the last"),
        choices=(("7", _("7 days")), ("30", _("30 days")), ("90", _("90 days")), ANY),
        method="filter_days",
        empty_label=None,
    )
    sort = SortFilter(
        fields=(("answered_at", "answered"), ("score", "score")),
        field_labels={"answered_at": _("Answered on"), "score": _("Score")},
        label=_("Sort by"),
    )

    class Meta:
        model = Survey
        fields = ["reviewed", "score", "resolved", "days"]

    def filter_reviewed(self, queryset, name, value):
        if value == "to_review":
            return queryset.filter(reviewed_at__isnull=True)
        if value == "reviewed":
            return queryset.filter(reviewed_at__isnull=False)
        return queryset

    def filter_resolved(self, queryset, name, value):
        return queryset.filter(resolved=value == "yes")

    def filter_days(self, queryset, name, value):
        if value == "all":
            return queryset
        since = timezone.now() - datetime.timedelta(days=int(value))
        return queryset.filter(answered_at__gte=since)


class UndeliveredMessageFilter(filters.FilterSet):
    """The supervisor's outbox page: failed messages, delayed ones, or both; by channel."""

    state = filters.ChoiceFilter(
        label=_("Delivery"),
        choices=(
            ("failed", _("Failed for good")),
            ("delayed", _("Delayed (will be tried again)")),
            ANY,
        ),
        method="filter_state",
        empty_label=None,
    )
    channel = filters.ChoiceFilter(
        label=_("Channel"),
        choices=NotificationChannel.choices,
        empty_label=pgettext_lazy("filter", "All"),
    )
    sort = SortFilter(
        fields=(
            ("created_at", "created"),
            ("next_attempt_at", "next_attempt"),
            ("attempts", "attempts"),
        ),
        field_labels={
            "created_at": _("Written at"),
            "next_attempt_at": _("Next attempt"),
            "attempts": _("Attempts"),
        },
        label=_("Sort by"),
    )

    class Meta:
        model = Notification
        fields = ["state", "channel"]

    def filter_state(self, queryset, name, value):
        if value == "failed":
            return queryset.filter(status=NotificationStatus.FAILED)
        if value == "delayed":
            return queryset.filter(outbox.DELAYED)
        return queryset


def recent_months(count: int = 12) -> list[tuple[str, str]]:
    """``YYYY-MM`` of this month and the ``count - 1`` before it, newest first."""
    month = timezone.localdate().replace(day=1)
    months = []
    for _index in range(count):
        months.append((f"{month:%Y-%m}", f"{month:%Y-%m}"))
        month = (month - datetime.timedelta(days=1)).replace(day=1)
    return months


class MonthChoiceFilter(filters.ChoiceFilter):
    """A month among the last twelve, on a date-time field, in local time."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", recent_months)
        kwargs.setdefault("empty_label", pgettext_lazy("filter", "All"))
        kwargs.setdefault("label", _("Month"))
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        year, month = (int(part) for part in value.split("-"))
        start = datetime.date(year, month, 1)
        end = (start + datetime.timedelta(days=32)).replace(day=1)
        zone = timezone.get_current_timezone()
        return qs.filter(
            **{
                f"{self.field_name}__gte": datetime.datetime.combine(
                    start, datetime.time(), tzinfo=zone
                ),
                f"{self.field_name}__lt": datetime.datetime.combine(
                    end, datetime.time(), tzinfo=zone
                ),
            }
        )


class MyOrdersFilter(filters.FilterSet):
    month = MonthChoiceFilter(field_name="created_at")
    kind = filters.ChoiceFilter(
        label=_("Order kind"), choices=OrderKind.choices, empty_label=pgettext_lazy("filter", "All")
    )
    status = filters.ChoiceFilter(
        label=_("Status"),
        choices=[("open", _("Open")), *OrderStatus.choices],
        method="filter_status",
        empty_label=pgettext_lazy("filter", "All"),
    )
    sort = SortFilter(
        fields=(("created_at", "created"), ("number", "number"), ("fee", "fee")),
        field_labels={"created_at": _("Created"), "number": _("Order number"), "fee": _("Fee")},
        label=_("Sort by"),
    )

    class Meta:
        model = ServiceOrder
        fields = ["month", "kind", "status"]

    def filter_status(self, queryset, name, value):
        if value == "open":
            return queryset.filter(status__in=ORDER_OPEN_STATUSES)
        return queryset.filter(status=value)


class MyInstalmentsFilter(filters.FilterSet):
    month = MonthChoiceFilter(field_name="created_at")
    status = filters.ChoiceFilter(
        label=_("Status"),
        choices=InstalmentPlanStatus.choices,
        empty_label=pgettext_lazy("filter", "All"),
    )
    sort = SortFilter(
        fields=(("created_at", "created"), ("number", "number"), ("financed_amount", "financed")),
        field_labels={
            "created_at": _("Created"),
            "number": _("Plan number"),
            "financed_amount": _("Financed amount"),
        },
        label=_("Sort by"),
    )

    class Meta:
        model = InstalmentPlan
        fields = ["month", "status"]
