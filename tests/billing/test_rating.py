"""Rating rules, each with its boundaries, through the real import path (billing.cdr_import).

DAZHONG (the tariff sheet): local out 0.20/min, long distance 0.30, roaming out 0.60, roaming in
0.40, incoming at home 0; SMS 0.10; data 0.0003/KB rounded up per session; monthly fee 5.00;
data charges + fees capped at 1000.00; data cut off at 20 GB = 20,971,520 KB.
"""

import datetime
import io
from decimal import Decimal as D

import pytest
from django.utils import translation

from billing.cdr_import import CDR_COLUMNS, import_cdrs
from billing.choices import LedgerEntryKind, UsageStatus
from billing.models import LedgerEntry, UsageMonth, UsageRecord
from billing.money import ceil_to_fen
from billing.rating import MICRO_PER_FEN, _ceil_fen, rate_text
from billing.services import audit_ledger, balance_of
from crm.choices import OrderKind, OrderStatus, ProductKind
from crm.models import DataReopening, MobilePlanTerms, Product
from crm.services import advance_order, create_service_order
from portal.roles import Role
from tests.crm.factories import MobileLineFactory

MARCH = datetime.date(2026, 3, 1)
APRIL = datetime.date(2026, 4, 1)
CUTOFF_KB = 20_971_520
CUTOFF_REASON = (
    "Monthly data cut-off of 20971520 KB reached; data can be re-opened by a service order."
)


@pytest.fixture(autouse=True)
def _reports_in_tmp(settings, tmp_path):
    settings.VAR_DIR = tmp_path


def csv_file(rows) -> io.BytesIO:
    lines = [",".join(CDR_COLUMNS), *(",".join(row) for row in rows)]
    return io.BytesIO(("\n".join(lines) + "\n").encode())


def import_rows(*rows):
    with translation.override("en"):
        return import_cdrs(csv_file(rows), file_name="test.csv")


def cdr(record_id, line, event, started, *, duration="", volume="", counterpart=""):
    return [record_id, line.msisdn, event, started, duration, volume, counterpart]


def data(record_id, line, started, kb):
    return cdr(record_id, line, "data", started, volume=str(kb))


def record(record_id) -> UsageRecord:
    return UsageRecord.objects.get(record_id=record_id)


def charges(*record_ids) -> list[D]:
    return [record(record_id).charge for record_id in record_ids]


@pytest.fixture
def line(db):
    return MobileLineFactory()  # DAZHONG since 2026-01-15: March's fee is the whole 5.00


# --- Voice ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "rate"),
    [
        ("voice_out_local", "0.20"),
        ("voice_out_ld", "0.30"),
        ("voice_out_roaming", "0.60"),
        ("voice_in_roaming", "0.40"),
        ("voice_in", "0.00"),
    ],
)
def test_every_started_minute_of_a_call_is_charged_at_its_events_rate(line, event, rate):
    import_rows(
        cdr("V0", line, event, "2026-03-02T10:00:00", duration="0"),
        cdr("V1", line, event, "2026-03-02T10:01:00", duration="1"),
        cdr("V60", line, event, "2026-03-02T10:02:00", duration="60"),
        cdr("V61", line, event, "2026-03-02T10:03:00", duration="61"),
    )

    # 0 s: 0 min; 1 s and 60 s: 1 min; 61 s: 2 min.
    units = [record(rid).charged_units for rid in ("V0", "V1", "V60", "V61")]
    assert units == [0, 1, 1, 2]
    assert charges("V0", "V1", "V60", "V61") == [D("0.00"), D(rate), D(rate), D(rate) * 2]
    assert record("V61").tariff_rule == f"DAZHONG {event} {rate}/min"
    assert record("V61").status == UsageStatus.RATED


def test_an_sms_costs_ten_fen_each(line):
    import_rows(
        cdr("S1", line, "sms", "2026-03-02T10:00:00", counterpart="13900000000"),
        cdr("S2", line, "sms", "2026-03-02T10:00:01"),
    )

    assert charges("S1", "S2") == [D("0.10"), D("0.10")]
    assert [record("S1").charged_units, record("S1").tariff_rule] == [1, "DAZHONG sms 0.10/msg"]
    assert UsageMonth.objects.get(subscription=line, month=MARCH).sms_charge == D("0.20")


# --- Data -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kb", "charge"),
    [
        (0, "0.00"),
        (1, "0.01"),  # 0.0003 -> 0.01
        (34, "0.02"),  # 0.0102 -> 0.02
        (100, "0.03"),  # 0.03 exactly
        (10_000, "3.00"),  # 3.0000
        (33_334, "10.01"),  # 10.0002 -> 10.01
    ],
)
def test_each_data_session_is_rounded_up_to_the_fen(line, kb, charge):
    import_rows(data("D", line, "2026-03-02T10:00:00", kb))

    assert (record("D").charge, record("D").charged_units) == (D(charge), kb)
    assert record("D").tariff_rule == "DAZHONG data 0.0003/KB ceil/session"


def test_integer_rounding_is_ceil_to_fen():
    # Rates in micro-yuan: 0.0003/KB = 300; the integer rounding equals billing.money's.
    for kb in range(0, 2_000):
        micro = kb * 300
        assert _ceil_fen(micro) == int(ceil_to_fen(D(micro) / 1_000_000) * 100)
    assert MICRO_PER_FEN == 10_000


def test_rates_are_written_as_the_tariff_sheet_writes_them():
    assert [rate_text(D(value)) for value in ("0.200000", "0.000300", "0", "10")] == [
        "0.20",
        "0.0003",
        "0.00",
        "10.00",
    ]


# --- The monthly charge cap -----------------------------------------------------------------


def test_data_charges_stop_at_the_cap_less_the_months_fees(db):
    line = MobileLineFactory(activated_on=datetime.date(2026, 3, 1))  # March fee: 5.00

    import_rows(
        data("D1", line, "2026-03-02T10:00:00", 3_000_000),  # 900.00
        data("D2", line, "2026-03-03T10:00:00", 300_000),  # 90.00 -> 990.00 + fee 5.00
        data("D3", line, "2026-03-04T10:00:00", 20_000),  # 6.00, room 1000-5-990 = 5.00
        data("D4", line, "2026-03-05T10:00:00", 1),  # 0.01, room 0
        cdr("V1", line, "voice_out_local", "2026-03-06T10:00:00", duration="61"),  # not capped
    )

    assert charges("D1", "D2", "D3", "D4", "V1") == [
        D("900.00"),
        D("90.00"),
        D("5.00"),
        D("0.00"),
        D("0.40"),
    ]
    assert [record("D3").charged_units, record("D4").charged_units] == [20_000, 1]
    assert record("D3").tariff_rule == (
        "DAZHONG data 0.0003/KB ceil/session; cap 1000.00 incl. fees reached"
    )
    assert record("D4").status == UsageStatus.RATED
    month = UsageMonth.objects.get(subscription=line, month=MARCH)
    assert (month.data_charge, month.data_kb, month.voice_charge) == (
        D("995.00"),
        3_320_001,
        D("0.40"),
    )
    entry = LedgerEntry.objects.get(subscription=line)
    assert (entry.kind, entry.amount, entry.period) == (
        LedgerEntryKind.USAGE_CHARGE,
        D("-995.40"),
        MARCH,
    )


def test_the_cap_counts_a_prorated_fee_in_the_month_of_activation(db):
    # Activated on 17 March: 15 of 31 days, 5.00 x 15 / 31 = 2.419... -> 2.42.
    line = MobileLineFactory(activated_on=datetime.date(2026, 3, 17))

    import_rows(data("D1", line, "2026-03-20T10:00:00", 3_330_000))  # 999.00 > 997.58

    assert charges("D1") == [D("997.58")]


# --- The 20 GB cut-off ----------------------------------------------------------------------


def test_data_is_cut_off_at_20_gb_and_later_sessions_are_rejected(line):
    import_rows(
        data("D1", line, "2026-03-02T10:00:00", 20_000_000),  # 6000.00, capped at 995.00
        data("D2", line, "2026-03-03T10:00:00", 971_620),  # crosses 20 GB by 100 KB
        data("D3", line, "2026-03-04T10:00:00", 1),
        data("D4", line, "2026-03-05T10:00:00", 500),
    )

    assert charges("D1", "D2", "D3", "D4") == [D("995.00"), D("0.00"), D("0.00"), D("0.00")]
    assert record("D2").charged_units == 971_520  # the part up to the cut-off
    assert record("D2").status == UsageStatus.RATED
    assert [
        (r.status, r.charged_units, r.rejection_reason, r.tariff_rule)
        for r in (record("D3"), record("D4"))
    ] == [(UsageStatus.REJECTED, 0, CUTOFF_REASON, "DAZHONG data cut-off at 20971520 KB/month")] * 2
    assert UsageMonth.objects.get(subscription=line, month=MARCH).data_kb == CUTOFF_KB
    assert audit_ledger() == []


@pytest.fixture
def uncapped_plan(db):
    """A plan like DAZHONG without the charge cap, so the cut-off's own charge shows."""
    plan = Product.objects.create(
        code="TEST_NO_CHARGE_CAP",
        kind=ProductKind.MOBILE_PLAN,
        name="Test plan",
        valid_from=datetime.date(2026, 1, 1),
    )
    terms = MobilePlanTerms.objects.get(product__code="DAZHONG")
    terms.pk, terms.product, terms.monthly_charge_cap = None, plan, None
    terms.save()
    return plan


def test_the_session_crossing_the_cut_off_pays_for_its_part_up_to_20_gb(uncapped_plan):
    line = MobileLineFactory(plan=uncapped_plan.code)

    import_rows(
        data("D1", line, "2026-03-02T10:00:00", 20_971_000),  # 6291.30
        data("D2", line, "2026-03-03T10:00:00", 1_000),  # 520 KB x 0.0003 = 0.156 -> 0.16
        data("D3", line, "2026-03-04T10:00:00", 1),
    )

    assert charges("D1", "D2", "D3") == [D("6291.30"), D("0.16"), D("0.00")]
    assert [record("D2").charged_units, record("D3").status] == [520, UsageStatus.REJECTED]
    assert record("D2").tariff_rule == (
        "TEST_NO_CHARGE_CAP data 0.0003/KB ceil/session; cut-off at 20971520 KB"
    )
    assert balance_of(line.billing_account) == D("-6291.46")


# --- Re-opening -----------------------------------------------------------------------------


def reopen_data(line, make_user, at: str) -> DataReopening:
    clerk = make_user(Role.SALES_ADVISOR)
    order = create_service_order(
        kind=OrderKind.REOPEN_DATA, customer=line.customer, subscription=line, actor=clerk
    )
    while order.status != OrderStatus.CONFIRMATION:
        order = advance_order(order, actor=clerk)
    # Test set-up: the re-opening at the moment under test instead of now.
    DataReopening.objects.filter(order=order).update(
        reopened_at=datetime.datetime.fromisoformat(at)
    )
    return DataReopening.objects.get(order=order)


def test_after_a_reopening_data_is_charged_per_session_without_cap(line, make_user):
    reopen_data(line, make_user, "2026-03-10T12:00:00+08:00")

    import_rows(
        data("D1", line, "2026-03-10T08:00:00", CUTOFF_KB),  # capped at 995.00, cut-off reached
        data("D2", line, "2026-03-10T11:59:59", 100),  # before the re-opening: rejected
        data("D3", line, "2026-03-10T12:00:00", 100),  # at the re-opening: 0.03
        data("D4", line, "2026-03-10T13:00:00", 34),  # 0.0102 -> 0.02
        data("D5", line, "2026-03-11T10:00:00", 10_000_000),  # 3000.00: no cap any more
        data("D6", line, "2026-04-01T00:00:00", 1),  # April: the usual rules again
    )

    assert charges("D1", "D2", "D3", "D4", "D5", "D6") == [
        D("995.00"),
        D("0.00"),
        D("0.03"),
        D("0.02"),
        D("3000.00"),
        D("0.01"),
    ]
    assert record("D2").status == UsageStatus.REJECTED
    assert record("D3").tariff_rule == "DAZHONG data re-opened 0.0003/KB ceil/session, no cap"
    assert record("D6").tariff_rule == "DAZHONG data 0.0003/KB ceil/session"
    assert list(LedgerEntry.objects.filter(subscription=line).values_list("period", "amount")) == [
        (MARCH, D("-3995.05")),
        (APRIL, D("-0.01")),
    ]
    assert audit_ledger() == []


# --- Bundle plans: inclusions first ---------------------------------------------------------


def test_a_bundle_plans_included_minutes_sms_and_data_are_used_first(db):
    # DEMO_FEIYOUNG_39: 200 min, 100 SMS and 5 GB (5,242,880 KB) included; 0.15/min out.
    line = MobileLineFactory(plan="DEMO_FEIYOUNG_39")
    sms = [
        cdr(f"S{n:03d}", line, "sms", f"2026-03-05T10:{n // 60:02d}:{n % 60:02d}")
        for n in range(101)
    ]

    import_rows(
        cdr("V1", line, "voice_out_local", "2026-03-02T10:00:00", duration="11940"),  # 199 min
        cdr("V2", line, "voice_in", "2026-03-02T11:00:00", duration="600"),  # free: not counted
        cdr("V3", line, "voice_out_ld", "2026-03-03T10:00:00", duration="150"),  # 1 + 2 paid
        cdr("V4", line, "voice_out_local", "2026-03-04T10:00:00", duration="60"),
        *sms,
        data("D1", line, "2026-03-06T10:00:00", 5_242_870),
        data("D2", line, "2026-03-07T10:00:00", 44),  # 10 KB included, 34 paid: 0.02
    )

    assert charges("V1", "V2", "V3", "V4") == [D("0.00"), D("0.00"), D("0.30"), D("0.15")]
    assert record("V3").tariff_rule == "DEMO_FEIYOUNG_39 voice_out_ld 0.15/min; 1 of 3 min included"
    assert charges("S099", "S100") == [D("0.00"), D("0.10")]
    assert charges("D1", "D2") == [D("0.00"), D("0.02")]
    assert record("D2").tariff_rule == (
        "DEMO_FEIYOUNG_39 data 0.0003/KB ceil/session; 10 KB included"
    )

    # A later import continues from the allowances used so far.
    import_rows(
        cdr("V5", line, "voice_out_local", "2026-03-08T10:00:00", duration="60"),
        cdr("S101", line, "sms", "2026-03-08T10:00:00"),
        data("D3", line, "2026-03-08T10:00:00", 1),
    )

    assert charges("V5", "S101", "D3") == [D("0.15"), D("0.10"), D("0.01")]
    assert balance_of(line.billing_account) == D("-0.83")  # 0.30+0.15+0.10+0.02, 0.15+0.10+0.01
