"""Many ledger entries in a few statements, for the bill run (100,000 lines in one go).

``post_ledger_entries`` keeps the invariant of ``billing.services.post_ledger_entry`` — every
stored balance equals the sum of its entries, and no concurrent writer can lose an update — with
a constant number of statements per call instead of four per entry:

1. the ``PrepaidBalance`` rows of the accounts are created if missing (``ON CONFLICT DO NOTHING``);
2. they are locked with one ``SELECT ... FOR UPDATE ORDER BY account_id`` — the fixed order means
   two bulk posters cannot deadlock each other, and ``post_ledger_entry`` (which locks one row)
   waits for this transaction like any other writer of the account;
3. the running balances are computed from the locked values, and every entry is inserted with its
   ``balance_after`` in one ``bulk_create``;
4. each balance (and its bonus part, ``billing.services.bonus_after``) is set to its new value
   with one ``UPDATE ... FROM (VALUES ...)``.

Steps 2-4 run in one transaction under the locks, so balance == sum(entries) holds afterwards
exactly as it does after ``post_ledger_entry`` (``billing.services.audit_ledger`` checks it).
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from billing.models import LedgerEntry, PrepaidBalance
from billing.services import bonus_after, check_ledger_entry


@dataclass(frozen=True)
class PendingEntry:
    """An entry to post: ``amount`` signed as in ``post_ledger_entry`` (debits negative)."""

    account_id: int
    kind: str
    amount: Decimal
    description: str = ""
    subscription_id: int | None = None
    period: datetime.date | None = None
    cdr_import_id: int | None = None
    actor_id: int | None = None


def _check(entry: PendingEntry) -> None:
    # The same refusals as post_ledger_entry: a bulk path must not accept what the one-by-one
    # path refuses.
    check_ledger_entry(entry.kind, entry.amount)


def _set_balances(new_balances: dict[int, Decimal], new_bonuses: dict[int, Decimal]) -> None:
    """One ``UPDATE ... FROM (VALUES ...)`` (PostgreSQL, and SQLite from 3.33)."""
    table = connection.ops.quote_name(PrepaidBalance._meta.db_table)
    if connection.vendor == "postgresql":
        first_row, row = "(%s::bigint, %s::numeric, %s::numeric)", "(%s, %s, %s)"
    else:
        first_row = row = "(%s, %s, %s)"
    rows = ", ".join([first_row] + [row] * (len(new_balances) - 1))
    params: list = [timezone.now()]
    for account_id, balance in new_balances.items():
        params += [account_id, balance, new_bonuses[account_id]]
    # Only placeholders are formatted into the statement; every value is a parameter.
    sql = (
        f"UPDATE {table} SET balance = v.column2, bonus_balance = v.column3, "  # noqa: S608
        f"updated_at = %s FROM (VALUES {rows}) AS v WHERE {table}.account_id = v.column1"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if cursor.rowcount != len(new_balances):
            raise RuntimeError("a locked balance row disappeared during a bulk posting")


def post_ledger_entries(entries: Sequence[PendingEntry]) -> list[LedgerEntry]:
    """Post many entries at once; balance == sum(entries) holds afterwards for every account.

    The entries of one account are applied in the order given. Runs in its own transaction (a
    savepoint when called inside one); the balance locks are held until the outermost commit.
    """
    if not entries:
        return []
    for entry in entries:
        _check(entry)
    account_ids = sorted({entry.account_id for entry in entries})
    with transaction.atomic():
        PrepaidBalance.objects.bulk_create(
            [PrepaidBalance(account_id=account_id) for account_id in account_ids],
            ignore_conflicts=True,
        )
        locked = (
            PrepaidBalance.objects.select_for_update()
            .filter(account_id__in=account_ids)
            .order_by("account_id")
            .values_list("account_id", "balance", "bonus_balance")
        )
        running, bonuses = {}, {}
        for account_id, balance, bonus in locked:
            running[account_id], bonuses[account_id] = balance, bonus
        rows = []
        for entry in entries:
            running[entry.account_id] += entry.amount
            bonuses[entry.account_id] = bonus_after(
                entry.kind, entry.amount, bonuses[entry.account_id]
            )
            rows.append(
                LedgerEntry(
                    account_id=entry.account_id,
                    kind=entry.kind,
                    amount=entry.amount,
                    balance_after=running[entry.account_id],
                    description=entry.description,
                    subscription_id=entry.subscription_id,
                    period=entry.period,
                    cdr_import_id=entry.cdr_import_id,
                    actor_id=entry.actor_id,
                )
            )
        created = LedgerEntry.objects.bulk_create(rows)
        _set_balances(running, bonuses)
    return created
