"""Credit phone purchases and instalments (营业厅 ch.9 信用购机与分期付款).

- ``check_credit_purchase`` is the one eligibility check: each condition of the guide (identity
  verified by the seller, account in good standing, no arrears, minimum age, minimum time on the
  network, the segment's credit limit) is evaluated and named; the purchase refuses with the
  code of the first one that fails, the sale page and the API show all of them.
- ``purchase_on_instalments`` writes the plan and its whole schedule: the financed amount
  (price less the group-purchase discount and the down payment) split into equal monthly
  principals and the interest (``BILLING_INSTALMENT_MONTHLY_RATES``, flat on the financed amount)
  into equal shares, both to the fen with ``billing.money.split_evenly`` so that the dues add up
  exactly; the first dues carry the fen left over.
- ``charge_due_instalments`` (beat, hourly) charges each due on its date from the prepaid
  balance, under the balance row's lock; without the balance for it the due becomes overdue,
  which is arrears (``billing.arrears``). A top-up pays overdue dues first
  (``settle_overdue_dues``, inside ``billing.services.top_up``).
- The agreement's rules (服务协议: 费用和支付, 提前终止): an early payoff charges what is overdue
  plus the principal still scheduled (future interest is waived, no fee); a cancellation with
  the device returned within ``BILLING_INSTALMENT_CANCEL_DAYS`` refunds the dues paid as a
  ``refund`` entry (the down payment is paid and refunded at the counter), after that period a
  plan can only be paid off.

Lock order: the customer (purchases), promotion rows, the prepaid balance, then the plan and its
dues. Every move of a plan or a due follows the tables in ``billing.choices`` and writes an
``InstalmentEvent``.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum.cn import ric

from billing.choices import (
    INSTALMENT_DUE_TRANSITIONS,
    INSTALMENT_PLAN_TRANSITIONS,
    OPEN_ARREARS_STATUSES,
    OPEN_DUE_STATUSES,
    InstalmentDueStatus,
    InstalmentEventKind,
    InstalmentPlanStatus,
    LedgerEntryKind,
)
from billing.error_codes import BillingErrorCode, EligibilityCode
from billing.models import (
    ArrearsCase,
    CreditPolicy,
    Device,
    InstalmentDue,
    InstalmentEvent,
    InstalmentPlan,
    PrepaidBalance,
    Promotion,
    PromotionRedemption,
)
from billing.money import ZERO, AmountError, parse_yuan, round_half_up_to_fen, split_evenly
from billing.promotions import choose_group_purchase_offer, count_use
from billing.services import AMOUNT_ERRORS, BillingError, _locked_balance, post_ledger_entry
from crm.choices import CustomerKind, DocumentType, SubscriptionStatus
from crm.models import BillingAccount, Customer, Interaction, Subscription
from crm.permissions import verified_interaction
from portal.numbering import next_number

TERMS = (3, 6, 12, 24)


# --- Terms and schedules ----------------------------------------------------------------------


def offered_terms() -> dict[int, Decimal]:
    """Months on offer and their monthly rate (0: interest-free)."""
    return dict(settings.BILLING_INSTALMENT_MONTHLY_RATES)


def monthly_rate_for(months: int) -> Decimal:
    try:
        return offered_terms()[months]
    except KeyError:
        raise ValidationError(
            {
                "months": ValidationError(
                    _("Choose %(terms)s months.")
                    % {"terms": "/".join(str(term) for term in offered_terms())},
                    code="invalid",
                )
            }
        ) from None


def interest_for(financed: Decimal, months: int, rate: Decimal) -> Decimal:
    """Flat interest on the financed amount: amount × monthly rate × months, to the fen."""
    return round_half_up_to_fen(financed * rate * months)


@dataclass(frozen=True)
class ScheduledDue:
    sequence: int
    due_on: datetime.date
    principal: Decimal
    interest: Decimal

    @property
    def amount(self) -> Decimal:
        return self.principal + self.interest


def build_schedule(
    financed: Decimal, interest: Decimal, months: int, purchased_on: datetime.date
) -> list[ScheduledDue]:
    """Monthly dues from a month after the purchase (the 31st falls on a shorter month's last
    day); principals and interest each sum exactly to their totals."""
    principals = split_evenly(financed, months)
    interests = split_evenly(interest, months)
    return [
        ScheduledDue(
            sequence=index + 1,
            due_on=purchased_on + relativedelta(months=index + 1),
            principal=principals[index],
            interest=interests[index],
        )
        for index in range(months)
    ]


# --- Eligibility ------------------------------------------------------------------------------


@dataclass(frozen=True)
class EligibilityCheck:
    code: str
    passed: bool
    message: str


@dataclass(frozen=True)
class Eligibility:
    """Every condition, in the guide's order, passed or not, with what it found."""

    checks: list[EligibilityCheck] = field(default_factory=list)

    @property
    def eligible(self) -> bool:
        return all(check.passed for check in self.checks)

    @property
    def failures(self) -> list[EligibilityCheck]:
        return [check for check in self.checks if not check.passed]


def credit_policy_for(segment: str) -> CreditPolicy:
    """The segment's policy; a segment without one (not yet configured) may not owe anything."""
    return CreditPolicy.objects.filter(segment=segment).first() or CreditPolicy(segment=segment)


def age_on(customer: Customer, day: datetime.date) -> int | None:
    """Whole years, from the birth date in a resident ID number; None for other documents."""
    if customer.document_type != DocumentType.RESIDENT_ID:
        return None
    born = ric.get_birth_date(customer.document_number)
    return relativedelta(day, born).years


def tenure_months(customer: Customer, day: datetime.date) -> int:
    """Whole months since the customer's first line was activated (在网时长)."""
    first = (
        customer.subscriptions.order_by("activated_on").values_list("activated_on", flat=True)
    ).first()
    if first is None or first > day:
        return 0
    delta = relativedelta(day, first)
    return delta.years * 12 + delta.months


def outstanding_principal(customer: Customer) -> Decimal:
    """What the customer still owes on active plans, without future interest."""
    return (
        InstalmentDue.objects.filter(
            plan__customer=customer,
            plan__status=InstalmentPlanStatus.ACTIVE,
            status__in=OPEN_DUE_STATUSES,
        ).aggregate(total=Sum("principal"))["total"]
        or ZERO
    )


def check_credit_purchase(
    customer: Customer,
    *,
    seller,
    financed_amount: Decimal | None = None,
    today: datetime.date | None = None,
) -> Eligibility:
    """May ``seller`` sell ``customer`` a phone on credit (for ``financed_amount``)? Every
    condition is checked and reported; ``financed_amount`` None checks the rest and shows the
    credit left."""
    today = today or timezone.localdate()
    policy = credit_policy_for(customer.segment)
    checks = []

    def check(code, passed, message):
        checks.append(EligibilityCheck(str(code), bool(passed), str(message)))

    verified = verified_interaction(seller, customer) is not None
    check(
        EligibilityCode.IDENTITY_NOT_VERIFIED,
        verified,
        _("Identity verified in your interaction with the customer.")
        if verified
        else _("Verify the customer's identity document in your interaction first."),
    )

    suspended = customer.subscriptions.filter(status=SubscriptionStatus.SUSPENDED).count()
    overdue = InstalmentDue.objects.filter(
        plan__customer=customer, status=InstalmentDueStatus.OVERDUE
    ).count()
    in_arrears_process = ArrearsCase.objects.filter(
        account__customer=customer, status__in=OPEN_ARREARS_STATUSES
    ).exists()
    if suspended:
        standing = _("%(count)s line(s) suspended.") % {"count": suspended}
    elif overdue:
        standing = _("%(count)s instalment(s) overdue.") % {"count": overdue}
    elif in_arrears_process:
        standing = _("An arrears notice is open.")
    else:
        standing = _("No suspended line, overdue instalment or arrears notice.")
    check(
        EligibilityCode.NOT_IN_GOOD_STANDING,
        not (suspended or overdue or in_arrears_process),
        standing,
    )

    lowest = (
        PrepaidBalance.objects.filter(account__customer=customer)
        .order_by("balance")
        .values_list("balance", flat=True)
        .first()
    )
    owing = lowest is not None and lowest < 0
    # Amounts are account detail: shown only once the seller has verified the customer.
    if not owing:
        arrears_message = _("No balance below zero.")
    elif verified:
        arrears_message = _("A balance is %(balance)s yuan: the arrears must be paid first.") % {
            "balance": lowest
        }
    else:
        arrears_message = _("A balance is below zero: the arrears must be paid first.")
    check(EligibilityCode.HAS_ARREARS, not owing, arrears_message)

    if customer.kind == CustomerKind.ENTERPRISE:
        check(EligibilityCode.TOO_YOUNG, True, _("Enterprise customer: no age condition."))
    else:
        age = age_on(customer, today)
        if age is None:
            check(
                EligibilityCode.AGE_UNKNOWN,
                False,
                _("The age cannot be read from this document: a resident ID card is needed."),
            )
        else:
            check(
                EligibilityCode.TOO_YOUNG,
                age >= policy.min_age_years,
                _("Aged %(age)s; at least %(minimum)s is required.")
                % {"age": age, "minimum": policy.min_age_years},
            )

    months = tenure_months(customer, today)
    check(
        EligibilityCode.TENURE_TOO_SHORT,
        months >= policy.min_tenure_months,
        _("%(months)s month(s) on the network; at least %(minimum)s required.")
        % {"months": months, "minimum": policy.min_tenure_months},
    )

    owed = outstanding_principal(customer)
    available = policy.purchase_credit_limit - owed
    if not verified:
        fits = available > 0 if financed_amount is None else financed_amount <= available
        check(
            EligibilityCode.OVER_CREDIT_LIMIT,
            fits,
            _("Within the credit limit.") if fits else _("Over the credit limit."),
        )
    elif financed_amount is None:
        check(
            EligibilityCode.OVER_CREDIT_LIMIT,
            available > 0,
            _("Credit available: %(available)s of %(limit)s yuan.")
            % {"available": max(available, ZERO), "limit": policy.purchase_credit_limit},
        )
    else:
        check(
            EligibilityCode.OVER_CREDIT_LIMIT,
            financed_amount <= available,
            _("Financing %(amount)s yuan; credit available %(available)s of %(limit)s yuan.")
            % {
                "amount": financed_amount,
                "available": max(available, ZERO),
                "limit": policy.purchase_credit_limit,
            },
        )
    return Eligibility(checks)


# --- Purchase ---------------------------------------------------------------------------------


def clean_down_payment(value, *, price: Decimal) -> Decimal:
    try:
        amount = parse_yuan(value if value not in (None, "") else "0")
    except AmountError as exc:
        raise ValidationError(
            {
                "down_payment": ValidationError(
                    AMOUNT_ERRORS[exc.reason], code=BillingErrorCode.INVALID_AMOUNT
                )
            }
        ) from exc
    if amount < 0 or amount >= price:
        raise ValidationError(
            {
                "down_payment": ValidationError(
                    _("The down payment is at least 0 and less than %(price)s yuan.")
                    % {"price": price},
                    code=BillingErrorCode.AMOUNT_OUT_OF_RANGE,
                )
            }
        )
    return amount


def _event(plan, kind, *, actor=None, due=None, amount=None, reason="") -> InstalmentEvent:
    return InstalmentEvent.objects.create(
        plan=plan, kind=kind, due=due, amount=amount, actor=actor, reason=reason[:300]
    )


@dataclass(frozen=True)
class Quote:
    """What a purchase would be: the price, the group-purchase discount, the down payment, the
    financed amount, its interest and the schedule of dues."""

    device: Device
    discount: Decimal
    promotion: Promotion | None
    down_payment: Decimal
    financed_amount: Decimal
    months: int
    monthly_rate: Decimal
    interest_total: Decimal
    dues: list[ScheduledDue]

    @property
    def device_price(self) -> Decimal:
        return self.device.price


def quote_purchase(
    customer: Customer,
    *,
    device: Device,
    months: int,
    down_payment="0",
    promotion: str | None = None,
    lock: bool = False,
    today: datetime.date | None = None,
) -> Quote:
    """The plan a purchase would make (field errors for a bad term or down payment). With
    ``lock``, the group-purchase offer's row stays locked until the transaction ends."""
    today = today or timezone.localdate()
    if not device.is_active:
        raise ValidationError(
            {"device": ValidationError(_("This device is not on sale."), "invalid")}
        )
    rate = monthly_rate_for(months)
    offer = choose_group_purchase_offer(customer, device.price, requested=promotion, lock=lock)
    discount = offer.benefit if offer else ZERO
    down = clean_down_payment(down_payment, price=device.price - discount)
    financed = device.price - discount - down
    interest = interest_for(financed, months, rate)
    return Quote(
        device=device,
        discount=discount,
        promotion=offer.promotion if offer else None,
        down_payment=down,
        financed_amount=financed,
        months=months,
        monthly_rate=rate,
        interest_total=interest,
        dues=build_schedule(financed, interest, months, today),
    )


@transaction.atomic
def purchase_on_instalments(
    customer: Customer,
    *,
    device: Device,
    months: int,
    seller,
    down_payment="0",
    subscription: Subscription | None = None,
    promotion: str | None = None,
    interaction: Interaction | None = None,
) -> InstalmentPlan:
    """Sell ``device`` to ``customer`` on ``months`` monthly instalments.

    Refusals: field errors for the device, term, down payment and line; the group-purchase
    offer's own (on ``promotion``); and, when a condition of ``check_credit_purchase`` fails,
    ``BillingError`` with that condition's code.
    """
    # Two purchases for one customer at once must not both fit the same credit.
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if subscription is not None and (
        subscription.customer_id != customer.pk
        or subscription.status == SubscriptionStatus.TERMINATED
    ):
        raise ValidationError(
            {"subscription": ValidationError(_("Choose a live line of the customer."), "invalid")}
        )
    account = (
        subscription.billing_account
        if subscription is not None
        else customer.billing_accounts.order_by("pk").first()
    )
    if account is None:
        raise ValidationError(
            {"subscription": ValidationError(_("The customer has no billing account."), "invalid")}
        )
    today = timezone.localdate()
    quote = quote_purchase(
        customer,
        device=device,
        months=months,
        down_payment=down_payment,
        promotion=promotion,
        lock=True,
        today=today,
    )
    eligibility = check_credit_purchase(
        customer, seller=seller, financed_amount=quote.financed_amount, today=today
    )
    if not eligibility.eligible:
        first = eligibility.failures[0]
        raise BillingError(first.code, first.message)
    plan = InstalmentPlan.objects.create(
        number=next_number("IP"),
        customer=customer,
        account=account,
        subscription=subscription,
        device=device,
        device_price=device.price,
        discount=quote.discount,
        promotion=quote.promotion,
        down_payment=quote.down_payment,
        financed_amount=quote.financed_amount,
        months=months,
        monthly_rate=quote.monthly_rate,
        interest_total=quote.interest_total,
        purchased_on=today,
        seller=seller,
        interaction=interaction or verified_interaction(seller, customer),
    )
    InstalmentDue.objects.bulk_create(
        InstalmentDue(
            plan=plan,
            sequence=due.sequence,
            due_on=due.due_on,
            principal=due.principal,
            interest=due.interest,
            amount=due.amount,
        )
        for due in quote.dues
    )
    _event(
        plan,
        InstalmentEventKind.CREATED,
        actor=seller,
        amount=quote.financed_amount + quote.interest_total,
        reason=_("%(device)s, %(months)s months, down payment %(down)s yuan")
        % {"device": device, "months": months, "down": quote.down_payment},
    )
    if quote.promotion is not None:
        count_use(quote.promotion, quote.discount)
        PromotionRedemption.objects.create(
            promotion=quote.promotion,
            customer=customer,
            account=account,
            instalment_plan=plan,
            benefit_amount=quote.discount,
            actor=seller,
        )
    return plan


# --- Moves of plans and dues ------------------------------------------------------------------


def _move_due(due: InstalmentDue, to_status: str, *, fields: dict | None = None) -> None:
    if to_status not in INSTALMENT_DUE_TRANSITIONS[due.status]:
        raise BillingError(
            BillingErrorCode.INVALID_TRANSITION,
            _("An instalment cannot go from %(from)s to %(to)s.")
            % {
                "from": InstalmentDueStatus(due.status).label,
                "to": InstalmentDueStatus(to_status).label,
            },
        )
    due.status = to_status
    for name, value in (fields or {}).items():
        setattr(due, name, value)
    due.save(update_fields=["status", *(fields or {})])


def transition_plan(
    plan: InstalmentPlan, to_status: str, *, actor, reason: str = "", amount=None
) -> InstalmentPlan:
    """The one way a plan's status changes: the table, the close time, the history row."""
    if to_status not in INSTALMENT_PLAN_TRANSITIONS[plan.status]:
        raise BillingError(
            BillingErrorCode.INVALID_TRANSITION,
            _("Plan %(number)s is %(status)s already.")
            % {"number": plan.number, "status": InstalmentPlanStatus(plan.status).label},
        )
    plan.status = to_status
    plan.closed_at = timezone.now()
    plan.close_reason = reason[:300]
    plan.save(update_fields=["status", "closed_at", "close_reason", "updated_at"])
    kind = {
        InstalmentPlanStatus.COMPLETED: InstalmentEventKind.COMPLETED,
        InstalmentPlanStatus.PAID_OFF: InstalmentEventKind.PAID_OFF,
        InstalmentPlanStatus.CANCELLED: InstalmentEventKind.CANCELLED,
    }[to_status]
    _event(plan, kind, actor=actor, amount=amount, reason=reason)
    return plan


def _due_label(due: InstalmentDue) -> str:
    return _("Instalment %(sequence)s/%(months)s of plan %(number)s") % {
        "sequence": due.sequence,
        "months": due.plan.months,
        "number": due.plan.number,
    }


def _pay_due(due: InstalmentDue, *, actor) -> None:
    """Charge one due from the balance (the caller holds the balance lock and checked it)."""
    plan = due.plan
    entry = post_ledger_entry(
        plan.account,
        kind=LedgerEntryKind.INSTALMENT,
        amount=-due.amount,
        actor=actor,
        description=_due_label(due),
        subscription=plan.subscription,
        promotion=plan.promotion,
    )
    _move_due(
        due, InstalmentDueStatus.PAID, fields={"paid_at": timezone.now(), "ledger_entry": entry}
    )
    _event(plan, InstalmentEventKind.DUE_PAID, actor=actor, due=due, amount=due.amount)


def _complete_if_paid(plan: InstalmentPlan, *, actor) -> None:
    if not plan.dues.filter(status__in=OPEN_DUE_STATUSES).exists():
        plan = InstalmentPlan.objects.select_for_update().get(pk=plan.pk)
        if plan.status == InstalmentPlanStatus.ACTIVE:
            transition_plan(plan, InstalmentPlanStatus.COMPLETED, actor=actor)


def charge_due(due_id: int, *, today: datetime.date | None = None) -> str | None:
    """Charge one scheduled due whose day has come: ``"paid"`` or ``"overdue"``; None when
    another run got there first. One transaction, under the balance row's lock."""
    today = today or timezone.localdate()
    account_id = (
        InstalmentDue.objects.filter(pk=due_id).values_list("plan__account_id", flat=True).first()
    )
    if account_id is None:
        return None
    with transaction.atomic():
        balance = _locked_balance(BillingAccount(pk=account_id))
        due = (
            InstalmentDue.objects.select_for_update(of=("self",))
            .select_related("plan")
            .filter(
                pk=due_id,
                status=InstalmentDueStatus.SCHEDULED,
                due_on__lte=today,
                plan__status=InstalmentPlanStatus.ACTIVE,
            )
            .first()
        )
        if due is None:
            return None
        if balance.balance >= due.amount:
            _pay_due(due, actor=None)
            _complete_if_paid(due.plan, actor=None)
            return "paid"
        _move_due(due, InstalmentDueStatus.OVERDUE, fields={"overdue_since": today})
        _event(
            due.plan,
            InstalmentEventKind.DUE_OVERDUE,
            due=due,
            amount=due.amount,
            reason=_("Balance %(balance)s yuan, due %(amount)s yuan.")
            % {"balance": balance.balance, "amount": due.amount},
        )
        return "overdue"


def settle_overdue_dues(account: BillingAccount, *, actor) -> list[InstalmentDue]:
    """Pay the account's overdue dues, oldest first, while the balance covers them (stopping at
    the first it cannot pay, so they are paid in order). Runs in the caller's transaction, or
    its own."""
    paid = []
    with transaction.atomic():
        balance = _locked_balance(account)
        dues = list(
            InstalmentDue.objects.select_for_update(of=("self",))
            .select_related("plan")
            .filter(
                plan__account=account,
                plan__status=InstalmentPlanStatus.ACTIVE,
                status=InstalmentDueStatus.OVERDUE,
            )
            .order_by("due_on", "plan_id", "sequence")
        )
        available = balance.balance
        for due in dues:
            if available < due.amount:
                break
            _pay_due(due, actor=actor)
            available -= due.amount
            paid.append(due)
        for plan in {due.plan_id: due.plan for due in paid}.values():
            _complete_if_paid(plan, actor=actor)
    return paid


def charge_due_instalments(today: datetime.date | None = None, *, limit: int = 5000) -> dict:
    """The beat job: charge every due whose day has come, then retry overdue dues of accounts
    whose balance may now cover them. Each due in its own transaction; safe to run twice."""
    today = today or timezone.localdate()
    ids = list(
        InstalmentDue.objects.filter(
            status=InstalmentDueStatus.SCHEDULED,
            due_on__lte=today,
            plan__status=InstalmentPlanStatus.ACTIVE,
        )
        .order_by("due_on", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    counts = {"paid": 0, "overdue": 0, "settled": 0}
    for due_id in ids:
        outcome = charge_due(due_id, today=today)
        if outcome:
            counts[outcome] += 1
    overdue_accounts = (
        InstalmentDue.objects.filter(
            status=InstalmentDueStatus.OVERDUE, plan__status=InstalmentPlanStatus.ACTIVE
        )
        .values_list("plan__account_id", flat=True)
        .distinct()
    )
    for account_id in list(overdue_accounts):
        counts["settled"] += len(settle_overdue_dues(BillingAccount(pk=account_id), actor=None))
    return counts


# --- Early payoff and cancellation ------------------------------------------------------------


def payoff_amount(plan: InstalmentPlan) -> Decimal:
    """What an early payoff charges now: overdue dues in full, scheduled ones' principal."""
    total = ZERO
    for status, principal, amount in plan.dues.filter(status__in=OPEN_DUE_STATUSES).values_list(
        "status", "principal", "amount"
    ):
        total += amount if status == InstalmentDueStatus.OVERDUE else principal
    return total


def _locked_active_plan(plan: InstalmentPlan) -> tuple[PrepaidBalance, InstalmentPlan]:
    """The balance row, then the plan, locked; a plan no longer active is refused."""
    balance = _locked_balance(plan.account)
    plan = InstalmentPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.status != InstalmentPlanStatus.ACTIVE:
        raise BillingError(
            BillingErrorCode.INVALID_TRANSITION,
            _("Plan %(number)s is %(status)s already.")
            % {"number": plan.number, "status": InstalmentPlanStatus(plan.status).label},
        )
    return balance, plan


@transaction.atomic
def pay_off_plan(plan: InstalmentPlan, *, actor) -> InstalmentPlan:
    """Pay the rest of a plan from the balance now: one ``instalment`` entry; the interest of
    the months not yet due is waived. ``balance_too_low`` when the balance does not cover it."""
    balance, plan = _locked_active_plan(plan)
    amount = payoff_amount(plan)
    if balance.balance < amount:
        raise BillingError(
            BillingErrorCode.BALANCE_TOO_LOW,
            _("Paying off costs %(amount)s yuan; the balance is %(balance)s. Top up first.")
            % {"amount": amount, "balance": balance.balance},
        )
    entry = None
    if amount > 0:
        entry = post_ledger_entry(
            plan.account,
            kind=LedgerEntryKind.INSTALMENT,
            amount=-amount,
            actor=actor,
            description=_("Early payoff of plan %(number)s") % {"number": plan.number},
            subscription=plan.subscription,
            promotion=plan.promotion,
        )
    for due in plan.dues.select_for_update().filter(status__in=OPEN_DUE_STATUSES):
        _move_due(due, InstalmentDueStatus.SETTLED, fields={"paid_at": timezone.now()})
    return transition_plan(
        plan,
        InstalmentPlanStatus.PAID_OFF,
        actor=actor,
        amount=amount,
        reason=_("Ledger entry %(entry)s") % {"entry": entry.pk} if entry else "",
    )


@transaction.atomic
def cancel_plan(plan: InstalmentPlan, *, actor, reason: str) -> InstalmentPlan:
    """Cancel a purchase, the device returned, within ``BILLING_INSTALMENT_CANCEL_DAYS``: the
    dues paid come back as one ``refund`` entry and the open ones are dropped."""
    reason = (reason or "").strip()
    if not reason:
        raise BillingError(BillingErrorCode.REASON_REQUIRED, _("Give a reason."), field="reason")
    _balance, plan = _locked_active_plan(plan)
    last_day = plan.purchased_on + datetime.timedelta(days=settings.BILLING_INSTALMENT_CANCEL_DAYS)
    if timezone.localdate() > last_day:
        raise BillingError(
            BillingErrorCode.CANCELLATION_PERIOD_OVER,
            _("Purchases may be cancelled until %(day)s; this plan can only be paid off.")
            % {"day": last_day},
        )
    paid = (
        plan.dues.filter(status=InstalmentDueStatus.PAID).aggregate(total=Sum("amount"))["total"]
        or ZERO
    )
    if paid > 0:
        post_ledger_entry(
            plan.account,
            kind=LedgerEntryKind.REFUND,
            amount=paid,
            actor=actor,
            description=_("Refund of the instalments of cancelled plan %(number)s")
            % {"number": plan.number},
            subscription=plan.subscription,
        )
    for due in plan.dues.select_for_update().filter(status__in=OPEN_DUE_STATUSES):
        _move_due(due, InstalmentDueStatus.CANCELLED)
    return transition_plan(
        plan,
        InstalmentPlanStatus.CANCELLED,
        actor=actor,
        amount=paid,
        reason=_("%(reason)s (down payment %(down)s yuan refunded at the counter)")
        % {"reason": reason, "down": plan.down_payment},
    )
