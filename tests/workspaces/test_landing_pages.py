"""Each staff role's landing page: its own panels, figures and links, in a constant number of
queries."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from billing.models import Device, InstalmentPlan
from complaints.choices import Queue, TicketKind, TicketStatus
from complaints.models import Callback, Survey, Ticket
from complaints.services import assign_ticket
from crm.choices import Channel, OrderKind
from crm.services import create_service_order, end_interaction, start_interaction
from portal.roles import ROLE_SPECS, Role
from tests.complaints.factories import make_ticket
from tests.crm.factories import CustomerFactory, MobileLineFactory
from tests.workspaces.conftest import EN, html_of

COUNT = re.compile(r'<div data-count="(\w+)"[^>]*><dt>[^<]*</dt><dd>(?:<a [^>]*>)?([^<]+)<')


def landing(role: Role) -> str:
    return reverse(ROLE_SPECS[role].url_name)


def counts_in(html: str, list_id: str = "ticket-counts") -> dict[str, str]:
    start = html.index(f'id="{list_id}"')
    block = html[start : html.index("</dl>", start)]
    return dict(COUNT.findall(block))


def set_deadline(ticket: Ticket, delta: datetime.timedelta) -> None:
    Ticket.objects.filter(pk=ticket.pk).update(resolution_due_at=timezone.now() + delta)


# --- Service specialist ---------------------------------------------------------------------------


def test_specialist_sees_the_search_box_open_contacts_and_callbacks(client, specialist):
    customer = CustomerFactory(name="王小明")
    open_contact = start_interaction(
        channel=Channel.HOTLINE, reason="查询话费", customer=customer, actor=specialist
    )
    ended = start_interaction(
        channel=Channel.HOTLINE, reason="咨询", customer=customer, actor=specialist
    )
    end_interaction(ended, outcome="information_given", notes="", actor=specialist)
    ticket = make_ticket(specialist, TicketKind.INQUIRY)
    Callback.objects.create(
        ticket=ticket, assignee=specialist, due_at=timezone.now() + datetime.timedelta(hours=3)
    )
    Callback.objects.create(ticket=ticket, due_at=timezone.now())  # unassigned: not "mine"
    client.force_login(specialist)

    response = client.get(landing(Role.SERVICE_SPECIALIST), headers=EN)

    html = html_of(response)
    assert 'id="workspace-search"' in html
    assert f'action="{reverse("workspaces:search")}"' in html
    assert re.findall(r'data-interaction="(\w+)"', html) == [open_contact.number]
    assert re.findall(r'data-callbacks="(\d+)"', html) == ["1"]
    assert html.count(f'data-callback="{ticket.callbacks.get(assignee=specialist).pk}"') == 1
    assert counts_in(html) == {
        "open": "1",
        "breached": "0",
        "due_soon": "0",
        "mine": "0",
        "unassigned": "1",
    }
    assert response["Cache-Control"].startswith("max-age=0")


def test_specialist_landing_runs_a_constant_number_of_queries(
    client, specialist, django_assert_num_queries
):
    for n in range(3):
        customer = CustomerFactory()
        start_interaction(
            channel=Channel.HOTLINE, reason=f"来电{n}", customer=customer, actor=specialist
        )
        ticket = make_ticket(specialist, TicketKind.INQUIRY)
        Callback.objects.create(ticket=ticket, assignee=specialist, due_at=timezone.now())
    client.force_login(specialist)
    # 1 the session, 2 user, 3 their permissions; 4 the open contacts with their customers, 5 the
    # first callbacks with ticket and customer, 6 how many callbacks, 7 the counts of the service
    # specialists' queue (one aggregate).
    with django_assert_num_queries(7):
        response = client.get(landing(Role.SERVICE_SPECIALIST))

    assert len(response.context["open_interactions"]) == 3


# --- Tech-support engineer --------------------------------------------------------------------


@pytest.fixture
def faults(specialist, engineer):
    """Five open faults: breached, due soon, the engineer's own, unassigned, and one escalated
    to the supervisors (not the engineers' queue); plus a resolved one."""
    breached, due_soon, mine, unassigned, escalated = (
        make_ticket(specialist, TicketKind.FAULT) for _ in range(5)
    )
    set_deadline(breached, -datetime.timedelta(hours=1))
    set_deadline(due_soon, datetime.timedelta(minutes=30))
    assign_ticket(mine, engineer, actor=engineer)
    Ticket.objects.filter(pk=escalated.pk).update(queue=Queue.SUPERVISOR)
    done = make_ticket(specialist, TicketKind.FAULT)
    Ticket.objects.filter(pk=done.pk).update(status=TicketStatus.RESOLVED)
    return {"breached": breached, "due_soon": due_soon, "mine": mine, "unassigned": unassigned}


def test_engineer_sees_the_fault_queue_counts_and_own_faults(client, engineer, faults):
    client.force_login(engineer)

    response = client.get(landing(Role.TECH_SUPPORT), headers=EN)

    html = html_of(response)
    assert counts_in(html) == {
        "open": "4",
        "breached": "1",
        "due_soon": "1",
        "mine": "1",
        "unassigned": "3",
    }
    fault_queue = reverse("workspaces:fault-queue")
    assert f'href="{fault_queue}?state=breached"' in html
    assert re.findall(r'<li data-ticket="(TT\d+)"', html) == [faults["mine"].number]


def test_engineer_landing_runs_a_constant_number_of_queries(
    client, engineer, faults, django_assert_num_queries
):
    client.force_login(engineer)
    # 1 the session, 2 user, 3 permissions; 4 the counts of the tech-support queue's faults (one
    # aggregate), 5 the engineer's own open faults with customer, line and latest diagnosis.
    with django_assert_num_queries(5):
        client.get(landing(Role.TECH_SUPPORT))


# --- Complaint coordinator --------------------------------------------------------------------


@pytest.fixture
def complaints_desk(specialist, coordinator):
    complaint = make_ticket(specialist, TicketKind.COMPLAINT)
    set_deadline(complaint, -datetime.timedelta(minutes=5))
    dispute = make_ticket(specialist, TicketKind.BILLING_DISPUTE)
    assign_ticket(dispute, coordinator, actor=coordinator)
    resolved = make_ticket(specialist, TicketKind.COMPLAINT)
    Ticket.objects.filter(pk=resolved.pk).update(status=TicketStatus.RESOLVED)
    now = timezone.now()
    for score, reviewed in ((1, False), (2, False), (5, False), (2, True)):
        Survey.objects.create(
            ticket=resolved,
            status="answered",
            send_after=now,
            answered_at=now,
            score=score,
            reviewed_at=now if reviewed else None,
            reviewed_by=coordinator if reviewed else None,
        )
    return {"complaint": complaint, "dispute": dispute}


def test_coordinator_sees_queue_disputes_low_scores_and_breached(
    client, coordinator, complaints_desk
):
    client.force_login(coordinator)

    response = client.get(landing(Role.COMPLAINT_COORDINATOR), headers=EN)

    html = html_of(response)
    assert counts_in(html) == {
        "open": "2",
        "breached": "1",
        "due_soon": "0",
        "mine": "1",
        "unassigned": "1",
    }
    assert counts_in(html, "dispute-count-list") == {
        "open": "1",
        "breached": "0",
        "due_soon": "0",
        "mine": "1",
        "unassigned": "0",
    }
    assert re.findall(r'data-to-review="(\d+)"', html) == ["2"]
    assert re.findall(r'<li data-ticket="(TT\d+)" class="breached"', html) == [
        complaints_desk["complaint"].number
    ]


def test_coordinator_landing_runs_a_constant_number_of_queries(
    client, coordinator, complaints_desk, django_assert_num_queries
):
    client.force_login(coordinator)
    # 1 the session, 2 user, 3 permissions; 4 the complaints queue's counts, 5 the disputes'
    # counts, 6 how many low scores wait for review, 7 the first breached tickets of the escalation
    # board.
    with django_assert_num_queries(7):
        client.get(landing(Role.COMPLAINT_COORDINATOR))


# --- Sales advisor ----------------------------------------------------------------------------


@pytest.fixture
def sold(sales):
    line = MobileLineFactory()
    orders = [
        create_service_order(
            kind=OrderKind.REOPEN_DATA, customer=line.customer, subscription=line, actor=sales
        )
        for _ in range(2)
    ]
    device = Device.objects.create(code="BENCH-1", brand="华为", name="Mate", price="3000.00")
    InstalmentPlan.objects.create(
        number="IP20261201000001",
        customer=line.customer,
        account=line.billing_account,
        subscription=line,
        device=device,
        device_price=Decimal("3000.00"),
        down_payment=Decimal("600.00"),
        financed_amount=Decimal("2400.00"),
        months=12,
        purchased_on=timezone.localdate(),
        seller=sales,
    )
    return orders


def test_sales_advisor_sees_this_months_sales_and_latest_orders(client, sales, sold):
    client.force_login(sales)

    response = client.get(landing(Role.SALES_ADVISOR), headers=EN)

    html = html_of(response)
    assert counts_in(html, "sales-this-month") == {
        "orders": "2",
        "orders_completed": "0",
        "plans": "1",
        "financed": "¥2400.00",
    }
    assert re.findall(r'data-order="(SO\d+)"', html) == [order.number for order in sold[::-1]]
    assert f'href="{reverse("workspaces:recommendation")}"' in html


def test_sales_landing_runs_a_constant_number_of_queries(
    client, sales, sold, django_assert_num_queries
):
    client.force_login(sales)
    # 1 the session, 2 user, 3 permissions; 4 this month's orders by month, 5 this month's
    # instalment sales by month, 6 the latest orders with their customers.
    with django_assert_num_queries(6):
        client.get(landing(Role.SALES_ADVISOR))
