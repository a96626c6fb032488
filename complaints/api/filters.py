"""Query filters of the complaints API; every filter narrows a queryset that is already scoped."""

from django.utils import timezone
from django_filters import rest_framework as filters

from complaints.choices import (
    CallbackStatus,
    Priority,
    Queue,
    TicketCategory,
    TicketKind,
    TicketStatus,
)
from complaints.models import Callback, Survey, Ticket
from complaints.selectors import breached_q
from portal.api.filtering import IdFilter


class TicketOrderingFilter(filters.OrderingFilter):
    """The chosen order, then the id: pages stay stable when values tie."""

    def filter(self, qs, value):
        if not value:
            return qs
        qs = super().filter(qs, value)
        return qs.order_by(*qs.query.order_by, "pk")


class TicketFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=TicketStatus.choices)
    kind = filters.ChoiceFilter(choices=TicketKind.choices)
    queue = filters.ChoiceFilter(choices=Queue.choices)
    category = filters.ChoiceFilter(choices=TicketCategory.choices)
    priority = filters.ChoiceFilter(choices=Priority.choices)
    assignee = IdFilter(field_name="assignee_id", label="Id of the assignee.")
    mine = filters.BooleanFilter(method="filter_mine", label="Only tickets assigned to you.")
    breached = filters.BooleanFilter(
        method="filter_breached",
        label="Open tickets past their resolution deadline (true) or the others (false).",
    )
    customer = IdFilter(field_name="customer_id", label="Id of the customer.")
    ordering = TicketOrderingFilter(
        fields=(
            ("resolution_due_at", "resolution_due_at"),
            ("created_at", "created_at"),
            ("priority_rank", "priority"),
        ),
        label="Order by resolution_due_at (the default), created_at or priority; "
        "prefix - to reverse.",
    )

    class Meta:
        model = Ticket
        fields = [
            "status",
            "kind",
            "queue",
            "category",
            "priority",
            "assignee",
            "mine",
            "breached",
            "customer",
        ]

    def filter_mine(self, queryset, name, value):
        if value:
            return queryset.filter(assignee=self.request.user)
        return queryset.exclude(assignee=self.request.user)

    def filter_breached(self, queryset, name, value):
        condition = breached_q(timezone.now())
        return queryset.filter(condition) if value else queryset.exclude(condition)


class CallbackFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=CallbackStatus.choices)

    class Meta:
        model = Callback
        fields = ["status"]


class LowScoreReviewFilter(filters.FilterSet):
    reviewed = filters.BooleanFilter(
        field_name="reviewed_at",
        lookup_expr="isnull",
        exclude=True,
        label="Reviewed already (true) or still to review (false).",
    )

    class Meta:
        model = Survey
        fields = ["reviewed"]
