"""Plan recommendation: a line's last three full months re-rated under every plan on sale."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.choices import UsageEventType, UsageStatus
from billing.recommendation import full_months_before, recommend_plan
from crm.choices import SubscriptionKind
from crm.models import Product
from tests.billing.factories import CdrImportFactory, UsageRecordFactory
from tests.crm.factories import MobileLineFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 12, 15)
MONTHS = [datetime.date(2026, 9, 1), datetime.date(2026, 10, 1), datetime.date(2026, 11, 1)]
GB = 1024 * 1024


def at(month: datetime.date, day: int, hour: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(month.year, month.month, day, hour))


def usage(line, month, *, calls=10, call_s=1800, sms=50, sessions=3, session_kb=GB):
    """A month of a line's usage: calls of ``call_s`` seconds, messages, data sessions."""
    cdrs = CdrImportFactory()
    common = {"subscription": line, "cdr_import": cdrs, "charge": Decimal("0.00")}
    for n in range(calls):
        UsageRecordFactory(
            event_type=UsageEventType.VOICE_OUT_LOCAL,
            started_at=at(month, 1 + n, 9),
            duration_s=call_s,
            **common,
        )
    for n in range(sms):
        UsageRecordFactory(
            event_type=UsageEventType.SMS,
            started_at=at(month, 1 + n % 20, 12),
            duration_s=None,
            **common,
        )
    for n in range(sessions):
        UsageRecordFactory(
            event_type=UsageEventType.DATA,
            started_at=at(month, 2 + n, 20),
            duration_s=None,
            volume_kb=session_kb,
            **common,
        )


def test_the_last_three_full_months_before_today_from_the_lines_first_full_month():
    assert full_months_before(TODAY, datetime.date(2026, 1, 15)) == MONTHS
    assert full_months_before(TODAY, datetime.date(2026, 10, 5)) == [datetime.date(2026, 11, 1)]
    assert full_months_before(TODAY, datetime.date(2026, 10, 1)) == MONTHS[1:]
    assert full_months_before(TODAY, datetime.date(2026, 12, 1)) == []


def test_each_plan_costs_its_fees_and_the_usage_rated_by_its_own_terms():
    line = MobileLineFactory()
    for month in MONTHS:
        usage(line, month)

    recommendation = recommend_plan(line, today=TODAY)

    # DAZHONG: fee 5.00; 300 min at 0.20 = 60.00; 50 SMS at 0.10 = 5.00; 3 sessions of 1 GB at
    # 0.0003/KB = 314.5728, rounded up per session = 314.58 each, 943.74 (under the 1,000.00
    # cap with the fee): 1,013.74 a month.
    # FEIYOUNG 39: fee 39.00; 200 of the 300 minutes, all 50 SMS and the 3 GB included (5 GB):
    # 100 min at 0.15 = 15.00: 54.00 a month.
    # LEXIANG 129: everything included: 129.00 a month.
    assert [(cost.plan.code, cost.total, cost.fits) for cost in recommendation.plans] == [
        ("DEMO_FEIYOUNG_39", Decimal("162.00"), True),
        ("DEMO_LEXIANG_129", Decimal("387.00"), True),
        ("DAZHONG", Decimal("3041.22"), True),
    ]
    assert [month.total for month in recommendation.current.months] == [Decimal("1013.74")] * 3
    assert recommendation.current.plan.code == "DAZHONG"
    assert (recommendation.best.plan.code, recommendation.saving) == (
        "DEMO_FEIYOUNG_39",
        Decimal("2879.22"),
    )
    assert recommendation.monthly_saving == Decimal("959.74")
    assert (recommendation.periods, recommendation.records) == (MONTHS, 3 * 63)


def test_a_plan_whose_cut_off_would_block_data_is_shown_but_never_recommended():
    line = MobileLineFactory()
    for month in MONTHS:
        # 25 GB a month: DAZHONG and FEIYOUNG cut data off at 20 GB, LEXIANG at 60 GB.
        usage(line, month, calls=0, sms=0, sessions=5, session_kb=5 * GB)

    recommendation = recommend_plan(line, today=TODAY)

    blocked = {cost.plan.code: cost.cut_off_kb for cost in recommendation.plans}
    assert blocked == {"DAZHONG": 3 * 5 * GB, "DEMO_FEIYOUNG_39": 3 * 5 * GB, "DEMO_LEXIANG_129": 0}
    assert recommendation.best.plan.code == "DEMO_LEXIANG_129"
    # The current plan carries less (the cut-off) yet still costs more than the best fit: the
    # 1,000.00 monthly cap, 3,000.00 in three months, against 387.00.
    assert (recommendation.current.total, recommendation.saving) == (
        Decimal("3000.00"),
        Decimal("2613.00"),
    )


def test_rejected_records_count_as_usage_the_customer_wanted():
    line = MobileLineFactory(plan="DEMO_LEXIANG_129")
    cdrs = CdrImportFactory()
    UsageRecordFactory(
        subscription=line,
        cdr_import=cdrs,
        event_type=UsageEventType.DATA,
        started_at=at(MONTHS[2], 3, 10),
        duration_s=None,
        volume_kb=10 * GB,
        status=UsageStatus.REJECTED,
        charge=Decimal("0.00"),
    )

    recommendation = recommend_plan(line, today=TODAY)

    # 10 GB under DAZHONG: 3,145.7280 yuan, capped at 1,000.00 with the 5.00 fee.
    assert {cost.plan.code: cost.usage for cost in recommendation.plans} == {
        "DAZHONG": Decimal("995.00"),
        "DEMO_FEIYOUNG_39": Decimal("961.00"),
        "DEMO_LEXIANG_129": Decimal("0.00"),
    }
    assert recommendation.current.plan.code == "DEMO_LEXIANG_129"
    assert (recommendation.best.plan.code, recommendation.saving) == (
        "DEMO_LEXIANG_129",
        Decimal("0.00"),
    )


def test_a_plan_no_longer_sold_is_still_compared_as_the_current_one():
    line = MobileLineFactory()
    Product.objects.filter(code="DAZHONG").update(valid_to=datetime.date(2026, 6, 30))
    usage(line, MONTHS[2], calls=1, call_s=60, sms=0, sessions=0)

    recommendation = recommend_plan(line, today=TODAY)

    assert [(cost.plan.code, cost.is_current) for cost in recommendation.plans] == [
        ("DAZHONG", True),
        ("DEMO_FEIYOUNG_39", False),
        ("DEMO_LEXIANG_129", False),
    ]
    assert recommendation.best.plan.code == "DAZHONG"


def test_usage_of_other_lines_and_months_is_not_counted(django_assert_num_queries):
    line = MobileLineFactory()
    other = MobileLineFactory()
    usage(line, MONTHS[0], calls=1, call_s=60, sms=0, sessions=0)
    usage(other, MONTHS[0], calls=5, sms=0, sessions=0)
    usage(line, datetime.date(2026, 12, 1), calls=5, sms=0, sessions=0)
    usage(line, datetime.date(2026, 8, 1), calls=5, sms=0, sessions=0)

    # The current plan, the plans on sale, the records of the three months.
    with django_assert_num_queries(3):
        recommendation = recommend_plan(line, today=TODAY)

    assert recommendation.records == 1
    assert recommendation.current.usage == Decimal("0.20")


def test_other_kinds_of_line_get_no_recommendation():
    line = MobileLineFactory()
    broadband = MobileLineFactory.build(customer=line.customer, kind=SubscriptionKind.BROADBAND)

    assert recommend_plan(broadband, today=TODAY) is None
