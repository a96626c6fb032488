"""Invoice PDFs: the VAT in a tax-inclusive total, and what the PDF says (read back as text)."""

import datetime
import shutil
import subprocess
from decimal import Decimal

import pytest
from django.utils import translation

from billing.bill_run import run_bill_run
from billing.choices import UsageEventType
from billing.invoices import (
    grouped_code,
    invoice_number,
    render_invoice_html,
    render_invoice_pdf,
    vat_of_tax_inclusive,
)
from billing.models import Bill
from billing.selectors import bill_with_lines, bills_of
from tests.billing.factories import UsageRecordFactory
from tests.conftest import require_service
from tests.crm.factories import CustomerFactory, MobileLineFactory, mobile_number

MARCH = datetime.date(2026, 3, 1)
D = Decimal


@pytest.mark.parametrize(
    ("total", "tax", "net"),
    [
        # 109.00 × 9/109 = 9 exactly.
        ("109.00", "9.00", "100.00"),
        # 13.21 × 9/109 = 1.0907… -> 1.09
        ("13.21", "1.09", "12.12"),
        # 0.06 × 9/109 = 0.004954… -> 0.00 ; 0.07 × 9/109 = 0.00577… -> 0.01
        ("0.06", "0.00", "0.06"),
        ("0.07", "0.01", "0.06"),
        # 6.66 × 9/109 = 0.549908… -> 0.55 ; 1.21 × 9/109 = 0.099908… -> 0.10
        ("6.66", "0.55", "6.11"),
        ("1.21", "0.10", "1.11"),
        ("0.00", "0.00", "0.00"),
    ],
)
def test_vat_is_nine_percent_contained_in_the_total_rounded_half_up(total, tax, net):
    vat = vat_of_tax_inclusive(D(total))

    assert (vat.total, vat.tax, vat.net, vat.rate_percent) == (D(total), D(tax), D(net), D("9"))


def test_vat_rounds_an_exact_half_fen_up():
    # At 9% no price in fen contains an exact half fen of tax; at 20%, 0.03 contains 0.005,
    # which rounds up (half-even would give 0.00).
    assert vat_of_tax_inclusive(D("0.03"), D("20")).tax == D("0.01")


def test_grouped_code_reads_in_fours():
    assert grouped_code("ABCD2345EFGH6789") == "ABCD-2345-EFGH-6789"


@pytest.fixture
def bill(db):
    customer = CustomerFactory(name="王小明")
    line = MobileLineFactory(
        customer=customer, msisdn=mobile_number(12_345_678), activated_on=datetime.date(2026, 1, 5)
    )
    UsageRecordFactory(subscription=line, charged_units=2, charge=D("0.40"))
    UsageRecordFactory(
        subscription=line,
        event_type=UsageEventType.DATA,
        duration_s=None,
        volume_kb=1000,
        charged_units=1000,
        charge=D("0.30"),
    )
    run_bill_run(MARCH)
    return bill_with_lines(
        bills_of(customer).select_related(
            "subscription__customer", "subscription__billing_account"
        ),
        Bill.objects.get().pk,
    )


def pdf_text(pdf: bytes, tmp_path) -> str:
    pdftotext = shutil.which("pdftotext")
    require_service("pdftotext (apt-get install poppler-utils)", pdftotext is not None)
    path = tmp_path / "invoice.pdf"
    path.write_bytes(pdf)
    done = subprocess.run(
        [pdftotext, "-enc", "UTF-8", str(path), "-"],
        capture_output=True,
        check=True,
        timeout=30,
    )
    return done.stdout.decode()


def test_invoice_pdf_shows_the_amounts_tax_code_and_chinese_labels(bill, tmp_path):
    pdf = render_invoice_pdf(bill, verify_url="https://crm.example/invoices/verify/?code=X")

    text = pdf_text(pdf, tmp_path)
    compact = " ".join(text.split())
    customer = bill.subscription.customer
    assert pdf.startswith(b"%PDF-")
    # 5.00 monthly fee + 0.40 local + 0.30 data = 5.70; tax 5.70 × 9/109 = 0.4706… -> 0.47
    assert bill.total == D("5.70")
    for expected in [
        "中国电信",
        "电信业务发票",
        "价税合计",
        "¥5.70",
        "不含税金额",
        "¥5.23",
        "税额",
        "¥0.47",
        "9%",
        "月功能费",
        "本地通话费",
        "上网费",
        "2026年03月",
        grouped_code(bill.verification_code),
        "https://crm.example/invoices/verify/?code=X",
        invoice_number(bill),
        customer.formatted_customer_number,
        "王**",
        "139****5678",
        "1000 KB",
    ]:
        assert expected in compact, expected
    assert "王小明" not in compact
    assert "13912345678" not in compact


def test_invoice_embeds_the_cjk_font_subset_it_uses(bill, tmp_path):
    pdffonts = shutil.which("pdffonts")
    require_service("pdffonts (apt-get install poppler-utils)", pdffonts is not None)
    path = tmp_path / "invoice.pdf"
    path.write_bytes(render_invoice_pdf(bill, verify_url="https://crm.example/v"))

    listing = subprocess.run(
        [pdffonts, str(path)], capture_output=True, check=True, timeout=30
    ).stdout.decode()

    # Every font is Noto Sans CJK SC, embedded as a subset ("ABCDEF+" prefix, emb = yes): no
    # fallback font, so no missing-glyph boxes.
    rows = [row.split() for row in listing.splitlines()[2:]]
    assert {row[0].split("+", 1)[1] for row in rows} == {
        "Noto-Sans-CJK-SC",
        "Noto-Sans-CJK-SC-Bold",
    }
    assert {row[-5] for row in rows} == {"yes"}


def test_invoice_html_prints_the_lines_in_bill_order(bill):
    html = render_invoice_html(bill, verify_url="https://crm.example/v")

    assert html.index("月功能费") < html.index("本地通话费") < html.index("上网费")
    assert 'font-family: "Noto Sans CJK SC"' in html


def test_invoice_prints_the_tariff_rules_in_chinese_whatever_the_readers_language(bill):
    with translation.override("en"):
        html = render_invoice_html(bill, verify_url="https://crm.example/v")

    # The bill line's stamped "DAZHONG: voice_out_local 0.20/min, ..." in the form's language.
    assert "DAZHONG: 本地主叫 0.20 元/分钟" in html
    assert "voice_out_local" not in html
