"""Stable error codes of the complaints app."""

from enum import StrEnum


class TicketErrorCode(StrEnum):
    INVALID_TRANSITION = "invalid_transition"
    REASON_REQUIRED = "reason_required"
    REOPEN_WINDOW_PASSED = "reopen_window_passed"
    NOT_A_CUSTOMERS_LINE = "not_a_customers_line"
    NOT_IN_QUEUE = "not_in_queue"
    TICKET_FINISHED = "ticket_finished"
    TOP_OF_CHAIN = "top_of_chain"
    NOT_A_DISPUTE = "not_a_dispute"
    ALREADY_ADJUSTED = "already_adjusted"
    NO_ACCOUNT = "no_account"
    SURVEY_UNAVAILABLE = "survey_unavailable"
    CALLBACK_DONE = "callback_done"
    ATTACHMENT_TOO_LARGE = "attachment_too_large"
    ATTACHMENT_TYPE = "attachment_type"
    ATTACHMENT_DAMAGED = "attachment_damaged"
    ATTACHMENT_ACTIVE_CONTENT = "attachment_active_content"
    TOO_MANY_ATTACHMENTS = "too_many_attachments"
    NOT_A_FAULT = "not_a_fault"
    NOT_A_LOW_SCORE = "not_a_low_score"
    CALLBACK_OPEN = "callback_open"
