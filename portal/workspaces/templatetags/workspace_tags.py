"""Template tags of the workspaces' list pages: sortable column headers."""

from django import template

register = template.Library()


@register.inclusion_tag("workspaces/_sort_header.html", takes_context=True)
def sort_header(context, param: str, label: str, css: str = ""):
    """A column header that sorts by ``param`` (again: the other way round), keeping the
    filters and going back to the first page; ``aria-sort`` tells which way it sorts now."""
    request = context["request"]
    current = context.get("sort") or ""
    if current == param:
        following, state = f"-{param}", "ascending"
    elif current == f"-{param}":
        following, state = param, "descending"
    else:
        following, state = param, None
    query = request.GET.copy()
    query["sort"] = following
    query.pop("page", None)
    url = f"{request.path}?{query.urlencode()}"
    return {"label": label, "url": url, "state": state, "css": css}
