"""Promotions (营业厅 8.3 充值缴费优惠政策): which offers a payment or a purchase may have, the
best of them, and its use, recorded once per source.

- Top-ups get limited-time top-up offers and bank offers: ``choose_top_up_offer`` (inside
  ``billing.services.top_up``) takes the one the customer names, or else the eligible offer that
  gives most. A named offer that does not apply is refused with the reason on the
  ``promotion`` field; an offer that does not apply is otherwise just not chosen.
- Instalment purchases by an enterprise customer get the enterprise group-purchase price for its
  number of lines (``choose_group_purchase_offer``); points redemptions are their own kind
  (``billing.points``).

Budgets and usage limits hold under concurrency: the candidate promotions are locked in primary
key order (``select_for_update``) before they are weighed, their counters move with ``F()``
under that lock, and check constraints back the limits in the database. A payment uses an offer
at most once: ``PromotionRedemption`` is one-to-one with its top-up (or plan, or points entry),
and a retried top-up replays before any of this runs.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Count, F
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.choices import (
    TOP_UP_PROMOTION_KINDS,
    LedgerEntryKind,
    PromotionKind,
    TopUpChannel,
)
from billing.error_codes import BillingErrorCode
from billing.models import Promotion, PromotionRedemption, TopUp
from billing.money import floor_to_fen
from billing.services import BillingError, post_ledger_entry
from crm.choices import CustomerKind, SubscriptionStatus
from crm.models import Customer

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Offer:
    """A promotion that applies, and what it gives (a bonus in yuan, or a discount)."""

    promotion: Promotion
    benefit: Decimal


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str


def percent_of(amount: Decimal, percent: Decimal) -> Decimal:
    return floor_to_fen(amount * percent / HUNDRED)


def capped(promotion: Promotion, benefit: Decimal) -> Decimal:
    if promotion.max_benefit is not None:
        return min(benefit, promotion.max_benefit)
    return benefit


def top_up_benefit(promotion: Promotion, amount: Decimal) -> Decimal:
    """Fixed bonus plus a percentage of the amount paid (rounded down), within the cap."""
    return capped(
        promotion, promotion.benefit_amount + percent_of(amount, promotion.benefit_percent)
    )


def group_purchase_discount(promotion: Promotion, price: Decimal) -> Decimal:
    """The group price: a percentage off the device price (rounded down), within the cap."""
    return capped(
        promotion, promotion.benefit_amount + percent_of(price, promotion.benefit_percent)
    )


def common_refusal(
    promotion: Promotion, *, customer: Customer, day, uses_by_customer: int, benefit: Decimal
) -> Refusal | None:
    """What every kind checks: running, for this segment, within the limits and the budget."""
    if day > promotion.valid_to:
        return Refusal(
            BillingErrorCode.PROMOTION_EXPIRED,
            _("The offer %(name)s ended on %(day)s.")
            % {"name": promotion.name, "day": promotion.valid_to},
        )
    if not promotion.is_active or day < promotion.valid_from:
        return Refusal(
            BillingErrorCode.PROMOTION_NOT_ELIGIBLE,
            _("The offer %(name)s is not running.") % {"name": promotion.name},
        )
    if promotion.segment and customer.segment != promotion.segment:
        return Refusal(
            BillingErrorCode.PROMOTION_NOT_ELIGIBLE,
            _("The offer %(name)s is for %(segment)s customers only.")
            % {"name": promotion.name, "segment": promotion.get_segment_display()},
        )
    if (
        promotion.per_customer_limit is not None
        and uses_by_customer >= promotion.per_customer_limit
    ):
        return Refusal(
            BillingErrorCode.PROMOTION_LIMIT_REACHED,
            _("You have used the offer %(name)s the %(count)s times it allows.")
            % {"name": promotion.name, "count": promotion.per_customer_limit},
        )
    exhausted = (
        promotion.max_redemptions is not None and promotion.redemptions >= promotion.max_redemptions
    ) or (promotion.budget is not None and promotion.benefit_granted + benefit > promotion.budget)
    if exhausted:
        return Refusal(
            BillingErrorCode.PROMOTION_EXHAUSTED,
            _("The offer %(name)s has been used up.") % {"name": promotion.name},
        )
    return None


def top_up_refusal(
    promotion: Promotion, top_up: TopUp, *, customer: Customer, day, uses_by_customer: int
) -> Refusal | None:
    """Why this promotion does not apply to this top-up, or None when it does."""
    if promotion.kind not in TOP_UP_PROMOTION_KINDS:
        return Refusal(
            BillingErrorCode.PROMOTION_NOT_ELIGIBLE,
            _("The offer %(name)s is not a top-up offer.") % {"name": promotion.name},
        )
    benefit = top_up_benefit(promotion, top_up.amount)
    refusal = common_refusal(
        promotion, customer=customer, day=day, uses_by_customer=uses_by_customer, benefit=benefit
    )
    if refusal is not None:
        return refusal
    not_eligible = BillingErrorCode.PROMOTION_NOT_ELIGIBLE
    if promotion.kind == PromotionKind.BANK_OFFER and (
        top_up.channel != TopUpChannel.BANK_CARD or top_up.bank != promotion.bank
    ):
        return Refusal(
            not_eligible,
            _("The offer %(name)s is for top-ups with a %(bank)s card.")
            % {"name": promotion.name, "bank": promotion.get_bank_display()},
        )
    if promotion.channel and top_up.channel != promotion.channel:
        return Refusal(
            not_eligible,
            _("The offer %(name)s is for top-ups via %(channel)s.")
            % {"name": promotion.name, "channel": promotion.get_channel_display()},
        )
    if promotion.min_amount is not None and top_up.amount < promotion.min_amount:
        return Refusal(
            not_eligible,
            _("The offer %(name)s needs a top-up of at least %(amount)s yuan.")
            % {"name": promotion.name, "amount": promotion.min_amount},
        )
    if benefit <= 0:
        return Refusal(
            not_eligible,
            _("The offer %(name)s gives nothing on this top-up.") % {"name": promotion.name},
        )
    return None


def uses_by(customer: Customer, promotions) -> dict[int, int]:
    """How many times the customer used each of ``promotions`` (one query)."""
    return dict(
        PromotionRedemption.objects.filter(customer=customer, promotion__in=promotions)
        .values("promotion")
        .annotate(uses=Count("pk"))
        .values_list("promotion", "uses")
    )


def _named_promotion(code: str, field: str = "promotion") -> Promotion:
    promotion = Promotion.objects.filter(code=code).first()
    if promotion is None:
        raise ValidationError({field: ValidationError(_("No offer has this code."), "not_found")})
    return promotion


def best(offers: list[Offer]) -> Offer | None:
    """The offer that gives most; between equals, the one that ends first, then the oldest."""
    if not offers:
        return None
    return min(offers, key=lambda o: (-o.benefit, o.promotion.valid_to, o.promotion.pk))


def choose_top_up_offer(top_up: TopUp, *, requested: str | None = None) -> Offer | None:
    """The offer this top-up gets, its promotion locked until the transaction ends.

    ``requested``: the code the customer picked; if it does not apply the top-up is refused with
    the reason on ``promotion``. Otherwise the best eligible top-up offer, or None.
    """
    customer = top_up.account.customer
    day = timezone.localdate()
    if requested:
        candidates = Promotion.objects.filter(pk=_named_promotion(requested).pk)
    else:
        candidates = Promotion.objects.filter(
            kind__in=TOP_UP_PROMOTION_KINDS,
            is_active=True,
            valid_from__lte=day,
            valid_to__gte=day,
        )
    # One fixed order for every locker of promotion rows: no two top-ups deadlock.
    locked = list(candidates.select_for_update().order_by("pk"))
    uses = uses_by(customer, locked)
    offers = []
    for promotion in locked:
        refusal = top_up_refusal(
            promotion,
            top_up,
            customer=customer,
            day=day,
            uses_by_customer=uses.get(promotion.pk, 0),
        )
        if refusal is None:
            offers.append(Offer(promotion, top_up_benefit(promotion, top_up.amount)))
        elif requested:
            raise BillingError(refusal.code, refusal.message, field="promotion")
    return best(offers)


def count_use(promotion: Promotion, benefit: Decimal) -> None:
    """Add one use and its benefit to the counters (the row is locked by the caller)."""
    Promotion.objects.filter(pk=promotion.pk).update(
        redemptions=F("redemptions") + 1, benefit_granted=F("benefit_granted") + benefit
    )


def grant_top_up_offer(top_up: TopUp, offer: Offer, *, actor) -> PromotionRedemption:
    """Credit the bonus as its own ledger entry (bonus balance) and record the use."""
    promotion = offer.promotion
    entry = post_ledger_entry(
        top_up.account,
        kind=LedgerEntryKind.PROMOTION_BONUS,
        amount=offer.benefit,
        actor=actor,
        description=_("Bonus of %(name)s") % {"name": promotion.name},
        promotion=promotion,
    )
    count_use(promotion, offer.benefit)
    return PromotionRedemption.objects.create(
        promotion=promotion,
        customer_id=top_up.account.customer_id,
        account=top_up.account,
        top_up=top_up,
        benefit_amount=offer.benefit,
        ledger_entry=entry,
        actor=actor,
    )


# --- Enterprise group purchase ----------------------------------------------------------------


def group_size(customer: Customer) -> int:
    """The enterprise's live lines: what its group price depends on."""
    return customer.subscriptions.exclude(status=SubscriptionStatus.TERMINATED).count()


def group_purchase_refusal(
    promotion: Promotion, *, customer: Customer, price: Decimal, size: int, day, uses: int
) -> Refusal | None:
    if promotion.kind != PromotionKind.GROUP_PURCHASE:
        return Refusal(
            BillingErrorCode.PROMOTION_NOT_ELIGIBLE,
            _("The offer %(name)s is not a group purchase price.") % {"name": promotion.name},
        )
    discount = group_purchase_discount(promotion, price)
    refusal = common_refusal(
        promotion, customer=customer, day=day, uses_by_customer=uses, benefit=discount
    )
    if refusal is not None:
        return refusal
    if customer.kind != CustomerKind.ENTERPRISE:
        return Refusal(
            BillingErrorCode.PROMOTION_NOT_ELIGIBLE,
            _("Group purchase prices are for enterprise customers."),
        )
    if size < (promotion.min_group_size or 0):
        return Refusal(
            BillingErrorCode.PROMOTION_NOT_ELIGIBLE,
            _("The offer %(name)s needs %(size)s lines; the enterprise has %(lines)s.")
            % {"name": promotion.name, "size": promotion.min_group_size, "lines": size},
        )
    if discount <= 0:
        return Refusal(
            BillingErrorCode.PROMOTION_NOT_ELIGIBLE,
            _("The offer %(name)s gives nothing on this device.") % {"name": promotion.name},
        )
    return None


def choose_group_purchase_offer(
    customer: Customer, price: Decimal, *, requested: str | None = None, lock: bool = True
) -> Offer | None:
    """The group price a purchase gets (the best for the enterprise's size, or the one named;
    a named one that does not apply is refused on ``promotion``)."""
    day = timezone.localdate()
    if requested:
        candidates = Promotion.objects.filter(pk=_named_promotion(requested).pk)
    else:
        if customer.kind != CustomerKind.ENTERPRISE:
            return None
        candidates = Promotion.objects.filter(
            kind=PromotionKind.GROUP_PURCHASE,
            is_active=True,
            valid_from__lte=day,
            valid_to__gte=day,
        )
    candidates = candidates.order_by("pk")
    if lock:
        candidates = candidates.select_for_update()
    promotions = list(candidates)
    uses = uses_by(customer, promotions)
    size = group_size(customer)
    offers = []
    for promotion in promotions:
        refusal = group_purchase_refusal(
            promotion,
            customer=customer,
            price=price,
            size=size,
            day=day,
            uses=uses.get(promotion.pk, 0),
        )
        if refusal is None:
            offers.append(Offer(promotion, group_purchase_discount(promotion, price)))
        elif requested:
            raise BillingError(refusal.code, refusal.message, field="promotion")
    return best(offers)


def current_promotions(day=None):
    """Promotions running today, for the customer's eyes (the API and the points page)."""
    day = day or timezone.localdate()
    return Promotion.objects.filter(is_active=True, valid_from__lte=day, valid_to__gte=day)
