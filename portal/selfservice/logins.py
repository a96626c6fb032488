"""Which portal login a typed phone number belongs to.

Customers sign in with one of their live mobile numbers or their contact phone. A live mobile
number is unique (``uniq_live_msisdn``), so it names at most one customer; a contact phone may be
shared by several customers (a family), so it can name several logins: the password decides.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q

from crm.choices import SubscriptionKind, SubscriptionStatus
from crm.models import Subscription
from crm.validators import normalize_mobile_number


def as_mobile_number(text: str) -> str | None:
    """The 11-digit national number typed (spaces, +86 allowed), or None if it is not one."""
    try:
        return normalize_mobile_number(text or "")
    except ValidationError:
        return None


def logins_for_number(msisdn: str) -> list:
    """Active portal logins of the customers this number identifies: the holder of the live
    mobile line with it, else the customers with it as contact phone (one query)."""
    live_lines = Subscription.objects.filter(kind=SubscriptionKind.MOBILE, msisdn=msisdn).exclude(
        status=SubscriptionStatus.TERMINATED
    )
    users = list(
        get_user_model()
        .objects.filter(is_active=True, customer__isnull=False)
        .filter(
            Q(customer__in=live_lines.values("customer_id")) | Q(customer__contact_phone=msisdn)
        )
        .annotate(holds_line=Exists(live_lines.filter(customer_id=OuterRef("customer"))))
        .order_by("pk")
    )
    holders = [user for user in users if user.holds_line]
    # The line's holder wins over customers who merely list the number as a contact.
    return holders or users
