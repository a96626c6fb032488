"""Stable error codes of the complaints app."""

from enum import StrEnum


class TicketErrorCode(StrEnum):
    INVALID_TRANSITION = "invalid_transition"
    REASON_REQUIRED = "reason_required"
    REOPEN_WINDOW_PASSED = "reopen_window_passed"
    NOT_A_CUSTOMERS_LINE = "not_a_customers_line"
