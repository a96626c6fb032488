"""One real ``seed_demo`` per test session, copied into every later test that wants the demo.

The first test that asks runs the command for real inside its own transaction and keeps what it
changed: the whole content of every table whose rows differ, read back exactly as stored
(SQLite's raw values, PostgreSQL's ``COPY`` text), and the files it wrote under MEDIA_ROOT.
A later test starts from a database that is compared, table by table, with the one that was
seeded; when they are the same (and so are the language, the day and the password hashers), the
changed tables are replaced by the copy and the files written again: the test sees what the
command would have left, in a fraction of a second instead of about six. When anything differs,
it seeds for real and keeps that copy as well. Each test's transaction is still rolled back.
"""

import os
import sqlite3
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection
from django.utils import timezone, translation


@dataclass
class Snapshot:
    key: tuple
    before: dict  # table -> its content before the seed (every table)
    after: dict  # table -> its content after the seed (only the tables the seed changed)
    files: dict[str, bytes]  # path under MEDIA_ROOT -> content the seed wrote
    output: str


# One per context (a test that leaves another language active gets a seed in that language).
_snapshots: dict[tuple, Snapshot] = {}


def seed_demo() -> str:
    """The demo data in the current test's database; returns what the command printed."""
    key = context_key()
    before = dump_tables()
    snapshot = _snapshots.get(key)
    if snapshot is not None and snapshot.before == before:
        restore(snapshot)
        return snapshot.output
    files_before = media_files()
    output = run_seed()
    after = dump_tables()
    _snapshots[key] = Snapshot(
        key=key,
        before=before,
        after={table: rows for table, rows in after.items() if before.get(table) != rows},
        files={
            path: (Path(settings.MEDIA_ROOT) / path).read_bytes()
            for path, stamp in media_files().items()
            if files_before.get(path) != stamp
        },
        output=output,
    )
    return output


def run_seed() -> str:
    out = StringIO()
    call_command("seed_demo", "--no-progress", stdout=out, stderr=StringIO())
    return out.getvalue()


def context_key() -> tuple:
    """What the seed's rows depend on besides the database it starts from."""
    return (
        connection.vendor,
        connection.settings_dict["NAME"],
        translation.get_language(),
        timezone.localdate(),
        settings.TIME_ZONE,
        tuple(settings.PASSWORD_HASHERS),
    )


def media_files() -> dict[str, tuple[int, int]]:
    root = Path(settings.MEDIA_ROOT)
    if not root.is_dir():
        return {}
    stamps = {}
    for folder, _dirs, names in os.walk(root):
        for name in names:
            stat = (Path(folder) / name).stat()
            stamps[str((Path(folder) / name).relative_to(root))] = (stat.st_mtime_ns, stat.st_size)
    return stamps


def quoted(table: str) -> str:
    # Table names come from the database's own list of tables (S608 below: no user input).
    return connection.ops.quote_name(table)


def dump_tables() -> dict:
    connection.ensure_connection()
    raw = connection.connection
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
    if connection.vendor == "sqlite":
        # Values as stored (text, integer, real, blob): no converter may turn them into dates.
        converters = dict(sqlite3.converters)
        sqlite3.converters.clear()
        try:
            cursor = raw.cursor()
            try:
                select = "SELECT * FROM {}"
                return {
                    table: cursor.execute(select.format(quoted(table))).fetchall()
                    for table in tables
                }
            finally:
                cursor.close()
        finally:
            sqlite3.converters.update(converters)
    if connection.vendor == "postgresql":
        dumps = {}
        with raw.cursor() as cursor:
            for table in tables:
                with cursor.copy(f"COPY {quoted(table)} TO STDOUT") as copy:
                    dumps[table] = b"".join(bytes(chunk) for chunk in copy)
        return dumps
    raise NotImplementedError(connection.vendor)


def restore(snapshot: Snapshot) -> None:
    raw = connection.connection
    if connection.vendor == "sqlite":
        cursor = raw.cursor()
        try:
            for table, rows in snapshot.after.items():
                cursor.execute(f"DELETE FROM {quoted(table)}")  # noqa: S608
                if rows:
                    marks = ", ".join("?" * len(rows[0]))
                    insert = f"INSERT INTO {quoted(table)} VALUES ({marks})"  # noqa: S608
                    cursor.executemany(insert, rows)
        finally:
            cursor.close()
    else:
        with raw.cursor() as cursor:
            for table, data in snapshot.after.items():
                cursor.execute(f"DELETE FROM {quoted(table)}")  # noqa: S608
                with cursor.copy(f"COPY {quoted(table)} FROM STDIN") as copy:
                    copy.write(data)
            # Rows came with their ids: the sequences go on after the highest.
            models = [
                model
                for model in apps.get_models(include_auto_created=True)
                if model._meta.db_table in snapshot.after
            ]
            for sql in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(sql)
    root = Path(settings.MEDIA_ROOT)
    for path, content in snapshot.files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(content)
