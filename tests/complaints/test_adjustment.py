"""Billing disputes: a resolution may credit the account, within the approver's role limit."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from billing.choices import LedgerEntryKind
from billing.models import LedgerEntry
from billing.services import BillingError, balance_of
from complaints.choices import TicketEventKind, TicketKind, TicketStatus
from complaints.services import (
    TicketError,
    assign_ticket,
    escalate_ticket,
    resolve_ticket,
    transition_ticket,
)
from portal.roles import Role
from tests.complaints.factories import make_ticket


def dispute(personas, coordinator):
    ticket = make_ticket(
        personas[Role.SERVICE_SPECIALIST],
        kind=TicketKind.BILLING_DISPUTE,
        subject="流量费争议",
        description="十月份被多扣了 30 元流量费。",
    )
    ticket = assign_ticket(ticket, coordinator, actor=coordinator)
    return transition_ticket(ticket, TicketStatus.IN_PROGRESS, actor=coordinator)


def test_a_resolved_dispute_credits_the_account_and_links_the_entry(personas, coordinator):
    ticket = dispute(personas, coordinator)
    account = ticket.subscription.billing_account
    before = balance_of(account)

    ticket = resolve_ticket(
        ticket,
        actor=coordinator,
        resolution="核实为计费错误，已退还 30 元。",
        adjustment_amount="30.00",
        adjustment_reason="10 月流量重复计费",
    )

    entry = ticket.adjustment_entry
    assert (entry.kind, entry.amount, entry.actor) == (
        LedgerEntryKind.ADJUSTMENT,
        Decimal("30.00"),
        coordinator,
    )
    assert entry.description == "10 月流量重复计费"
    assert balance_of(account) == before + Decimal("30.00")
    assert ticket.status == TicketStatus.RESOLVED
    assert ticket.events.filter(kind=TicketEventKind.ADJUSTMENT, to_value="30.00").exists()


def test_above_the_coordinators_limit_a_supervisor_must_approve(personas, coordinator, settings):
    settings.BILLING_ADJUSTMENT_LIMITS = {
        "complaint_coordinator": Decimal("200.00"),
        "supervisor": Decimal("2000.00"),
    }
    ticket = dispute(personas, coordinator)

    with pytest.raises(BillingError) as over:
        resolve_ticket(ticket, actor=coordinator, resolution="退款", adjustment_amount="500.00")

    ticket.refresh_from_db()
    assert over.value.field == "adjustment_amount"
    assert ticket.status == TicketStatus.IN_PROGRESS
    assert not LedgerEntry.objects.filter(kind=LedgerEntryKind.ADJUSTMENT).exists()

    ticket = escalate_ticket(ticket, actor=coordinator, reason="退款超出权限")
    supervisor = personas[Role.SUPERVISOR]
    ticket = resolve_ticket(
        ticket, actor=supervisor, resolution="主管批准退款", adjustment_amount="500.00"
    )
    assert ticket.adjustment_entry.actor == supervisor


@pytest.mark.parametrize("amount", ["-5", "0", "1.234", "abc"])
def test_bad_amounts_are_field_errors_and_change_nothing(personas, coordinator, amount):
    ticket = dispute(personas, coordinator)

    with pytest.raises(ValidationError) as bad:
        resolve_ticket(ticket, actor=coordinator, resolution="退款", adjustment_amount=amount)

    assert "adjustment_amount" in bad.value.message_dict
    ticket.refresh_from_db()
    assert (ticket.status, ticket.adjustment_entry) == (TicketStatus.IN_PROGRESS, None)


def test_only_disputes_grant_adjustments_and_only_once(personas, coordinator, make_user):
    complaint = make_ticket(personas[Role.SERVICE_SPECIALIST], kind=TicketKind.COMPLAINT)
    complaint = assign_ticket(complaint, coordinator, actor=coordinator)
    complaint = transition_ticket(complaint, TicketStatus.IN_PROGRESS, actor=coordinator)
    with pytest.raises(ValidationError):
        resolve_ticket(complaint, actor=coordinator, resolution="致歉", adjustment_amount="10")

    ticket = dispute(personas, coordinator)
    ticket = resolve_ticket(ticket, actor=coordinator, resolution="退款", adjustment_amount="10")
    ticket = transition_ticket(
        ticket, TicketStatus.ASSIGNED, actor=coordinator, reason="客户再次申诉"
    )
    ticket = transition_ticket(ticket, TicketStatus.IN_PROGRESS, actor=coordinator)
    with pytest.raises(TicketError):
        resolve_ticket(ticket, actor=coordinator, resolution="再退", adjustment_amount="10")


def test_staff_without_a_limit_cannot_grant_credit(personas):
    specialist = personas[Role.SERVICE_SPECIALIST]
    ticket = make_ticket(specialist, kind=TicketKind.BILLING_DISPUTE)
    ticket = escalate_ticket(ticket, actor=specialist, reason="x")  # to the supervisors' queue

    with pytest.raises(BillingError):
        resolve_ticket(ticket, actor=specialist, resolution="退款", adjustment_amount="1.00")
