"""Tickets for tests, opened through the service like in life."""

from complaints.choices import TicketKind
from complaints.services import open_ticket
from tests.crm.factories import MobileLineFactory

CATEGORY_FOR_KIND = {
    TicketKind.FAULT: "mobile_signal",
    TicketKind.COMPLAINT: "service_quality",
    TicketKind.BILLING_DISPUTE: "billing",
    TicketKind.INQUIRY: "products",
}


def make_ticket(actor, kind=TicketKind.FAULT, *, line=None, **extra):
    line = line or MobileLineFactory()
    return open_ticket(
        kind=kind,
        category=extra.pop("category", CATEGORY_FOR_KIND[kind]),
        customer=line.customer,
        subscription=line,
        subject=extra.pop("subject", "家里信号差"),
        description=extra.pop("description", "客厅里打电话经常断线。"),
        channel=extra.pop("channel", "hotline"),
        actor=actor,
        **extra,
    )
