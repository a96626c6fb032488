"""Refusals of the contact channels: one error class and its stable codes."""

from enum import StrEnum

from portal.errors import DomainError


class ContactErrorCode(StrEnum):
    """Codes clients may branch on; messages may change, these may not."""

    INVALID_TRANSITION = "invalid_transition"
    NO_AGENT_AVAILABLE = "no_agent_available"
    NOT_OFFERED_TO_YOU = "not_offered_to_you"
    NOT_YOUR_CHAT = "not_your_chat"
    CHAT_NOT_OPEN = "chat_not_open"
    ALREADY_RATED = "already_rated"
    NOT_ENDED = "not_ended"
    NEEDS_CUSTOMER = "needs_customer"
    ALREADY_CONVERTED = "already_converted"
    CODE_INVALID = "code_invalid"
    UNKNOWN_IVR_KEY = "unknown_ivr_key"
    CALL_NOT_QUEUED = "call_not_queued"
    NOT_YOUR_CALL = "not_your_call"
    CALL_ID_REUSED = "call_id_reused"
    NOTICE_AUDIENCE_EMPTY = "notice_audience_empty"
    AGREEMENT_NOT_ACTIVE = "agreement_not_active"
    ACTIVE_AGREEMENT_EXISTS = "active_agreement_exists"
    LINE_NOT_LIVE = "line_not_live"
    NO_ROLE = "no_role"


class ContactError(DomainError):
    """A contact-channel rule refused the operation (codes: ``ContactErrorCode``)."""
