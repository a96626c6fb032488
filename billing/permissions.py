"""Who may do what with promotions, points, instalment plans and account standing.

Reads of a customer's points, plans and account status are account detail: a customer sees
their own; staff need the model's view permission and then the crm verification gate for that
customer (``crm.services.gate_account_detail``), except that a seller may always look at
the plans they sold. Acting:

- selling on instalments: ``billing.add_instalmentplan`` (sales advisors), after the
  eligibility check, which itself requires the seller's own verification of the customer;
- cancelling a purchase (device returned): ``billing.change_instalmentplan``;
- paying a plan off early: the customer (their own plan, from their balance) or a holder of
  ``billing.change_instalmentplan`` at the counter;
- redeeming points: the customer, for themselves.
"""

from billing.models import InstalmentPlan
from billing.selectors import is_portal_customer
from portal.roles import ROLE_SPECS, Role

SELL_PERMISSION = "billing.add_instalmentplan"
MANAGE_PLAN_PERMISSION = "billing.change_instalmentplan"
VIEW_PLAN_PERMISSIONS = ("billing.view_instalmentplan", "billing.view_instalmentdue")
VIEW_POINTS_PERMISSIONS = ("billing.view_pointsaccount", "billing.view_pointsentry")
VIEW_STANDING_PERMISSIONS = (
    "billing.view_prepaidbalance",
    "billing.view_arrearscase",
    "billing.view_arrearsevent",
)
# Staff whose portal section the instalment sale pages belong to.
SALES_DESK = (Role.SALES_ADVISOR, Role.SUPERVISOR)


def in_section(user, roles) -> bool:
    return any(user.has_perm(ROLE_SPECS[role].permission) for role in roles)


def may_sell_on_instalments(user) -> bool:
    return user.has_perm(SELL_PERMISSION) and in_section(user, (Role.SALES_ADVISOR,))


def may_open_sales_pages(user) -> bool:
    return in_section(user, SALES_DESK) and user.has_perms(VIEW_PLAN_PERMISSIONS)


def may_cancel_plan(user) -> bool:
    return user.has_perm(MANAGE_PLAN_PERMISSION)


def may_pay_off_plan(user, plan: InstalmentPlan) -> bool:
    if is_portal_customer(user):
        return plan.customer.user_id == user.pk
    return user.has_perm(MANAGE_PLAN_PERMISSION)


def may_redeem_points(user) -> bool:
    return is_portal_customer(user)
