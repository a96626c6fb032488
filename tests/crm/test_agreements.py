"""Service agreements: signing, renewal reminders, renewal and expiry, the early-termination fee
charged through the billing service, and the PDF."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from billing.choices import LedgerEntryKind
from billing.services import audit_ledger, balance_of
from complaints.models import Notification
from crm.agreements import (
    months_left,
    render_agreement_pdf,
    renew_due_agreements,
    send_renewal_reminders,
    sign_agreement,
    term_end,
    terminate_agreement,
    termination_quote,
)
from crm.channel_choices import AgreementEventKind, AgreementStatus
from crm.channel_errors import ContactError, ContactErrorCode
from crm.channel_models import ServiceAgreement
from crm.choices import SubscriptionStatus
from crm.services import transition_subscription
from portal.roles import Role
from tests.crm.factories import MobileLineFactory

START = datetime.date(2026, 1, 15)


@pytest.fixture(autouse=True)
def _in_chinese():
    # Messages are checked in the site's default language, whatever an earlier test activated.
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def sales(make_user):
    return make_user(Role.SALES_ADVISOR, username="agreement-sales")


@pytest.fixture
def line(db):
    return MobileLineFactory()


def sign(line, sales, **extra):
    values = {
        "actor": sales,
        "term_months": 24,
        "starts_on": START,
        "monthly_commitment": "59.00",
        "termination_fee_percent": "30",
        "termination_fee_fixed": "20.00",
    }
    return sign_agreement(line, **{**values, **extra})


def test_an_agreement_records_its_term_rules_and_obligations(line, sales):
    agreement = sign(line, sales)

    assert agreement.number.startswith("SA")
    assert (agreement.starts_on, agreement.ends_on, agreement.customer) == (
        START,
        datetime.date(2028, 1, 14),
        line.customer,
    )
    assert "按时支付费用" in agreement.customer_obligations
    assert "保障用户隐私" in agreement.operator_obligations
    assert list(agreement.events.values_list("kind", flat=True)) == [AgreementEventKind.SIGNED]


def test_the_commitment_defaults_to_the_plans_monthly_fee(line, sales):
    agreement = sign_agreement(line, actor=sales, starts_on=START)

    assert agreement.monthly_commitment == line.products.get().product.monthly_fee
    assert (agreement.term_months, agreement.termination_fee_percent) == (12, Decimal("30.00"))


def test_one_agreement_in_force_per_line_and_bad_terms_are_refused(line, sales):
    sign(line, sales)
    with pytest.raises(ContactError) as twice:
        sign(line, sales)
    with pytest.raises(ValidationError) as bad:
        sign(MobileLineFactory(), sales, term_months=0, termination_fee_fixed="1.234")

    assert (twice.value.code, twice.value.field) == (
        ContactErrorCode.ACTIVE_AGREEMENT_EXISTS,
        "subscription",
    )
    assert list(bad.value.error_dict) == ["term_months"]


def test_terms_end_the_day_before_the_same_date_months_later():
    assert term_end(datetime.date(2026, 1, 31), 1) == datetime.date(2026, 2, 27)
    assert term_end(datetime.date(2026, 3, 1), 12) == datetime.date(2027, 2, 28)
    assert months_left(datetime.date(2026, 9, 15), datetime.date(2027, 6, 30)) == 9


def test_the_early_termination_fee_is_charged_through_billing(line, sales):
    agreement = sign(line, sales)
    on_day = datetime.date(2027, 3, 10)  # 10 months left: Apr 2027 - Jan 2028
    quote = termination_quote(agreement, on_day)

    terminated = terminate_agreement(agreement, actor=sales, reason="客户携号转网", on_day=on_day)

    entry = terminated.termination_entry
    assert (quote.remaining_months, quote.fee) == (10, Decimal("197.00"))  # 20 + 10×59×30%
    assert (terminated.status, terminated.termination_fee, terminated.terminated_on) == (
        AgreementStatus.TERMINATED,
        Decimal("197.00"),
        on_day,
    )
    assert (entry.kind, entry.amount, entry.actor, entry.subscription) == (
        LedgerEntryKind.TERMINATION_FEE,
        Decimal("-197.00"),
        sales,
        line,
    )
    assert balance_of(line.billing_account) == Decimal("-197.00")
    assert audit_ledger() == []
    with pytest.raises(ContactError) as again:
        terminate_agreement(terminated, actor=sales, reason="再次", on_day=on_day)
    assert again.value.code == ContactErrorCode.AGREEMENT_NOT_ACTIVE


def test_ending_on_the_last_day_costs_nothing(line, sales):
    agreement = sign(line, sales)

    terminated = terminate_agreement(
        agreement, actor=sales, reason="到期不续", on_day=agreement.ends_on
    )

    assert (terminated.termination_fee, terminated.termination_entry) == (Decimal("0.00"), None)
    assert line.billing_account.ledger_entries.count() == 0


def test_a_reminder_goes_once_per_term_end_within_the_reminder_period(line, sales):
    agreement = sign(line, sales, term_months=12, reminder_days=30)
    ends = agreement.ends_on

    assert send_renewal_reminders(today=ends - datetime.timedelta(days=31)) == 0
    assert send_renewal_reminders(today=ends - datetime.timedelta(days=30)) == 1
    assert send_renewal_reminders(today=ends - datetime.timedelta(days=29)) == 0

    message = Notification.objects.get(customer=line.customer, channel="sms")
    assert agreement.number in message.body
    assert message.address == line.msisdn
    assert "自动续约12个月" in message.body


def test_an_auto_renewing_agreement_rolls_on_and_another_expires(sales):
    renewing = sign(MobileLineFactory(), sales, term_months=12)
    ending = sign(MobileLineFactory(), sales, term_months=12, auto_renew=False)
    after_end = renewing.ends_on + datetime.timedelta(days=1)

    assert renew_due_agreements(today=after_end) == (1, 1)
    assert renew_due_agreements(today=after_end) == (0, 0)

    renewing.refresh_from_db()
    ending.refresh_from_db()
    assert (renewing.status, renewing.ends_on, renewing.renewals) == (
        AgreementStatus.ACTIVE,
        datetime.date(2028, 1, 14),
        1,
    )
    assert ending.status == AgreementStatus.EXPIRED
    assert renewing.events.filter(kind=AgreementEventKind.RENEWED).count() == 1
    # The new term is reminded again.
    assert send_renewal_reminders(today=datetime.date(2027, 12, 20)) == 1


def test_an_agreement_on_a_terminated_line_expires(line, sales):
    agreement = sign(line, sales, term_months=12)
    transition_subscription(line, SubscriptionStatus.TERMINATED, actor=sales, reason="销号")

    assert renew_due_agreements(today=agreement.ends_on + datetime.timedelta(days=1)) == (0, 1)
    assert ServiceAgreement.objects.get(pk=agreement.pk).status == AgreementStatus.EXPIRED


def test_the_agreement_renders_as_a_pdf(line, sales):
    pdf = render_agreement_pdf(sign(line, sales))

    assert pdf.startswith(b"%PDF-")
    assert len(pdf) > 5000
