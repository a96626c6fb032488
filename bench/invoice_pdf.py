"""Invoice PDF: render one bill's invoice N times (WeasyPrint, Noto Sans CJK), p50/p95 ms.

python -m bench.invoice_pdf [--repeat 50]

The bill is made by the real bill run from a line with usage of every kind (six bill lines);
each sample is ``billing.invoices.render_invoice_pdf`` from an already loaded bill (the page's
two queries are not timed). Target: <= 300 ms per PDF.
"""

import argparse
import datetime
from decimal import Decimal

from bench.harness import benchmark_database, emit, peak_memory_mb, timings_ms


def make_bill():
    from billing.bill_run import run_bill_run
    from billing.choices import UsageEventType
    from billing.models import Bill
    from billing.selectors import bill_with_lines, bills_of
    from crm.models import Product, SubscriptionProduct
    from tests.billing.factories import UsageRecordFactory
    from tests.crm.factories import CustomerFactory, MobileLineFactory

    customer = CustomerFactory(name="王小明")
    line = MobileLineFactory(customer=customer, activated_on=datetime.date(2025, 12, 1))
    SubscriptionProduct.objects.create(
        subscription=line,
        product=Product.objects.get(code="CALLER_ID"),
        effective_from=line.activated_on,
    )
    for event_type, units, charge in [
        (UsageEventType.VOICE_OUT_LOCAL, 12, "2.40"),
        (UsageEventType.VOICE_OUT_LD, 5, "1.50"),
        (UsageEventType.VOICE_OUT_ROAMING, 3, "1.80"),
        (UsageEventType.SMS, 1, "0.10"),
        (UsageEventType.DATA, 204800, "61.44"),
    ]:
        UsageRecordFactory(
            subscription=line, event_type=event_type, charged_units=units, charge=Decimal(charge)
        )
    run_bill_run(datetime.date(2026, 3, 1))
    bills = bills_of(customer).select_related(
        "subscription__customer", "subscription__billing_account"
    )
    return bill_with_lines(bills, Bill.objects.get().pk)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()

    from billing.invoices import render_invoice_pdf

    with benchmark_database():
        bill = make_bill()
        url = f"https://crm.example/invoices/verify/?code={bill.verification_code}"
        size = len(render_invoice_pdf(bill, verify_url=url))
        figures = timings_ms(
            lambda: render_invoice_pdf(bill, verify_url=url), repeat=args.repeat, warmup=3
        )
    emit(
        "invoice_pdf",
        **figures,
        bill_lines=len(bill.lines.all()),
        pdf_bytes=size,
        peak_rss_mb=peak_memory_mb(),
    )


if __name__ == "__main__":
    main()
