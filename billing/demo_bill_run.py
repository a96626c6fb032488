"""The demo's closed month, loaded by ``seed_demo`` after the demo lines, payments and usage.

Runs the same bill run the beat schedule runs on the 1st, for the month before today, so that
customers find a bill and its invoice PDF in the portal and staff find bills to dispute. The bill
run skips lines it has already billed: a second ``seed_demo`` creates nothing.
"""

from collections.abc import Callable

from billing.bill_run import previous_period, run_bill_run


def seed_demo_bill_run() -> int:
    result = run_bill_run(previous_period())
    return result.bills_created + result.fee_entries


def demo_steps() -> list[tuple[str, Callable[[], int]]]:
    return [("billing: last month's bill run", seed_demo_bill_run)]
