"""Arrears, suspension and restoration of service (服务协议: 费用和支付, 违约责任), and
low-balance reminders.

An account is **in arrears** when its prepaid balance is below minus its segment's credit limit
(``CreditPolicy.overdraft_limit``: 0.00 for standard customers, so any negative balance) or it
has an overdue instalment. Beat's sweep ``review_account_standing`` (every five minutes) finds
accounts set-based and then acts on each in its own transaction:

1. a case whose account is no longer in arrears (credited some other way than a top-up, e.g. a
   dispute adjustment) is cleared and its lines restored;
2. accounts newly in arrears get an ``ArrearsCase`` each (at most one open per account: a unique
   constraint) and a notice with the deadline, ``BILLING_ARREARS_GRACE_HOURS`` later: one
   transaction for the batch, its balance rows locked, the rows written in bulk;
3. a case whose grace period is over is checked again under its lock and its account's active
   lines are suspended (outgoing barred) through ``crm.services.transition_subscription``;
4. accounts whose balance fell below ``BILLING_LOW_BALANCE_THRESHOLD`` are reminded once per dip
   (``LowBalanceAlert``, one open per account), in bulk like the notices, and reminders of
   balances back above it close.

**A top-up that clears the arrears restores the lines at once**: ``clear_if_settled`` runs
inside ``billing.services.top_up``'s transaction, after the credit and the overdue dues it paid.
It is done there, not after commit through an outbox row, because restoring is a few local rows
(the case, its history, the lines' status and their history) with no network call: the payment
and the restoration commit together, so there is no moment when the money is in and the line
still barred, and no second job that could be lost or late. What does leave the system (the SMS
telling the customer) is an outbox row delivered after commit.

Every step writes an ``ArrearsEvent`` (and crm writes the line's ``SubscriptionStatusChange``);
customers and staff read them on the account-status page and API. Lock order with top-ups: the
prepaid balance, then the case, then the lines.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import DecimalField, Exists, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.choices import (
    ARREARS_TRANSITIONS,
    OPEN_ARREARS_STATUSES,
    ArrearsCause,
    ArrearsEventKind,
    ArrearsStatus,
    InstalmentDueStatus,
    InstalmentPlanStatus,
)
from billing.error_codes import BillingErrorCode
from billing.models import (
    ArrearsCase,
    ArrearsEvent,
    CreditPolicy,
    InstalmentDue,
    LowBalanceAlert,
    PrepaidBalance,
)
from billing.money import ZERO
from billing.services import BillingError
from complaints.models import Notification
from complaints.notifications import account_holder_notifications, notify_account_holder
from crm.choices import SubscriptionKind, SubscriptionStatus
from crm.models import BillingAccount, Subscription
from crm.services import transition_subscription


@dataclass(frozen=True)
class Standing:
    """Where an account stands: its balance against its credit limit, and what is overdue."""

    balance: Decimal
    overdraft_limit: Decimal
    overdue: Decimal
    # Only a prepaid balance below its limit is arrears; a postpaid account owes its bills.
    prepaid: bool = True

    @property
    def cause(self) -> str | None:
        if self.prepaid and self.balance < -self.overdraft_limit:
            return ArrearsCause.NEGATIVE_BALANCE
        if self.overdue > 0:
            return ArrearsCause.OVERDUE_INSTALMENT
        return None

    @property
    def in_arrears(self) -> bool:
        return self.cause is not None

    @property
    def owed(self) -> Decimal:
        """What a top-up must bring to end the arrears."""
        return max(ZERO, -self.overdraft_limit - self.balance) + self.overdue


def _overdue_dues():
    return InstalmentDue.objects.filter(
        status=InstalmentDueStatus.OVERDUE, plan__status=InstalmentPlanStatus.ACTIVE
    )


def standings_of(accounts: list[BillingAccount]) -> dict[int, Standing]:
    """Where each account stands, in three queries whatever their number (``accounts`` come
    with their customer)."""
    ids = [account.pk for account in accounts]
    balances = dict(
        PrepaidBalance.objects.filter(account_id__in=ids).values_list("account_id", "balance")
    )
    limits = dict(CreditPolicy.objects.values_list("segment", "overdraft_limit"))
    overdue = dict(
        _overdue_dues()
        .filter(plan__account_id__in=ids)
        .values("plan__account_id")
        .annotate(total=Sum("amount"))
        .values_list("plan__account_id", "total")
    )
    return {
        account.pk: Standing(
            balance=balances.get(account.pk, ZERO),
            overdraft_limit=limits.get(account.customer.segment, ZERO),
            overdue=overdue.get(account.pk, ZERO),
            prepaid=account.is_prepaid,
        )
        for account in accounts
    }


def standing_of(account: BillingAccount) -> Standing:
    account = BillingAccount.objects.select_related("customer").get(pk=account.pk)
    return standings_of([account])[account.pk]


def accounts_in_arrears():
    """Ids of every account in arrears, as one subquery (no rows fetched)."""
    limit = Coalesce(
        Subquery(
            CreditPolicy.objects.filter(segment=OuterRef("account__customer__segment")).values(
                "overdraft_limit"
            )[:1]
        ),
        Value(ZERO),
        output_field=DecimalField(max_digits=14, decimal_places=2),
    )
    negative = (
        PrepaidBalance.objects.filter(account__is_prepaid=True)
        .annotate(limit=limit)
        .filter(balance__lt=-F("limit"))
        .values("account_id")
    )
    overdue = _overdue_dues().values("plan__account_id")
    return BillingAccount.objects.filter(Q(pk__in=negative) | Q(pk__in=overdue)).values("pk")


def _open_cases():
    return ArrearsCase.objects.filter(status__in=OPEN_ARREARS_STATUSES)


def _with_live_lines():
    live = Subscription.objects.filter(billing_account=OuterRef("pk")).exclude(
        status=SubscriptionStatus.TERMINATED
    )
    return BillingAccount.objects.filter(Exists(live))


# --- Messages ---------------------------------------------------------------------------------


def _status_url() -> str:
    return settings.SITE_URL + reverse("billing:my-account-status")


def _contact_lines(account_ids) -> dict[int, str]:
    """Each account's first live mobile number, where its SMS go (one query)."""
    first: dict[int, str] = {}
    rows = (
        Subscription.objects.filter(
            billing_account_id__in=account_ids, kind=SubscriptionKind.MOBILE
        )
        .exclude(status=SubscriptionStatus.TERMINATED)
        .order_by("billing_account_id", "pk")
        .values_list("billing_account_id", "msisdn")
    )
    for account_id, msisdn in rows:
        first.setdefault(account_id, msisdn)
    return first


def _notify(account: BillingAccount, subject: str, body: str) -> None:
    notify_account_holder(
        account.customer,
        subject=subject,
        body=body,
        msisdn=_contact_lines([account.pk]).get(account.pk, ""),
    )


def _line_labels(lines) -> str:
    return "、".join(line.service_label for line in lines)


# --- The case's moves -------------------------------------------------------------------------


def transition_arrears_case(
    case: ArrearsCase, to_status: str, *, actor, detail: str = ""
) -> ArrearsCase:
    """Move a (locked) case along ``ARREARS_TRANSITIONS`` and record the step."""
    if to_status not in ARREARS_TRANSITIONS[case.status]:
        raise BillingError(
            BillingErrorCode.INVALID_TRANSITION,
            _("An arrears case cannot go from %(from)s to %(to)s.")
            % {
                "from": ArrearsStatus(case.status).label,
                "to": ArrearsStatus(to_status).label,
            },
        )
    now = timezone.now()
    case.status = to_status
    fields = ["status", "updated_at"]
    if to_status == ArrearsStatus.SUSPENDED:
        case.suspended_at = now
        fields.append("suspended_at")
    elif to_status == ArrearsStatus.CLEARED:
        case.cleared_at = now
        fields.append("cleared_at")
    case.save(update_fields=fields)
    kind = {
        ArrearsStatus.SUSPENDED: None,  # each line has its own event
        ArrearsStatus.CLEARED: ArrearsEventKind.CLEARED,
    }[to_status]
    if kind is not None:
        ArrearsEvent.objects.create(case=case, kind=kind, actor=actor, detail=detail[:300])
    return case


def _lock_balances(account_ids) -> None:
    """Lock the accounts' balance rows in account order: a payment, a second sweep and this one
    decide about an account one at a time (the order every balance writer uses)."""
    list(
        PrepaidBalance.objects.select_for_update()
        .filter(account_id__in=account_ids)
        .order_by("account_id")
        .values_list("account_id", flat=True)
    )


def open_arrears_cases(account_ids, *, now: datetime.datetime | None = None) -> list[ArrearsCase]:
    """Open a case and send the notice for each of the accounts still in arrears and without an
    open case: one transaction, a constant number of statements."""
    now = now or timezone.now()
    suspend_after = now + datetime.timedelta(hours=settings.BILLING_ARREARS_GRACE_HOURS)
    deadline = f"{timezone.localtime(suspend_after):%Y-%m-%d %H:%M}"
    with transaction.atomic():
        _lock_balances(account_ids)
        accounts = list(
            BillingAccount.objects.filter(pk__in=account_ids)
            .exclude(pk__in=_open_cases().values("account_id"))
            .select_related("customer")
            .order_by("pk")
        )
        standings = standings_of(accounts)
        accounts = [account for account in accounts if standings[account.pk].in_arrears]
        cases = ArrearsCase.objects.bulk_create(
            ArrearsCase(
                account=account,
                cause=standings[account.pk].cause,
                balance_at_opening=standings[account.pk].balance,
                overdue_at_opening=standings[account.pk].overdue,
                opened_at=now,
                suspend_after=suspend_after,
            )
            for account in accounts
        )
        lines = _contact_lines([account.pk for account in accounts])
        events, messages = [], []
        for account, case in zip(accounts, cases, strict=True):
            standing = standings[account.pk]
            body = _(
                "Account %(account)s is in arrears: balance %(balance)s yuan, overdue instalments "
                "%(overdue)s yuan. Please pay %(owed)s yuan before %(deadline)s, or outgoing "
                "service on your lines will be suspended. Details: %(url)s"
            ) % {
                "account": account.account_number,
                "balance": standing.balance,
                "overdue": standing.overdue,
                "owed": standing.owed,
                "deadline": deadline,
                "url": _status_url(),
            }
            events.append(
                ArrearsEvent(case=case, kind=ArrearsEventKind.NOTIFIED, detail=body[:300])
            )
            messages += account_holder_notifications(
                account.customer,
                subject=_("Arrears on account %(account)s") % {"account": account},
                body=body,
                msisdn=lines.get(account.pk, ""),
            )
        ArrearsEvent.objects.bulk_create(events)
        Notification.objects.bulk_create(messages)
        return cases


def open_arrears_case(account_id: int, *, now: datetime.datetime | None = None):
    """One account's case (None if it is not in arrears or already has one open)."""
    cases = open_arrears_cases([account_id], now=now)
    return cases[0] if cases else None


def suspend_lines(case_id: int, *, now: datetime.datetime | None = None) -> bool:
    """Suspend the account's active lines once the grace period is over, if the account is
    still in arrears (else the case is cleared). True when lines were suspended."""
    now = now or timezone.now()
    with transaction.atomic():
        case = (
            ArrearsCase.objects.select_for_update(of=("self",))
            .select_related("account__customer")
            .filter(pk=case_id, status=ArrearsStatus.NOTIFIED, suspend_after__lte=now)
            .first()
        )
        if case is None:
            return False
        if not standing_of(case.account).in_arrears:
            _clear(case, actor=None, detail=_("The balance is back within the credit limit."))
            return False
        lines = list(
            Subscription.objects.filter(
                billing_account=case.account, status=SubscriptionStatus.ACTIVE
            ).order_by("pk")
        )
        reason = _("Arrears on account %(account)s") % {"account": case.account}
        for line in lines:
            transition_subscription(line, SubscriptionStatus.SUSPENDED, actor=None, reason=reason)
            ArrearsEvent.objects.create(
                case=case, kind=ArrearsEventKind.LINE_SUSPENDED, subscription=line, detail=reason
            )
        transition_arrears_case(case, ArrearsStatus.SUSPENDED, actor=None)
        if lines:
            _notify(
                case.account,
                _("Service suspended on account %(account)s") % {"account": case.account},
                _(
                    "Outgoing service on %(lines)s is suspended for arrears on account "
                    "%(account)s. A top-up that clears the arrears restores it at once. %(url)s"
                )
                % {"lines": _line_labels(lines), "account": case.account, "url": _status_url()},
            )
        return True


def _clear(case: ArrearsCase, *, actor, detail: str) -> None:
    """Restore the lines this case suspended (those still suspended) and close it."""
    suspended_ids = case.events.filter(kind=ArrearsEventKind.LINE_SUSPENDED).values(
        "subscription_id"
    )
    lines = list(
        Subscription.objects.filter(
            pk__in=suspended_ids, status=SubscriptionStatus.SUSPENDED
        ).order_by("pk")
    )
    reason = _("Arrears cleared: %(detail)s") % {"detail": detail}
    for line in lines:
        transition_subscription(line, SubscriptionStatus.ACTIVE, actor=actor, reason=reason[:300])
        ArrearsEvent.objects.create(
            case=case,
            kind=ArrearsEventKind.LINE_RESTORED,
            subscription=line,
            actor=actor,
            detail=detail[:300],
        )
    transition_arrears_case(case, ArrearsStatus.CLEARED, actor=actor, detail=detail)
    account = case.account
    if lines:
        body = _(
            "The arrears on account %(account)s are cleared; service on %(lines)s is restored."
        ) % {"account": account, "lines": _line_labels(lines)}
    else:
        body = _("The arrears on account %(account)s are cleared.") % {"account": account}
    _notify(account, _("Arrears cleared on account %(account)s") % {"account": account}, body)


def clear_if_settled(account: BillingAccount, *, actor, detail: str) -> ArrearsCase | None:
    """Inside a payment's transaction: if the account is out of arrears now, close its open
    case and restore its lines at once. Returns the cleared case, if any."""
    case = (
        ArrearsCase.objects.select_for_update(of=("self",))
        .select_related("account__customer")
        .filter(account=account, status__in=OPEN_ARREARS_STATUSES)
        .first()
    )
    if case is None or standing_of(account).in_arrears:
        return None
    _clear(case, actor=actor, detail=detail)
    return case


def clear_case_if_settled(case_id: int) -> bool:
    """The sweep's version: for a case whose account got out of arrears without a top-up."""
    with transaction.atomic():
        case = (
            ArrearsCase.objects.select_for_update(of=("self",))
            .select_related("account__customer")
            .filter(pk=case_id, status__in=OPEN_ARREARS_STATUSES)
            .first()
        )
        if case is None or standing_of(case.account).in_arrears:
            return False
        _clear(case, actor=None, detail=_("The balance is back within the credit limit."))
        return True


# --- Low balance --------------------------------------------------------------------------------


def remind_low_balances(account_ids) -> int:
    """Remind each of the accounts still below the threshold, not reminded in this dip and not
    in arrears: one transaction, a constant number of statements. Returns how many."""
    threshold = settings.BILLING_LOW_BALANCE_THRESHOLD
    with transaction.atomic():
        _lock_balances(account_ids)
        rows = list(
            PrepaidBalance.objects.filter(account_id__in=account_ids, balance__lt=threshold)
            .exclude(
                account__in=LowBalanceAlert.objects.filter(closed_at__isnull=True).values("account")
            )
            .exclude(account__in=_open_cases().values("account_id"))
            .select_related("account__customer")
            .order_by("account_id")
        )
        LowBalanceAlert.objects.bulk_create(
            LowBalanceAlert(account_id=row.account_id, balance=row.balance, threshold=threshold)
            for row in rows
        )
        lines = _contact_lines([row.account_id for row in rows])
        messages = []
        for row in rows:
            account = row.account
            messages += account_holder_notifications(
                account.customer,
                subject=_("Low balance on account %(account)s") % {"account": account},
                body=_(
                    "The balance of account %(account)s is %(balance)s yuan, below %(threshold)s "
                    "yuan. Please top up in time to keep your service. %(url)s"
                )
                % {
                    "account": account,
                    "balance": row.balance,
                    "threshold": threshold,
                    "url": _status_url(),
                },
                msisdn=lines.get(account.pk, ""),
            )
        Notification.objects.bulk_create(messages)
        return len(rows)


# --- The sweep ----------------------------------------------------------------------------------


def review_account_standing(now: datetime.datetime | None = None, *, limit: int = 1000) -> dict:
    """Beat's job (see the module docstring). Safe to run twice or in two workers at once."""
    now = now or timezone.now()
    counts = {"cleared": 0, "opened": 0, "suspended": 0, "reminded": 0}
    in_arrears = accounts_in_arrears()
    open_cases = _open_cases()

    settled = open_cases.exclude(account_id__in=in_arrears).order_by("pk")
    for case_id in list(settled.values_list("pk", flat=True)[:limit]):
        counts["cleared"] += clear_case_if_settled(case_id)

    newly = (
        _with_live_lines()
        .filter(pk__in=in_arrears)
        .exclude(pk__in=open_cases.values("account_id"))
        .order_by("pk")
    )
    newly_ids = list(newly.values_list("pk", flat=True)[:limit])
    if newly_ids:
        counts["opened"] = len(open_arrears_cases(newly_ids, now=now))

    due = open_cases.filter(status=ArrearsStatus.NOTIFIED, suspend_after__lte=now).order_by(
        "suspend_after", "pk"
    )
    for case_id in list(due.values_list("pk", flat=True)[:limit]):
        counts["suspended"] += suspend_lines(case_id, now=now)

    threshold = settings.BILLING_LOW_BALANCE_THRESHOLD
    LowBalanceAlert.objects.filter(
        closed_at__isnull=True, account__prepaid_balance__balance__gte=threshold
    ).update(closed_at=now)
    low = (
        PrepaidBalance.objects.filter(balance__lt=threshold, account__is_prepaid=True)
        .filter(account__in=_with_live_lines())
        .exclude(
            account__in=LowBalanceAlert.objects.filter(closed_at__isnull=True).values("account")
        )
        .exclude(account__in=open_cases.values("account_id"))
        .order_by("account_id")
    )
    low_ids = list(low.values_list("account_id", flat=True)[:limit])
    if low_ids:
        counts["reminded"] = remind_low_balances(low_ids)
    return counts
