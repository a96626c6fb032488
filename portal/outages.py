"""What the site answers while its database cannot be reached: 503 and a retry hint, not 500.

An exception raised anywhere in a request (a view, a middleware loading the session or the
user, DRF's authentication) reaches Django's 500 handler, so ``handler500``
(``portal.views.server_error``) is the one place that answers all of them; the API's exception
handler hands these errors on to it rather than answering 500 itself. This module stays free of
models and DRF: the logging configuration imports it before the apps are loaded.
"""

import sqlite3

from django.db import InterfaceError, OperationalError

# SQLite's primary result codes for a database file that is busy, locked or cannot be opened.
_SQLITE_UNAVAILABLE = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_CANTOPEN}

# Seconds a client (or a browser's user) is asked to wait before trying again.
RETRY_AFTER_SECONDS = 30


def is_database_unavailable(exc: BaseException | None) -> bool:
    """The database could not be reached, as opposed to a statement that failed in it.

    A failed statement (a deadlock, a serialization failure, a cancelled query) is a bug or a
    conflict whose traceback matters; a refused or lost connection is an outage whose cause is
    already known.
    """
    if isinstance(exc, InterfaceError):
        return True
    if not isinstance(exc, OperationalError):
        return False
    driver_error = exc.__cause__
    sqlite_code = getattr(driver_error, "sqlite_errorcode", None)
    if sqlite_code is not None:
        # "no such table" is an OperationalError too: only busy, locked or unopenable counts.
        return (sqlite_code & 0xFF) in _SQLITE_UNAVAILABLE
    # psycopg sets no SQLSTATE when it could not connect or lost the connection; class 08 is a
    # connection exception, 57P the server shutting down.
    sqlstate = getattr(driver_error, "sqlstate", None)
    return sqlstate is None or sqlstate.startswith(("08", "57P"))


def describe(exc: BaseException) -> str:
    """``OperationalError: connection to server ... failed: Connection refused`` (one line)."""
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {first_line}" if first_line else type(exc).__name__
