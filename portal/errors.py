"""The base of every app's business-rule errors, and how the API reports them.

Apps raise ``DomainError`` subclasses (``CrmError``, later ``BillingError`` ...) with a stable
``code`` from their ``error_codes`` Enum. Malformed input raises Django's ``ValidationError``
with field messages. The API turns both into the one error shape of drf-standardized-errors:
a refusal tied to a field is a 400 validation error on that field, any other refusal is 409.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_standardized_errors.handler import ExceptionHandler
from rest_framework import exceptions, status


class DomainError(Exception):
    """A business rule refused the operation; ``code`` is stable, ``message`` translated."""

    def __init__(self, code: str, message: str, *, field: str | None = None):
        super().__init__(message)
        self.code = str(code)
        self.message = message
        self.field = field


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state."
    default_code = "conflict"


def as_api_exception(exc: Exception) -> Exception:
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            detail = {
                field: [
                    exceptions.ErrorDetail(message, code=error.code or "invalid")
                    for error in errors
                    for message in error.messages
                ]
                for field, errors in exc.error_dict.items()
            }
        else:
            detail = [
                exceptions.ErrorDetail(message, code=error.code or "invalid")
                for error in exc.error_list
                for message in error.messages
            ]
        return exceptions.ValidationError(detail)
    if isinstance(exc, DomainError):
        if exc.field:
            return exceptions.ValidationError(
                {exc.field: [exceptions.ErrorDetail(exc.message, code=exc.code)]}
            )
        return Conflict(detail=exc.message, code=exc.code)
    return exc


class ApiExceptionHandler(ExceptionHandler):
    def convert_known_exceptions(self, exc: Exception) -> Exception:
        return super().convert_known_exceptions(as_api_exception(exc))
