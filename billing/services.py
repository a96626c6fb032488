"""Writes of the billing app: the ledger and top-ups (rating and bill runs live beside them).

Every balance change is ``post_ledger_entry``: it locks the account's ``PrepaidBalance`` row,
adds the entry and moves the stored balance by the same amount in one transaction, so no
concurrent writer can lose an update and the balance always equals the sum of its entries.
"""

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing.choices import BONUS_KINDS, CREDIT_KINDS, BankCode, LedgerEntryKind, TopUpChannel
from billing.error_codes import BillingErrorCode
from billing.models import LedgerEntry, PrepaidBalance, TopUp
from billing.money import ZERO, AmountError, parse_yuan
from crm.models import BillingAccount
from portal.errors import DomainError


class BillingError(DomainError):
    """A billing rule refused the operation (codes: ``BillingErrorCode``)."""


def _locked_balance(account: BillingAccount) -> PrepaidBalance:
    # get_or_create settles a first posting racing another one (primary key on the account);
    # the lock is then taken on the one row every writer of this account must pass.
    PrepaidBalance.objects.get_or_create(account=account)
    return PrepaidBalance.objects.select_for_update().get(account=account)


def check_ledger_entry(kind: str, amount: Decimal) -> None:
    """Refuse what no ledger entry may be: a float, zero, or a credit/debit of the wrong sign."""
    if not isinstance(amount, Decimal):
        raise TypeError("ledger amounts are Decimal")
    if amount == 0:
        raise ValueError("a ledger entry moves money")
    if (kind in CREDIT_KINDS) != (amount > 0) and kind != LedgerEntryKind.ADJUSTMENT:
        raise ValueError(
            f"{kind} entries must be {'credits' if kind in CREDIT_KINDS else 'debits'}"
        )


@transaction.atomic
def post_ledger_entry(
    account: BillingAccount,
    *,
    kind: str,
    amount: Decimal,
    actor=None,
    description: str = "",
    **trace,
) -> LedgerEntry:
    """Add one entry and move the balance by its amount, under the balance row's lock.

    ``amount`` is signed: credits (top-ups, refunds) positive, debits negative. ``trace`` names
    what caused the entry (``subscription``, ``period``, ``cdr_import``).
    """
    check_ledger_entry(kind, amount)
    balance = _locked_balance(account)
    PrepaidBalance.objects.filter(pk=balance.pk).update(
        balance=F("balance") + amount,
        bonus_balance=bonus_after(kind, amount, balance.bonus_balance),
    )
    balance.refresh_from_db(fields=["balance"])
    return LedgerEntry.objects.create(
        account=account,
        kind=kind,
        amount=amount,
        balance_after=balance.balance,
        actor=actor,
        description=description,
        **trace,
    )


def bonus_after(kind: str, amount: Decimal, bonus: Decimal) -> Decimal:
    """The bonus part of a balance after an entry: bonus credits add to it, debits use it up
    first (so it never exceeds a positive balance), payments leave it alone. Computed from the
    locked row, exactly, in Decimal."""
    if kind in BONUS_KINDS:
        return bonus + amount
    if amount < 0:
        return max(ZERO, bonus + amount)
    return bonus


def balance_of(account: BillingAccount) -> Decimal:
    return (
        PrepaidBalance.objects.filter(account=account).values_list("balance", flat=True).first()
        or ZERO
    )


@dataclass(frozen=True)
class LedgerMismatch:
    account_id: int
    stored: Decimal
    entries: Decimal


def audit_ledger(accounts=None) -> list[LedgerMismatch]:
    """Accounts whose stored balance differs from the sum of their entries (expected: none)."""
    balances = PrepaidBalance.objects.all()
    if accounts is not None:
        balances = balances.filter(account__in=accounts)
    sums = dict(
        LedgerEntry.objects.filter(account__in=balances.values("account"))
        .values("account")
        .annotate(total=Sum("amount"))
        .values_list("account", "total")
    )
    return [
        LedgerMismatch(account_id, stored, sums.get(account_id, ZERO))
        for account_id, stored in balances.values_list("account", "balance")
        if stored != sums.get(account_id, ZERO)
    ]


# --- Top-ups --------------------------------------------------------------------------------


AMOUNT_ERRORS = {
    AmountError.NOT_A_NUMBER: gettext_lazy("Enter an amount in yuan, such as 50 or 49.90."),
    AmountError.FLOAT: gettext_lazy("Send amounts as decimal strings, not floating-point numbers."),
    AmountError.TOO_PRECISE: gettext_lazy("An amount has at most two decimals (fen)."),
}


def clean_top_up_amount(value) -> Decimal:
    """Parse and bound a top-up amount; a bad one is a ``ValidationError`` on ``amount``."""
    try:
        amount = parse_yuan(value)
    except AmountError as exc:
        raise ValidationError(
            {
                "amount": ValidationError(
                    AMOUNT_ERRORS[exc.reason], code=BillingErrorCode.INVALID_AMOUNT
                )
            }
        ) from exc
    low, high = settings.BILLING_TOP_UP_MIN, settings.BILLING_TOP_UP_MAX
    if not low <= amount <= high:
        raise ValidationError(
            {
                "amount": ValidationError(
                    _("A top-up is between %(low)s and %(high)s yuan.")
                    % {"low": low, "high": high},
                    code=BillingErrorCode.AMOUNT_OUT_OF_RANGE,
                )
            }
        )
    return amount


def adjustment_limit(user) -> Decimal:
    """The largest credit this user may grant on their own authority (zero for most roles)."""
    limits = settings.BILLING_ADJUSTMENT_LIMITS
    return max((limits.get(role.value, ZERO) for role in user.roles), default=ZERO)


@transaction.atomic
def grant_adjustment(
    account: BillingAccount, *, amount, approver, reason: str, field: str = "adjustment_amount"
) -> LedgerEntry:
    """Credit an account after a justified dispute: an ``ADJUSTMENT`` ledger entry whose actor
    is the approver and whose description is the reason, within the approver's role limit."""
    try:
        amount = parse_yuan(amount)
    except AmountError as exc:
        raise ValidationError(
            {
                field: ValidationError(
                    AMOUNT_ERRORS[exc.reason], code=BillingErrorCode.INVALID_AMOUNT
                )
            }
        ) from exc
    if amount <= 0:
        raise ValidationError(
            {
                field: ValidationError(
                    _("An adjustment credits the account: give a positive amount."),
                    code=BillingErrorCode.INVALID_AMOUNT,
                )
            }
        )
    if not (reason or "").strip():
        raise ValidationError({"reason": ValidationError(_("Give a reason."), code="required")})
    limit = adjustment_limit(approver)
    if amount > limit:
        raise BillingError(
            BillingErrorCode.ADJUSTMENT_OVER_LIMIT,
            _("You may grant at most %(limit)s yuan; ask a supervisor to approve %(amount)s.")
            % {"limit": limit, "amount": amount},
            field=field,
        )
    return post_ledger_entry(
        account,
        kind=LedgerEntryKind.ADJUSTMENT,
        amount=amount,
        actor=approver,
        description=reason.strip()[:300],
    )


def _fingerprint(
    account: BillingAccount,
    amount: Decimal,
    channel: str,
    reference: str,
    *,
    bank: str = "",
    promotion: str | None = None,
) -> str:
    body = {
        "account": account.pk,
        "amount": str(amount),
        "channel": channel,
        "reference": reference,
    }
    # Only when given: fingerprints of requests without them stay what they always were.
    if bank:
        body["bank"] = bank
    if promotion:
        body["promotion"] = promotion
    canonical = json.dumps(body, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class TopUpResult:
    top_up: TopUp
    replayed: bool


def clean_bank(bank: str, channel: str) -> str:
    bank = (bank or "").strip()
    if not bank:
        return ""
    if bank not in BankCode.values:
        raise ValidationError({"bank": ValidationError(_("Unknown bank."), code="invalid")})
    if channel != TopUpChannel.BANK_CARD:
        raise ValidationError(
            {
                "bank": ValidationError(
                    _("A bank is named only for bank-card top-ups."), code="invalid"
                )
            }
        )
    return bank


@transaction.atomic
def top_up(
    account: BillingAccount,
    *,
    amount,
    channel: str,
    actor,
    idempotency_key: str | None = None,
    reference: str = "",
    bank: str = "",
    promotion: str | None = None,
) -> TopUpResult:
    """Credit a payment to the account once.

    With an ``idempotency_key``, a retry of the same request (same actor, key and body) returns
    the first top-up with ``replayed=True`` and credits nothing; the same key with another body
    is refused (``idempotency_key_reused``). Two simultaneous requests with one key are settled
    by the unique constraint: one credits, the other replays it.

    In the same transaction the payment gets its offer (``promotion``: the code the customer
    picked, else the best eligible one; ``bank``: the card's bank, for bank offers) as a bonus
    entry, earns points, pays overdue instalments and, when that ends the account's arrears,
    restores its suspended lines (``billing.promotions``, ``billing.points``,
    ``billing.instalments``, ``billing.arrears``). A replay does none of it again.
    """
    amount = clean_top_up_amount(amount)
    if channel not in TopUpChannel.values:
        raise ValidationError(
            {"channel": ValidationError(_("Unknown top-up channel."), code="invalid")}
        )
    bank = clean_bank(bank, channel)
    reference = (reference or "").strip()
    key = (idempotency_key or "").strip() or None
    promotion = (promotion or "").strip() or None
    fingerprint = _fingerprint(account, amount, channel, reference, bank=bank, promotion=promotion)
    try:
        with transaction.atomic():
            record = TopUp.objects.create(
                account=account,
                amount=amount,
                channel=channel,
                reference=reference,
                bank=bank,
                idempotency_key=key,
                request_fingerprint=fingerprint,
                actor=actor,
            )
    except IntegrityError:
        first = TopUp.objects.select_related("ledger_entry").get(actor=actor, idempotency_key=key)
        if first.request_fingerprint != fingerprint:
            raise BillingError(
                BillingErrorCode.IDEMPOTENCY_KEY_REUSED,
                _("This Idempotency-Key was used for a different top-up."),
            ) from None
        return TopUpResult(first, replayed=True)
    # Imported here: these modules post through this one. Their locks are taken in the order
    # every writer uses: promotion rows, the points account, the prepaid balance, then plans
    # and arrears cases.
    from billing import arrears, instalments, points, promotions

    offer = promotions.choose_top_up_offer(record, requested=promotion)
    points.earn_points_for_top_up(record, actor=actor)
    record.ledger_entry = post_ledger_entry(
        account,
        kind=LedgerEntryKind.TOP_UP,
        amount=amount,
        actor=actor,
        description=_("Top-up via %(channel)s") % {"channel": TopUpChannel(channel).label},
        promotion=offer.promotion if offer else None,
    )
    record.save(update_fields=["ledger_entry"])
    if offer is not None:
        promotions.grant_top_up_offer(record, offer, actor=actor)
    instalments.settle_overdue_dues(account, actor=actor)
    arrears.clear_if_settled(
        account,
        actor=actor,
        detail=_("top-up of %(amount)s yuan") % {"amount": amount},
    )
    return TopUpResult(record, replayed=False)


# --- Early termination of a service agreement -----------------------------------------------


@transaction.atomic
def charge_early_termination_fee(
    account: BillingAccount,
    *,
    amount: Decimal,
    agreement_number: str,
    actor,
    subscription=None,
) -> LedgerEntry:
    """Debit the fee for ending a service agreement before its term: one ledger entry, under
    the balance row's lock like every other. ``amount`` is the positive fee in yuan, as
    ``crm.agreements.termination_quote`` computed it (the ledger refuses anything else)."""
    return post_ledger_entry(
        account,
        kind=LedgerEntryKind.TERMINATION_FEE,
        amount=-amount,
        actor=actor,
        description=_("Early termination of agreement %(number)s") % {"number": agreement_number},
        subscription=subscription,
    )
