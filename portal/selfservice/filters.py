"""Filters and sort orders of the customer's lists (GET parameters, kept across pages)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from crm.choices import OrderKind, OrderStatus
from crm.models import ServiceOrder


class MyOrderFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=OrderKind.choices)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=OrderStatus.choices)
    sort = django_filters.OrderingFilter(
        label=_("Sort by"),
        fields=(("created_at", "created"), ("kind", "kind"), ("status", "status")),
        field_labels={"created_at": _("Date"), "kind": _("Kind"), "status": _("Status")},
    )

    class Meta:
        model = ServiceOrder
        fields = ("kind", "status")
