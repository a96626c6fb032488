"""Reads of the billing app, scoped to the user and tuned for their pages and endpoints.

Two gates stand before a customer's balance, bills and usage:

1. the scope (``billing_customers_for``): a customer reaches only their own record; staff
   reach the customers crm lets them open, and only with the billing view permissions;
2. the crm verification gate (``crm.permissions.account_detail_access``) for that customer:
   a staff member sees account detail only after the caller passed verification in their open
   interaction; a supervisor (``crm.view_unverified_customer``) may look without, and the caller
   logs that look with ``crm.services.record_pii_access(..., PiiField.ACCOUNT_DETAIL, ...)``.

Out of scope is a 404 like a missing record; in scope but not past the gate is a 403 telling
the staff member to verify the caller first (``AccountDetailAccess.visible``).
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from billing.bill_run import EVENTS_FOR_LINE
from billing.choices import OPEN_ARREARS_STATUSES, ArrearsStatus, PointsEntryKind, PromotionKind
from billing.models import (
    ArrearsCase,
    ArrearsEvent,
    Bill,
    BillLine,
    CdrImport,
    CreditPolicy,
    InstalmentDue,
    InstalmentEvent,
    InstalmentPlan,
    LedgerEntry,
    LowBalanceAlert,
    PointsEntry,
    Promotion,
    PromotionRedemption,
    TopUp,
    UsageMonth,
    UsageRecord,
)
from crm.models import BillingAccount, Customer, Subscription, SubscriptionStatusChange
from crm.selectors import customers_for
from portal.roles import ROLE_SPECS, Role

# What staff need on top of the verification gate, per kind of record.
BALANCE_PERMISSIONS = ("billing.view_prepaidbalance", "billing.view_ledgerentry")
BILL_PERMISSIONS = ("billing.view_bill", "billing.view_billline")
USAGE_PERMISSIONS = ("billing.view_usagerecord",)
TOP_UP_PERMISSIONS = ("billing.view_topup",)
# The billing pages show all three: balance, bills and the itemised list.
BILLING_VIEW_PERMISSIONS = BALANCE_PERMISSIONS + BILL_PERMISSIONS + USAGE_PERMISSIONS


def billing_customers_for(user, permissions=BILLING_VIEW_PERMISSIONS) -> QuerySet[Customer]:
    """Customers whose billing the user may look up (before the verification gate)."""
    if not user.is_authenticated:
        return Customer.objects.none()
    if user.has_perms(permissions):
        return customers_for(user)
    if is_portal_customer(user):
        return Customer.objects.filter(user=user)
    return Customer.objects.none()


def is_portal_customer(user) -> bool:
    """Holds the customer portal (from the cached permissions: no query once they are loaded)."""
    return user.is_authenticated and user.has_perm(ROLE_SPECS[Role.CUSTOMER].permission)


def own_customer(user) -> Customer | None:
    """The customer record a portal login belongs to (one query)."""
    if not is_portal_customer(user):
        return None
    return Customer.objects.filter(user=user).first()


def accounts_with_balances(customer: Customer) -> list[BillingAccount]:
    """The customer's billing accounts, each with ``prepaid_balance`` (or none yet)."""
    return list(
        BillingAccount.objects.filter(customer=customer)
        .select_related("prepaid_balance")
        .order_by("account_number")
    )


def latest_ledger_entries(accounts, *, per_account: int = 5) -> dict[int, list[LedgerEntry]]:
    """The newest ``per_account`` entries of each account, in one query (a window function)."""
    account_ids = [account.pk for account in accounts]
    if not account_ids:
        return {}
    rows = (
        LedgerEntry.objects.filter(account_id__in=account_ids)
        .annotate(
            newest=Window(RowNumber(), partition_by=[F("account_id")], order_by=F("pk").desc())
        )
        .filter(newest__lte=per_account)
        .order_by("account_id", "-pk")
    )
    latest: dict[int, list[LedgerEntry]] = {account_id: [] for account_id in account_ids}
    for row in rows:
        latest[row.account_id].append(row)
    return latest


def recent_ledger_entries(customer: Customer, *, limit: int = 20) -> list[LedgerEntry]:
    """The customer's newest entries over all their accounts."""
    return list(
        LedgerEntry.objects.filter(account__customer=customer)
        .select_related("account")
        .order_by("-created_at", "-pk")[:limit]
    )


def bills_for(user, permissions=BILL_PERMISSIONS) -> QuerySet[Bill]:
    """Bills of the customers in the user's billing scope, with the line and its customer."""
    return Bill.objects.filter(
        subscription__customer__in=billing_customers_for(user, permissions)
    ).select_related("subscription__customer", "subscription__billing_account")


def bills_of(customer: Customer) -> QuerySet[Bill]:
    """One customer's bills, newest month first (the bills list pages)."""
    return (
        Bill.objects.filter(subscription__customer=customer)
        .select_related("subscription")
        .order_by("-period", "subscription__msisdn", "pk")
    )


def bill_with_lines(bills: QuerySet[Bill], pk: int) -> Bill:
    """One bill of ``bills`` with its lines (one query for the lines)."""
    return bills.prefetch_related(Prefetch("lines", queryset=BillLine.objects.order_by("pk"))).get(
        pk=pk
    )


def usage_for(user, permissions=USAGE_PERMISSIONS) -> QuerySet[UsageRecord]:
    """Usage records of the lines in the user's billing scope."""
    return UsageRecord.objects.filter(
        subscription__customer__in=billing_customers_for(user, permissions)
    )


def bill_records(bill: Bill, *, kind: str | None = None) -> QuerySet[UsageRecord]:
    """The itemised list of a bill: the line's records of the month (rated and rejected), in
    time order; with ``kind``, only those of that bill line's event types."""
    records = UsageRecord.objects.filter(
        subscription_id=bill.subscription_id, billing_month=bill.period
    ).order_by("started_at", "record_id")
    if kind is not None:
        records = records.filter(event_type__in=EVENTS_FOR_LINE.get(kind, ()))
    return records


def lines_by_msisdn(user, msisdn: str, permissions=BILL_PERMISSIONS) -> QuerySet[Subscription]:
    """Lines with this full number in the user's billing scope: a re-issued number may have
    had earlier owners, each with their own lines."""
    return Subscription.objects.filter(
        Q(msisdn=msisdn), customer__in=billing_customers_for(user, permissions)
    ).select_related("customer")


def top_ups_for(user) -> QuerySet[TopUp]:
    """Top-ups of the customers in the user's billing scope (before the verification gate),
    newest first, with what the API shows of each (account, balance after, offer, points)."""
    return (
        TopUp.objects.filter(account__customer__in=billing_customers_for(user, TOP_UP_PERMISSIONS))
        .select_related(
            "account__customer",
            "ledger_entry",
            "promotion_redemption__promotion",
            "points_entry",
        )
        .order_by("-created_at", "-pk")
    )


def cdr_imports_for(user):
    """The CDR imports ``user`` may see: all of them with ``billing.view_cdrimport``, else none."""
    imports = CdrImport.objects.select_related("created_by").order_by("-started_at", "-pk")
    if not user.has_perm("billing.view_cdrimport"):
        return imports.none()
    return imports


# --- Commerce: promotions, points, instalments, account standing ---------------------------


def promotions_for(user) -> QuerySet[Promotion]:
    """Staff with ``billing.view_promotion`` see every promotion (budgets included, past and
    future); everyone else the ones running today."""
    if not user.is_authenticated:
        return Promotion.objects.none()
    promotions = Promotion.objects.select_related("product")
    if user.has_perm("billing.view_promotion"):
        return promotions
    today = timezone.localdate()
    return promotions.filter(is_active=True, valid_from__lte=today, valid_to__gte=today)


def redemption_offers(day=None) -> QuerySet[Promotion]:
    """Points redemptions on offer today, cheapest first."""
    day = day or timezone.localdate()
    return (
        Promotion.objects.filter(
            kind=PromotionKind.POINTS_REDEMPTION,
            is_active=True,
            valid_from__lte=day,
            valid_to__gte=day,
        )
        .select_related("product")
        .order_by("points_cost", "code")
    )


def points_entries_of(customer: Customer) -> QuerySet[PointsEntry]:
    """A customer's points history, newest first."""
    return PointsEntry.objects.filter(customer=customer).order_by("-created_at", "-pk")


def expiring_points(customer: Customer, *, lots: int = 3) -> list[PointsEntry]:
    """The customer's lots that expire next, with the points left in them."""
    return list(
        PointsEntry.objects.filter(
            customer=customer,
            kind=PointsEntryKind.EARN,
            remaining__gt=0,
            expires_on__gte=timezone.localdate(),
        ).order_by("expires_on", "pk")[:lots]
    )


def redemptions_of(customer: Customer) -> QuerySet[PromotionRedemption]:
    return (
        PromotionRedemption.objects.filter(customer=customer)
        .select_related("promotion", "service_order", "ledger_entry")
        .order_by("-created_at", "-pk")
    )


def plans_of(customer: Customer) -> QuerySet[InstalmentPlan]:
    """A customer's instalment plans with their dues, newest first (two queries)."""
    return (
        InstalmentPlan.objects.filter(customer=customer)
        .select_related("device", "subscription", "promotion")
        .prefetch_related(Prefetch("dues", queryset=InstalmentDue.objects.order_by("sequence")))
        .order_by("-created_at", "-pk")
    )


def plans_sold_by(user) -> QuerySet[InstalmentPlan]:
    """What a sales advisor sold (supervisors: everything), newest first."""
    plans = InstalmentPlan.objects.select_related("device", "customer", "seller").order_by(
        "-created_at", "-pk"
    )
    if not user.has_perm("billing.view_instalmentplan"):
        return plans.none()
    if user.has_perm(ROLE_SPECS[Role.SUPERVISOR].permission):
        return plans
    return plans.filter(seller=user)


def plan_detail(plans: QuerySet[InstalmentPlan], pk: int) -> InstalmentPlan:
    """One plan of ``plans`` with its dues and its history (with who did each step)."""
    return (
        plans.select_related("device", "customer", "seller", "subscription", "promotion", "account")
        .prefetch_related(
            Prefetch("dues", queryset=InstalmentDue.objects.order_by("sequence")),
            Prefetch("events", queryset=InstalmentEvent.objects.select_related("actor", "due")),
        )
        .get(pk=pk)
    )


@dataclass
class AccountStanding:
    """One billing account as the account-status page shows it."""

    account: BillingAccount
    balance: Decimal
    bonus_balance: Decimal
    overdraft_limit: Decimal
    cases: list[ArrearsCase]
    low_balance_alert: LowBalanceAlert | None

    @property
    def refundable(self) -> Decimal:
        """What a refund of the balance would pay out: the paid part, not the bonus."""
        return max(self.balance - self.bonus_balance, Decimal("0.00"))

    @property
    def open_case(self) -> ArrearsCase | None:
        return next((case for case in self.cases if case.status != ArrearsStatus.CLEARED), None)

    @property
    def in_arrears(self) -> bool:
        return self.open_case is not None


def account_standings(customer: Customer, *, cases_per_account: int = 5) -> list[AccountStanding]:
    """Each of the customer's accounts: balance and bonus, credit limit, arrears cases (open and
    recent) with their history, the open low-balance reminder. Five queries, whatever the
    number of accounts and cases."""
    accounts = list(
        BillingAccount.objects.filter(customer=customer)
        .select_related("prepaid_balance")
        .order_by("account_number")
    )
    policy = CreditPolicy.objects.filter(segment=customer.segment).first()
    limit = policy.overdraft_limit if policy else Decimal("0.00")
    cases = (
        ArrearsCase.objects.filter(account__in=accounts)
        .annotate(
            newest=Window(RowNumber(), partition_by=[F("account_id")], order_by=F("pk").desc())
        )
        .filter(newest__lte=cases_per_account)
        .prefetch_related(
            Prefetch(
                "events",
                queryset=ArrearsEvent.objects.select_related("subscription", "actor").order_by(
                    "created_at", "pk"
                ),
            )
        )
        .order_by("-opened_at", "-pk")
    )
    by_account: dict[int, list[ArrearsCase]] = {account.pk: [] for account in accounts}
    for case in cases:
        by_account[case.account_id].append(case)
    alerts = {
        alert.account_id: alert
        for alert in LowBalanceAlert.objects.filter(account__in=accounts, closed_at__isnull=True)
    }
    standings = []
    for account in accounts:
        stored = getattr(account, "prepaid_balance", None)
        standings.append(
            AccountStanding(
                account=account,
                balance=stored.balance if stored else Decimal("0.00"),
                bonus_balance=stored.bonus_balance if stored else Decimal("0.00"),
                overdraft_limit=limit,
                cases=by_account[account.pk],
                low_balance_alert=alerts.get(account.pk),
            )
        )
    return standings


def line_status_history(customer: Customer, *, limit: int = 20) -> list[SubscriptionStatusChange]:
    """The newest status changes of the customer's lines (suspensions and restorations)."""
    return list(
        SubscriptionStatusChange.objects.filter(subscription__customer=customer)
        .select_related("subscription")
        .order_by("-created_at", "-pk")[:limit]
    )


# --- The customer 360 page --------------------------------------------------------------------


@dataclass
class AccountSummary:
    """What the customer page shows of billing once account detail may be seen: each account's
    balance (and whether it is in arrears), the latest bills, and this month's usage per line."""

    accounts: list[BillingAccount]
    bills: list[Bill]
    usage: list[UsageMonth]


def account_summary(customer: Customer, *, bills: int = 6) -> AccountSummary:
    """Three queries: accounts with balances and an arrears flag, the latest bills, and this
    month's running usage totals of the customer's lines."""
    open_case = ArrearsCase.objects.filter(account=OuterRef("pk"), status__in=OPEN_ARREARS_STATUSES)
    accounts = list(
        BillingAccount.objects.filter(customer=customer)
        .select_related("prepaid_balance")
        .annotate(in_arrears=Exists(open_case))
        .order_by("account_number")
    )
    latest_bills = list(bills_of(customer)[:bills])
    month = timezone.localdate().replace(day=1)
    usage = list(
        UsageMonth.objects.filter(subscription__customer=customer, month=month)
        .select_related("subscription")
        .order_by("subscription__activated_on", "subscription_id")
    )
    return AccountSummary(accounts=accounts, bills=latest_bills, usage=usage)
