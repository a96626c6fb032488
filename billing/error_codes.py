"""Stable error codes of the billing app."""

from enum import StrEnum


class BillingErrorCode(StrEnum):
    INVALID_AMOUNT = "invalid_amount"
    AMOUNT_OUT_OF_RANGE = "amount_out_of_range"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    ADJUSTMENT_OVER_LIMIT = "adjustment_over_limit"
    # Promotions, points, instalments
    PROMOTION_NOT_ELIGIBLE = "promotion_not_eligible"
    PROMOTION_EXPIRED = "promotion_expired"
    PROMOTION_EXHAUSTED = "promotion_exhausted"
    PROMOTION_LIMIT_REACHED = "promotion_limit_reached"
    NOT_ENOUGH_POINTS = "not_enough_points"
    LINE_REQUIRED = "line_required"
    NOT_ELIGIBLE_FOR_CREDIT_PURCHASE = "not_eligible_for_credit_purchase"
    INVALID_TRANSITION = "invalid_transition"
    CANCELLATION_PERIOD_OVER = "cancellation_period_over"
    REASON_REQUIRED = "reason_required"
    BALANCE_TOO_LOW = "balance_too_low"


class EligibilityCode(StrEnum):
    """The conditions of a credit phone purchase (营业厅 9.1.1 信用购机条件), each with a
    stable code the eligibility check names when it fails."""

    IDENTITY_NOT_VERIFIED = "identity_not_verified"
    NOT_IN_GOOD_STANDING = "not_in_good_standing"
    HAS_ARREARS = "has_arrears"
    AGE_UNKNOWN = "age_unknown"
    TOO_YOUNG = "too_young"
    TENURE_TOO_SHORT = "tenure_too_short"
    OVER_CREDIT_LIMIT = "over_credit_limit"
