"""Filters of the site's log handler (``settings.LOGGING``), beside crm's PII masking."""

import logging

from portal.outages import describe, is_database_unavailable


class OneLineRequestErrors(logging.Filter):
    """A refused request (4xx) or a 503 during a database outage is one line, not a traceback.

    ``django.request`` attaches the exception to the records of a PermissionDenied (403), a
    SuspiciousOperation (400) and of every response from the 500 handler, so each expected
    refusal, and each request while the database is down, printed a full traceback that says
    nothing new. A 503 keeps the outage's cause on its line; other 5xx keep their traceback.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if status is None or not record.exc_info or record.exc_info[1] is None:
            return True
        exc = record.exc_info[1]
        if status == 503 and is_database_unavailable(exc):
            record.msg = f"{record.getMessage()} ({describe(exc)})"
            record.args = ()
        elif not 400 <= status < 500:
            return True
        record.exc_info = None
        record.exc_text = None
        return True
