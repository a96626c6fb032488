"""The base of every app's business-rule errors, and how the API reports them.

Apps raise ``DomainError`` subclasses (``CrmError``, later ``BillingError`` ...) with a stable
``code`` from their ``error_codes`` Enum. Malformed input raises Django's ``ValidationError``
with field messages. The API turns both into the one error shape of drf-standardized-errors:
a refusal tied to a field is a 400 validation error on that field, any other refusal is 409.
A request that fails because the database is unreachable is a 503 in the same shape
(``DatabaseUnavailable``), answered by the site's 500 handler (see ``portal.outages``).
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_standardized_errors.formatter import ExceptionFormatter
from drf_standardized_errors.handler import ExceptionHandler
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from portal.outages import is_database_unavailable


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


class DatabaseUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = _("The service is briefly unavailable; please try again shortly.")
    default_code = "database_unavailable"


def api_error_body(error: exceptions.APIException, exc: Exception | None = None) -> dict:
    """The API's error shape for ``error``, for answers made outside DRF (the site's 404 and
    500 handlers), so that every /api/ answer has the same body whatever failed."""
    return ExceptionFormatter(error, {}, exc or error).run()


def database_unavailable_body(exc: Exception) -> dict:
    """The API's error shape for a request that failed because the database is unreachable."""
    return api_error_body(DatabaseUnavailable(), exc)


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
    def should_not_handle(self, exc: Exception) -> bool:
        # Left to handler500 (portal.views.server_error), which answers 503 for every path,
        # also when the session or user lookup fails in a middleware, before DRF runs.
        return is_database_unavailable(exc) or super().should_not_handle(exc)

    def convert_known_exceptions(self, exc: Exception) -> Exception:
        return super().convert_known_exceptions(as_api_exception(exc))

    def get_response(self, exc: exceptions.APIException, data: dict) -> Response:
        # Errors are JSON whatever the Accept header: a browser's text/html would otherwise get
        # the browsable API's page, and a client that asked for a PDF a body it cannot read.
        request = self.context.get("request")
        if request is not None:
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().get_response(exc, data)
