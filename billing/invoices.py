"""Invoice PDFs of monthly bills (WeasyPrint), and the VAT contained in a bill's total.

The invoice is a Chinese fiscal document: its labels are the form's own bilingual text
(Chinese first, English below), fixed in ``templates/billing/invoice.html``, so the printed
document is the same whatever language the reader's portal is set to. It shows identity masked
(customer name, mobile number), like every other surface.

Fonts: "Noto Sans CJK SC" (Debian/Ubuntu ``fonts-noto-cjk``) with CJK fallbacks; WeasyPrint
embeds the subset it uses, so the PDF renders the same on a reader's machine without the font.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from billing.choices import BillLineKind
from billing.models import Bill
from billing.money import round_half_up_to_fen
from billing.tariff_rules import describe_tariff_rule

# Basic telecom services (voice, SMS, the line itself) bear 9% VAT; prices are tax-inclusive.
BASIC_TELECOM_VAT_PERCENT = Decimal("9")

# The printed name of each bill line: Chinese (the form's language) and English.
LINE_LABELS: dict[str, tuple[str, str]] = {
    BillLineKind.MONTHLY_FEES: ("月功能费", "Monthly fees"),
    BillLineKind.LOCAL: ("本地通话费", "Local calls"),
    BillLineKind.LONG_DISTANCE: ("国内长途通话费", "Domestic long distance"),
    BillLineKind.ROAMING: ("国内漫游通话费", "Domestic roaming"),
    BillLineKind.SMS: ("短信费", "SMS"),
    BillLineKind.DATA: ("上网费", "Data"),
}
# What a line's quantity counts.
LINE_UNITS: dict[str, tuple[str, str]] = {
    BillLineKind.MONTHLY_FEES: ("项", "items"),
    BillLineKind.LOCAL: ("分钟", "min"),
    BillLineKind.LONG_DISTANCE: ("分钟", "min"),
    BillLineKind.ROAMING: ("分钟", "min"),
    BillLineKind.SMS: ("条", "messages"),
    BillLineKind.DATA: ("KB", "KB"),
}


def operator_name() -> str:
    return settings.BILLING_OPERATOR_NAME


@dataclass(frozen=True)
class VatBreakdown:
    """A tax-inclusive total split into the amount excluding tax and the tax."""

    total: Decimal
    tax: Decimal
    net: Decimal
    rate_percent: Decimal


def vat_of_tax_inclusive(
    total: Decimal, rate_percent: Decimal = BASIC_TELECOM_VAT_PERCENT
) -> VatBreakdown:
    """``tax = round_half_up(total × rate / (100 + rate))`` to the fen; ``net = total - tax``."""
    tax = round_half_up_to_fen(total * rate_percent / (100 + rate_percent))
    return VatBreakdown(total=total, tax=tax, net=total - tax, rate_percent=rate_percent)


def grouped_code(code: str) -> str:
    """``ABCD2345EFGH6789`` -> ``ABCD-2345-EFGH-6789``, for reading out."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def invoice_number(bill: Bill) -> str:
    return f"{bill.period:%Y%m}{bill.pk:010d}"


@dataclass(frozen=True)
class InvoiceLine:
    label_zh: str
    label_en: str
    quantity: int
    unit_zh: str
    unit_en: str
    amount: Decimal
    tariff_rule: str


def invoice_context(bill: Bill, *, verify_url: str) -> dict:
    """Everything the invoice prints; ``bill`` with its line's customer and account loaded."""
    line = bill.subscription
    customer = line.customer
    rows = sorted(bill.lines.all(), key=lambda row: BillLineKind.values.index(row.kind))
    # The rules in Chinese, the form's language, whatever the reader's portal language is.
    with translation.override(settings.LANGUAGE_CODE):
        rules = [describe_tariff_rule(row.tariff_rule) for row in rows]
    printed = [
        InvoiceLine(
            *LINE_LABELS[row.kind],
            quantity=row.quantity,
            unit_zh=LINE_UNITS[row.kind][0],
            unit_en=LINE_UNITS[row.kind][1],
            amount=row.amount,
            tariff_rule=rule,
        )
        for row, rule in zip(rows, rules, strict=True)
    ]
    return {
        "operator": operator_name(),
        "bill": bill,
        "invoice_number": invoice_number(bill),
        "customer_number": customer.formatted_customer_number,
        "customer_name": customer.masked_name,
        "account_number": line.billing_account.account_number,
        "service_number": line.service_label,
        "period": bill.period,
        "lines": printed,
        "vat": vat_of_tax_inclusive(bill.total),
        "issued_on": timezone.localtime(bill.issued_at).date(),
        "verification_code": grouped_code(bill.verification_code),
        "verify_url": verify_url,
    }


def render_invoice_html(bill: Bill, *, verify_url: str) -> str:
    return render_to_string("billing/invoice.html", invoice_context(bill, verify_url=verify_url))


def render_invoice_pdf(bill: Bill, *, verify_url: str) -> bytes:
    # Imported here: WeasyPrint loads Pango and fonts, which only invoice requests need.
    from weasyprint import HTML

    return HTML(string=render_invoice_html(bill, verify_url=verify_url)).write_pdf()
