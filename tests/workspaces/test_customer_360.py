"""The customer 360 page (crm's customer page) as the service specialist's flow uses it: found
by the search box, the caller verified inline, balance, bills and this month's usage shown, a
ticket opened, the contact logged with its outcome."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from billing.choices import LedgerEntryKind, TopUpChannel
from billing.models import ArrearsCase, Bill, UsageMonth
from billing.services import post_ledger_entry, top_up
from complaints.models import Ticket
from crm.choices import Channel, InteractionOutcome, VerificationMethod
from crm.models import Interaction
from crm.services import record_verification, start_interaction
from tests.crm.factories import CustomerFactory, MobileLineFactory, mobile_number
from tests.workspaces.conftest import EN, html_of

PHONE = mobile_number(66_000_001)


@pytest.fixture
def caller(make_user):
    customer = CustomerFactory(name="赵伟", service_password="123456")
    line = MobileLineFactory(customer=customer, msisdn=PHONE)
    top_up(
        line.billing_account,
        amount=Decimal("100.00"),
        channel=TopUpChannel.ONLINE,
        actor=make_user(None, username="payer"),
    )
    post_ledger_entry(
        line.billing_account, kind=LedgerEntryKind.USAGE_CHARGE, amount=Decimal("-12.30")
    )
    for n, period in enumerate((datetime.date(2026, 10, 1), datetime.date(2026, 11, 1))):
        Bill.objects.create(
            subscription=line, period=period, total=Decimal("45.60") + n, verification_code=f"V{n}"
        )
    UsageMonth.objects.create(
        subscription=line,
        month=timezone.localdate().replace(day=1),
        data_kb=2 * 1024 * 1024 + 512 * 1024,
        data_charge=Decimal("7.00"),
        voice_charge=Decimal("5.20"),
        sms_charge=Decimal("0.10"),
    )
    return line


def page(customer) -> str:
    return reverse("crm:customer-detail", args=[customer.pk])


def test_the_specialist_finds_verifies_and_opens_a_ticket_from_the_360_page(
    client, specialist, caller
):
    customer = caller.customer
    client.force_login(specialist)

    found = client.post(reverse("workspaces:search"), {"q": PHONE})
    before = client.get(found.url, headers=EN)
    client.post(
        reverse("crm:interaction-start", args=[customer.pk]),
        {"channel": "hotline", "reason": "信号差"},
    )
    client.post(
        reverse("crm:interaction-verify", args=[customer.pk]),
        {"method": "service_password", "service_password": "123456"},
    )
    verified = client.get(page(customer), headers=EN)
    ticket_form = client.get(reverse("ticket-new", args=[customer.pk]))
    opened = client.post(
        reverse("ticket-new", args=[customer.pk]),
        {
            "kind": "fault",
            "category": "mobile_signal",
            "subscription": caller.pk,
            "subject": "家中信号差",
            "description": "客厅通话断线。",
            "channel": "hotline",
        },
    )
    ended = client.post(
        reverse("crm:interaction-end", args=[customer.pk]),
        {"outcome": "ticket_opened", "notes": "已转技术支持。"},
    )

    assert found.url == page(customer)
    assert 'data-verification="not_verified"' in html_of(before)
    assert 'id="account-summary"' not in html_of(before)
    html = html_of(verified)
    assert 'data-verification="verified"' in html
    assert 'data-balance="87.70"' in html
    assert re.findall(r'<tr data-bill="(\d+)"', html) == [
        str(pk) for pk in Bill.objects.order_by("-period").values_list("pk", flat=True)
    ]
    assert "2560.0 MB" in html
    assert "¥12.30" in html
    assert ticket_form.status_code == 200
    ticket = Ticket.objects.get(customer=customer)
    assert opened.url == reverse("ticket-detail", args=[ticket.pk])
    interaction = Interaction.objects.get(customer=customer, staff=specialist)
    assert (ticket.interaction, ended.status_code) == (interaction, 302)
    interaction.refresh_from_db()
    assert (interaction.outcome, interaction.ended_at is not None) == (
        InteractionOutcome.TICKET_OPENED,
        True,
    )
    after = client.get(page(customer), headers=EN)
    assert f'data-ticket="{ticket.number}"' in html_of(after)
    assert 'data-verification="not_verified"' in html_of(after)


def test_an_account_in_arrears_is_flagged(client, specialist, caller):
    now = timezone.now()
    ArrearsCase.objects.create(
        account=caller.billing_account,
        cause="negative_balance",
        status="notified",
        balance_at_opening=Decimal("-5.00"),
        overdue_at_opening=Decimal("0.00"),
        opened_at=now,
        suspend_after=now + datetime.timedelta(hours=72),
    )
    interaction = start_interaction(
        channel=Channel.HOTLINE, reason="欠费", customer=caller.customer, actor=specialist
    )
    record_verification(
        interaction,
        caller.customer,
        method=VerificationMethod.SERVICE_PASSWORD,
        actor=specialist,
        service_password="123456",
    )
    client.force_login(specialist)

    html = html_of(client.get(page(caller.customer), headers=EN))

    assert f'<tr data-account="{caller.billing_account.account_number}" class="breached">' in html
    assert "in arrears" in html


@pytest.mark.parametrize("bills", [1, 8])
def test_the_verified_360_page_runs_a_constant_number_of_queries(
    client, specialist, caller, django_assert_num_queries, bills
):
    for n in range(bills):
        Bill.objects.create(
            subscription=caller,
            period=datetime.date(2025, 1 + n, 1),
            total=Decimal("10.00"),
            verification_code=f"C{n}",
        )
    interaction = start_interaction(
        channel=Channel.HOTLINE, reason="查询", customer=caller.customer, actor=specialist
    )
    record_verification(
        interaction,
        caller.customer,
        method=VerificationMethod.SERVICE_PASSWORD,
        actor=specialist,
        service_password="123456",
    )
    client.force_login(specialist)
    # 1 the session, 2 user, 3 permissions; 4 the customer, 5 lines, 6 their products, 7 billing
    # accounts, 8 recent orders, 9 recent interactions, 10 the user's open interaction, 11 the
    # verification gate, 12 the latest tickets; the account summary: 13 accounts with balances and
    # the arrears flag, 14 the latest bills, 15 this month's usage.
    with django_assert_num_queries(15):
        response = client.get(page(caller.customer))

    assert response.context["show_account_detail"] is True
