"""Calendar months as the platform counts them: a month is the date of its first day, and its
bounds are local (Asia/Shanghai) midnights. One module for every app that works by month
(bills, KPIs, reports, the customer's usage)."""

import datetime

from django.utils import timezone


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def next_month(month: datetime.date) -> datetime.date:
    """The first day of the month after ``month``'s (any day of it)."""
    return (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def previous_month(month: datetime.date) -> datetime.date:
    """The first day of the month before ``month``'s (any day of it)."""
    return month_start(month_start(month) - datetime.timedelta(days=1))


def month_end(month: datetime.date) -> datetime.date:
    """The last day of ``month``'s month."""
    return next_month(month) - datetime.timedelta(days=1)


def month_bounds(month: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The month as aware datetimes in the site's time zone: [start, end)."""
    zone = timezone.get_default_timezone()
    start = datetime.datetime.combine(month, datetime.time.min, tzinfo=zone)
    end = datetime.datetime.combine(next_month(month), datetime.time.min, tzinfo=zone)
    return start, end


def parse_month(text: str) -> datetime.date:
    """``2026-11`` → 2026-11-01; ValueError otherwise."""
    return datetime.datetime.strptime(text.strip(), "%Y-%m").date().replace(day=1)
