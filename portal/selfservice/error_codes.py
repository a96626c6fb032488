"""Stable error codes of the customer self-service portal."""

from enum import StrEnum


class SelfServiceErrorCode(StrEnum):
    RESET_RATE_LIMITED = "reset_rate_limited"
    RESET_CODE_INVALID = "reset_code_invalid"
    NO_EMAIL_ON_FILE = "no_email_on_file"
    NO_CHANNEL_LEFT = "no_channel_left"
