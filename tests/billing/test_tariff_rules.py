"""Stamped tariff rules read in words, in the reader's language (billing.tariff_rules)."""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import translation

from billing.bill_run import _fee_rule, _plan_rules
from billing.fees import FeeItem
from billing.rating import PlanRates
from billing.tariff_rules import describe_tariff_rule
from crm.models import MobilePlanTerms, Product

# Every optional term set, so that every phrase the two writers can produce is written.
TERMS = MobilePlanTerms(
    product=Product(code="PLAN58"),
    local_call_per_minute=Decimal("0.15"),
    long_distance_per_minute=Decimal("0.15"),
    roaming_out_per_minute=Decimal("0.60"),
    roaming_in_per_minute=Decimal("0.40"),
    incoming_per_minute=Decimal("0"),
    sms_each=Decimal("0.10"),
    data_per_kb=Decimal("0.0003"),
    included_minutes=300,
    included_sms=100,
    included_data_kb=3_145_728,
    monthly_data_cap_kb=20_971_520,
    monthly_charge_cap=Decimal("300.00"),
    reopened_data_per_kb=Decimal("0.0001"),
)
FEE_RULE = _fee_rule(
    [
        FeeItem("PLAN58", "58元套餐", Decimal("58.00"), Decimal("58.00"), None),
        FeeItem("CALLER_ID", "来电显示", Decimal("5.00"), Decimal("2.42"), 15),
    ],
    datetime.date(2026, 11, 1),
)
STAMPED = [
    *_plan_rules(TERMS).values(),
    *PlanRates.from_terms("PLAN58", TERMS).rules.values(),
    FEE_RULE,
]


@pytest.mark.parametrize("stamped", STAMPED)
def test_every_phrase_the_writers_stamp_reads_in_chinese(stamped):
    with translation.override("zh-hans"):
        text = describe_tariff_rule(stamped)

    # Only product codes (upper case) and units stay Latin.
    assert re.findall(r"\b[a-z][a-z_-]+\b", text) == [], text
    assert "元" in text or "条" in text or "KB" in text, text


def test_rates_and_inclusions_keep_their_figures():
    with translation.override("zh-hans"):
        local = describe_tariff_rule(_plan_rules(TERMS)["local"])
        record = describe_tariff_rule("PLAN58 voice_in_roaming 0.40/min")

    assert local == (
        "PLAN58: 本地主叫 0.15 元/分钟, 本地被叫 0.00 元/分钟, 不足一分钟按一分钟计; 含 300 分钟"
    )
    assert record == "PLAN58 漫游被叫 0.40 元/分钟"


def test_english_readers_get_english():
    with translation.override("en"):
        assert describe_tariff_rule("PLAN58 sms 0.10/msg") == "PLAN58 SMS 0.10 yuan each"
        assert describe_tariff_rule(FEE_RULE) == (
            "PLAN58 58.00; CALLER_ID 2.42 (5.00 yuan/month × 15 of 30 days)"
        )


def test_text_it_does_not_know_is_left_as_written():
    assert describe_tariff_rule("调整: 人工核减") == "调整: 人工核减"
    assert describe_tariff_rule("") == ""
