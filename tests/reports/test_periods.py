"""The dashboard's period: presets, explicit dates, trend buckets, and bad input."""

import datetime

import pytest

from portal.reports.forms import DashboardFilterForm
from portal.reports.periods import ReportPeriod, month_period

TODAY = datetime.date(2026, 12, 10)


def period_of(data: dict) -> ReportPeriod:
    form = DashboardFilterForm(data, today=TODAY)
    assert form.is_valid(), form.errors
    return form.cleaned_data["period"]


def errors_of(data: dict) -> dict:
    form = DashboardFilterForm(data, today=TODAY)
    assert not form.is_valid()
    return {field: list(messages) for field, messages in form.errors.items()}


@pytest.mark.parametrize(
    ("data", "start", "end", "granularity", "preset"),
    [
        ({}, datetime.date(2026, 12, 1), TODAY, "week", "this_month"),
        ({"preset": "this_month"}, datetime.date(2026, 12, 1), TODAY, "week", "this_month"),
        (
            {"preset": "last_month"},
            datetime.date(2026, 11, 1),
            datetime.date(2026, 11, 30),
            "week",
            "last_month",
        ),
        ({"preset": "last_90_days"}, datetime.date(2026, 9, 12), TODAY, "week", "last_90_days"),
        (
            {"start": "2026-01-01", "end": "2026-06-30"},
            datetime.date(2026, 1, 1),
            datetime.date(2026, 6, 30),
            "month",
            "",
        ),
        (
            {"start": "2026-01-01", "end": "2026-01-31", "granularity": "month"},
            datetime.date(2026, 1, 1),
            datetime.date(2026, 1, 31),
            "month",
            "",
        ),
        # Dates win over a preset; an end after today is cut to today.
        (
            {"preset": "last_month", "start": "2026-12-05", "end": "2027-01-31"},
            datetime.date(2026, 12, 5),
            TODAY,
            "week",
            "",
        ),
    ],
)
def test_presets_and_dates_resolve_to_a_period(data, start, end, granularity, preset):
    period = period_of(data)

    assert (period.start, period.end, period.granularity, period.preset) == (
        start,
        end,
        granularity,
        preset,
    )


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"start": "2026-11-10"}, {"end": ["请输入统计期间的最后一天。"]}),
        ({"end": "2026-11-10"}, {"start": ["请输入统计期间的第一天。"]}),
        ({"start": "2026-11-10", "end": "2026-11-01"}, {"end": ["结束日期不能早于开始日期。"]}),
        ({"start": "2026-12-11", "end": "2026-12-20"}, {"start": ["开始日期不能晚于今天。"]}),
        ({"start": "2025-01-01", "end": "2026-12-01"}, {"end": ["统计期间最多 366 天。"]}),
        ({"start": "2026-13-01", "end": "2026-12-01"}, {"start": ["输入一个有效的日期。"]}),
        (
            {"preset": "yesterday"},
            {"preset": ["选择一个有效的选项。 yesterday 不在可用的选项中。"]},
        ),
    ],
)
def test_bad_periods_are_refused_on_their_field(data, errors):
    assert errors_of(data) == errors


def test_a_month_period_has_weekly_buckets_from_the_monday_before():
    period = month_period(datetime.date(2026, 11, 1))

    assert (period.start, period.end, period.days) == (
        datetime.date(2026, 11, 1),
        datetime.date(2026, 11, 30),
        30,
    )
    assert period.buckets == [
        datetime.date(2026, 10, 26),
        datetime.date(2026, 11, 2),
        datetime.date(2026, 11, 9),
        datetime.date(2026, 11, 16),
        datetime.date(2026, 11, 23),
        datetime.date(2026, 11, 30),
    ]
    assert period.months == [datetime.date(2026, 11, 1)]


def test_a_long_period_has_monthly_buckets_and_every_billing_month():
    period = period_of({"start": "2026-02-15", "end": "2026-05-20"})

    assert period.granularity == "month"
    assert period.buckets == [
        datetime.date(2026, 2, 1),
        datetime.date(2026, 3, 1),
        datetime.date(2026, 4, 1),
        datetime.date(2026, 5, 1),
    ]
    assert period.months == period.buckets
