"""Stable error codes of the billing app."""

from enum import StrEnum


class BillingErrorCode(StrEnum):
    INVALID_AMOUNT = "invalid_amount"
    AMOUNT_OUT_OF_RANGE = "amount_out_of_range"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    ADJUSTMENT_OVER_LIMIT = "adjustment_over_limit"
    NOTHING_TO_CHARGE = "nothing_to_charge"
