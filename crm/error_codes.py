"""Stable error codes of the crm app: clients may branch on these; messages may change."""

from enum import StrEnum


class IdentityErrorCode(StrEnum):
    """Codes clients may branch on; messages may change, these may not."""

    ID_FORMAT = "id_format"
    ID_CHECKSUM = "id_checksum"
    ID_BIRTH_DATE = "id_birth_date"
    CREDIT_CODE_FORMAT = "credit_code_format"
    CREDIT_CODE_CHECKSUM = "credit_code_checksum"
    PASSPORT_FORMAT = "passport_format"
    MOBILE_INVALID = "mobile_invalid"
    DOCUMENT_TYPE = "document_type"


class CrmErrorCode(StrEnum):
    """Refusals of crm service functions (business rules, not input format)."""

    INVALID_TRANSITION = "invalid_transition"
    REASON_REQUIRED = "reason_required"
    MSISDN_TAKEN = "msisdn_taken"
    LINE_NOT_LIVE = "line_not_live"
    PRODUCT_UNAVAILABLE = "product_unavailable"
    PRODUCT_KIND_MISMATCH = "product_kind_mismatch"
    ALREADY_SUBSCRIBED = "already_subscribed"
    NOT_SUBSCRIBED = "not_subscribed"
    MINIMUM_TERM = "minimum_term"
    SAME_PLAN = "same_plan"
    TRANSFER_TARGET = "transfer_target"
    VERIFICATION_REQUIRED = "verification_required"
    VERIFICATION_LOCKED = "verification_locked"
    INTERACTION_CLOSED = "interaction_closed"
    NOT_YOUR_INTERACTION = "not_your_interaction"
    REVEAL_NOT_ALLOWED = "reveal_not_allowed"
    NO_SMS_CODE = "no_sms_code"
    FIELD_NOT_CHANGEABLE = "field_not_changeable"
