"""List pages of the workspaces: filtered (django-filter, GET parameters), sorted, paginated,
and answered with only the results block when htmx asks for it.

Every list starts from a scoped selector (``get_queryset``); the filter set narrows it and its
``sort`` parameter orders it (nulls last, then the id, so that pages are stable). A filter value
that does not parse is shown on the form and answered with status 400; the list then ignores
that one filter. Without JavaScript the same URLs render the whole page.
"""

from django.core.paginator import Paginator
from django.db.models import F
from django.shortcuts import render
from django_filters import OrderingFilter

from portal.web import no_cache_varying_on_htmx, page_number

RESULTS_TARGET = "results"


class SortFilter(OrderingFilter):
    """``?sort=field`` or ``?sort=-field`` among the declared fields: nulls last, then the id."""

    def filter(self, qs, value):
        if not value:
            return qs
        ordering = []
        for param in value:
            descending = param.startswith("-")
            expression = F(self.param_map[param.removeprefix("-")])
            ordering.append(
                expression.desc(nulls_last=True) if descending else expression.asc(nulls_last=True)
            )
        return qs.order_by(*ordering, "pk")


def is_htmx_partial(request) -> bool:
    """An htmx request aimed at the results block (not a boosted full-page load)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-Target") == RESULTS_TARGET
        and request.headers.get("HX-Boosted") != "true"
    )


class ListPage:
    """A view mixin: ``filterset_class``, ``template_name`` (the page), ``results_template``
    (the block htmx swaps), ``default_filters`` (applied when the parameter is absent),
    ``default_sort`` and ``per_page``."""

    filterset_class = None
    template_name = ""
    results_template = ""
    default_filters: dict[str, str] = {}
    default_sort = ""
    per_page = 25

    def get_queryset(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def extra_context(self) -> dict:
        return {}

    def decorate(self, rows: list) -> None:
        """Set what the rows need for display (from what was read with them: no query)."""

    def get(self, request, *args, **kwargs):
        data = request.GET.copy()
        for name, value in self.default_filters.items():
            data.setdefault(name, value)
        data.setdefault("sort", self.default_sort)
        filterset = self.filterset_class(data, queryset=self.get_queryset(), request=request)
        rows = filterset.qs
        chosen = filterset.form.cleaned_data.get("sort")
        if not chosen:
            # The sort given did not parse: the default order, as with none given.
            rows = filterset.filters["sort"].filter(rows, [self.default_sort])
        page = Paginator(rows, self.per_page).get_page(page_number(request))
        page.object_list = list(page.object_list)
        self.decorate(page.object_list)
        context = {
            "filterset": filterset,
            "form": filterset.form,
            "page_obj": page,
            "rows": page.object_list,
            "sort": chosen[0] if chosen else self.default_sort,
            "results_template": self.results_template,
            **self.extra_context(),
        }
        status = 400 if filterset.errors else 200
        partial = is_htmx_partial(request)
        # A sort chosen in the block goes back into the filter form (an out-of-band swap).
        context["partial"] = partial
        template = self.results_template if partial else self.template_name
        response = render(request, template, context, status=status)
        return no_cache_varying_on_htmx(response)
