"""Stable error codes of the reports app."""

from enum import StrEnum


class ReportErrorCode(StrEnum):
    MONTH_NOT_ENDED = "month_not_ended"
