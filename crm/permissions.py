"""Who may see what of a customer.

Identity data is masked for everyone by default. Beyond that, the call-flow rule: a service
specialist sees a customer's full identity and account detail (balance, bills, usage) only
after recording a passing verification in their current (open) interaction with that customer.
Holders of ``crm.view_unverified_customer`` (supervisors) may look without one; every such look
is written to the access log by the caller.
"""

from django.db.models import Exists, OuterRef

from crm.choices import VerificationResult
from crm.models import Customer, IdentityVerification, Interaction

REVEAL_PERMISSION = "crm.reveal_customer_pii"
UNVERIFIED_PERMISSION = "crm.view_unverified_customer"


def verified_interaction(user, customer: Customer) -> Interaction | None:
    """The user's open interaction in which this customer passed verification, if any."""
    if not user.is_authenticated:
        return None
    passed = IdentityVerification.objects.filter(
        interaction=OuterRef("pk"), customer=customer, result=VerificationResult.PASSED
    )
    return (
        Interaction.objects.filter(staff=user, ended_at__isnull=True)
        .filter(Exists(passed))
        .order_by("-started_at")
        .first()
    )


def is_own_customer_record(user, customer: Customer) -> bool:
    return user.is_authenticated and customer.user_id == user.pk


def may_view_account_detail(user, customer: Customer) -> bool:
    """Balance, bills and usage: the customer themself, a verified interaction, or a supervisor."""
    return (
        is_own_customer_record(user, customer)
        or user.has_perm(UNVERIFIED_PERMISSION)
        or verified_interaction(user, customer) is not None
    )


def account_detail_needs_logging(user, customer: Customer) -> bool:
    """A look without verification (a supervisor's) is logged; the customer's own is not."""
    return (
        not is_own_customer_record(user, customer)
        and user.has_perm(UNVERIFIED_PERMISSION)
        and verified_interaction(user, customer) is None
    )


def may_reveal_pii(user, customer: Customer) -> bool:
    """Revealing full ID number / phone: the permission, plus verification unless supervisor."""
    if not user.has_perm(REVEAL_PERMISSION):
        return False
    return user.has_perm(UNVERIFIED_PERMISSION) or verified_interaction(user, customer) is not None
