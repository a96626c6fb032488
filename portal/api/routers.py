"""The API's router: one rule for what an object id in a URL looks like."""

from rest_framework.routers import DefaultRouter

# Ids are positive 64-bit integers (BigAutoField); 18 digits always fit, so a longer or
# non-numeric id (``null,null``, ``-1``, 23 digits) matches no route and answers the JSON 404
# of ``portal.views.page_not_found`` instead of reaching the database.
ID_REGEX = r"[0-9]{1,18}"


class ApiRouter(DefaultRouter):
    def get_lookup_regex(self, viewset, lookup_prefix=""):
        if getattr(viewset, "lookup_field", "pk") in {"pk", "id"}:
            lookup_url_kwarg = getattr(viewset, "lookup_url_kwarg", None) or viewset.lookup_field
            return f"(?P<{lookup_prefix}{lookup_url_kwarg}>{ID_REGEX})"
        return super().get_lookup_regex(viewset, lookup_prefix)
