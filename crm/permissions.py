"""Who may see what of a customer.

Identity data is masked for everyone by default. Beyond that, the call-flow rule: a service
specialist sees a customer's full identity and account detail (balance, bills, usage) only
after recording a passing verification in their current (open) interaction with that customer.
Holders of ``crm.view_unverified_customer`` (supervisors) may look without one; every such look
is written to the access log by the caller.
"""

from dataclasses import dataclass

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


def account_detail_visible_ids(user, customers) -> set[int]:
    """Which of ``customers`` the user may see balance, bills and usage of, in one query at most.

    The rule: the customer's own record, the supervisor's permission, or a passing verification
    in one of the user's open interactions.
    """
    customers = list(customers)
    if not user.is_authenticated:
        return set()
    if user.has_perm(UNVERIFIED_PERMISSION):
        return {customer.pk for customer in customers}
    visible = {customer.pk for customer in customers if customer.user_id == user.pk}
    others = [customer.pk for customer in customers if customer.pk not in visible]
    if others:
        visible |= set(
            IdentityVerification.objects.filter(
                customer__in=others,
                result=VerificationResult.PASSED,
                interaction__staff=user,
                interaction__ended_at__isnull=True,
            ).values_list("customer_id", flat=True)
        )
    return visible


def may_view_account_detail(user, customer: Customer) -> bool:
    """Balance, bills and usage of one customer (see ``account_detail_visible_ids``)."""
    return customer.pk in account_detail_visible_ids(user, [customer])


@dataclass(frozen=True)
class AccountDetailAccess:
    """The gate for one customer page: may the user see account detail, through which verified
    interaction (if any), and must this look be logged (a supervisor's look without one)."""

    visible: bool
    verified_interaction: Interaction | None
    must_log: bool


def account_detail_access(user, customer: Customer) -> AccountDetailAccess:
    """One query at most: the verified-interaction lookup."""
    if is_own_customer_record(user, customer):
        return AccountDetailAccess(visible=True, verified_interaction=None, must_log=False)
    verified = verified_interaction(user, customer)
    overriding = user.has_perm(UNVERIFIED_PERMISSION)
    return AccountDetailAccess(
        visible=verified is not None or overriding,
        verified_interaction=verified,
        must_log=verified is None and overriding,
    )


def may_reveal_pii(user, customer: Customer) -> bool:
    """Revealing full ID number / phone: the permission, plus verification unless supervisor."""
    if not user.has_perm(REVEAL_PERMISSION):
        return False
    return user.has_perm(UNVERIFIED_PERMISSION) or verified_interaction(user, customer) is not None
