"""The customer portal's own menu, on every page a signed-in customer sees."""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from billing.selectors import is_portal_customer


@dataclass(frozen=True)
class MenuItem:
    key: str
    label: str
    url_name: str

    @property
    def url(self) -> str:
        return reverse(self.url_name)


CUSTOMER_MENU = (
    MenuItem("overview", _("Overview"), "customer-home"),
    MenuItem("billing", _("Bills"), "billing:my-billing"),
    MenuItem("top-up", _("Top up"), "selfservice:top-up"),
    MenuItem("services", _("Value-added services"), "selfservice:services"),
    MenuItem("plan", _("Change plan"), "selfservice:plan"),
    MenuItem("orders", _("My orders"), "selfservice:orders"),
    MenuItem("tickets", _("Faults and complaints"), "customer-tickets"),
    MenuItem("messages", _("Messages"), "customer-messages"),
    MenuItem("points", _("Points"), "billing:my-points"),
    MenuItem("instalments", _("Instalments"), "billing:my-instalments"),
    MenuItem("account-status", _("Account status"), "billing:my-account-status"),
    MenuItem("agreements", _("Agreements"), "crm-channels:my-agreements"),
    MenuItem("privacy", _("Privacy"), "selfservice:privacy"),
)


def customer_navigation(request):
    """``customer_menu`` for portal customers (from the cached permissions: no query)."""
    user = getattr(request, "user", None)
    if user is None or not is_portal_customer(user):
        return {}
    return {"customer_menu": CUSTOMER_MENU}
