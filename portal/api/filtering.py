"""The API's filter backend: a list with filters refuses query parameters it does not know.

A misspelt filter (``?custmer=7``) silently answering the whole list is how a client reads the
wrong rows without noticing; it is a 400 naming the parameter instead. What a list knows is
its filterset's filters, ``ordering`` and ``search`` where those backends run, the page
parameters and ``format``.
"""

from django import forms
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.settings import api_settings

ALWAYS_KNOWN = frozenset({"format"})


class StrictDjangoFilterBackend(DjangoFilterBackend):
    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        # Detail routes and lists without a filterset take no filters to check against.
        if filterset_class is not None and not getattr(view, "detail", False):
            unknown = sorted(set(request.query_params) - self._known(view, filterset_class))
            if unknown:
                message = _("Unknown query parameter; this list does not filter on it.")
                raise ValidationError({name: [message] for name in unknown}, code="unknown")
        return super().filter_queryset(request, queryset, view)

    @staticmethod
    def _known(view, filterset_class) -> set[str]:
        known = set(ALWAYS_KNOWN) | set(filterset_class.base_filters)
        backends = getattr(view, "filter_backends", ())
        if any(issubclass(backend, OrderingFilter) for backend in backends):
            known.add(api_settings.ORDERING_PARAM)
        if any(issubclass(backend, SearchFilter) for backend in backends):
            known.add(api_settings.SEARCH_PARAM)
        paginator = getattr(view, "paginator", None)
        for attribute in ("page_query_param", "page_size_query_param"):
            if name := getattr(paginator, attribute, None):
                known.add(name)
        return known


# A signed 64-bit column's range: a filter value outside it is a 400, not a database overflow.
BIGINT_MAX = 2**63 - 1


@extend_schema_field({"type": "integer", "format": "int64"})
class IntegerFilter(filters.NumberFilter):
    """A whole-number filter (``?year=2026``): a decimal or out-of-range value is a 400 with
    the field's message, never a query the database cannot run."""

    field_class = forms.IntegerField

    def __init__(self, *args, min_value=-BIGINT_MAX - 1, max_value=BIGINT_MAX, **kwargs):
        super().__init__(*args, min_value=min_value, max_value=max_value, **kwargs)


class IdFilter(IntegerFilter):
    """The id of a related record: a positive 64-bit integer."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, min_value=1, **kwargs)
