"""The period a dashboard or report covers: inclusive local days, presets, trend buckets."""

import datetime
from dataclasses import dataclass

from django.utils import timezone

from portal.months import month_end, month_start, next_month, previous_month
from portal.reports.choices import Granularity, Preset

# Trends are weekly up to this many days, monthly beyond.
WEEKLY_UP_TO_DAYS = 92


def week_start(day: datetime.date) -> datetime.date:
    """The Monday of ``day``'s ISO week (the databases' week truncation)."""
    return day - datetime.timedelta(days=day.weekday())


@dataclass(frozen=True)
class ReportPeriod:
    """The local days ``start`` to ``end`` (inclusive), and how trends are bucketed."""

    start: datetime.date
    end: datetime.date
    granularity: str = Granularity.WEEK
    preset: str = ""

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def months(self) -> list[datetime.date]:
        """The billing months the period touches (revenue is reported by billing month)."""
        months, month = [], month_start(self.start)
        while month <= self.end:
            months.append(month)
            month = next_month(month)
        return months

    def bucket_of(self, day: datetime.date) -> datetime.date:
        return week_start(day) if self.granularity == Granularity.WEEK else month_start(day)

    @property
    def buckets(self) -> list[datetime.date]:
        """Every trend bucket of the period, in order (empty ones included)."""
        buckets, day = [], self.bucket_of(self.start)
        while day <= self.end:
            buckets.append(day)
            day = (
                day + datetime.timedelta(days=7)
                if self.granularity == Granularity.WEEK
                else next_month(day)
            )
        return buckets

    @property
    def slug(self) -> str:
        """For file names: ``2026-11-01_2026-11-30``."""
        return f"{self.start.isoformat()}_{self.end.isoformat()}"


def resolve_granularity(granularity: str, start: datetime.date, end: datetime.date) -> str:
    if granularity in (Granularity.WEEK, Granularity.MONTH):
        return granularity
    days = (end - start).days + 1
    return Granularity.WEEK if days <= WEEKLY_UP_TO_DAYS else Granularity.MONTH


def preset_bounds(preset: str, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The days of a preset, up to today at the latest."""
    if preset == Preset.LAST_MONTH:
        month = previous_month(today)
        return month, month_end(month)
    if preset == Preset.LAST_90_DAYS:
        return today - datetime.timedelta(days=89), today
    return month_start(today), today


def preset_period(preset: str = Preset.THIS_MONTH, today: datetime.date | None = None):
    start, end = preset_bounds(preset, today or timezone.localdate())
    return ReportPeriod(
        start, end, resolve_granularity(Granularity.AUTO, start, end), preset=preset
    )


def month_period(month: datetime.date) -> ReportPeriod:
    """A whole calendar month, with weekly trends (the monthly report)."""
    month = month_start(month)
    return ReportPeriod(month, month_end(month), Granularity.WEEK)
