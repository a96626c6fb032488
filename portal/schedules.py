"""The periodic tasks the platform creates on migrate; each app adds its own entries here.

Long delays are never broker countdowns (a Redis visibility timeout would run them twice):
they are database rows that one of these periodic sweeps claims.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class PeriodicTaskSpec:
    name: str
    task: str
    description: str
    every_seconds: int | None = None
    # "minute hour day_of_month month_of_year day_of_week", in Asia/Shanghai time.
    crontab: str | None = None

    def __post_init__(self):
        if (self.every_seconds is None) == (self.crontab is None):
            raise ValueError(f"{self.name}: give exactly one of every_seconds or crontab")


DEFAULT_PERIODIC_TASKS: tuple[PeriodicTaskSpec, ...] = (
    PeriodicTaskSpec(
        name="portal: worker heartbeat",
        task="portal.tasks.record_heartbeat",
        description=_("Proves that beat and a worker run; /healthz reports its age."),
        every_seconds=60,
    ),
    PeriodicTaskSpec(
        name="billing: monthly bill run",
        task="billing.tasks.run_bill_run_task",
        description=_("Closes the previous month on the 1st: monthly fees and one bill per line."),
        crontab="0 2 1 * *",
    ),
)
