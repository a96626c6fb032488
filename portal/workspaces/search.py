"""The service specialist's one search box: which kind of number was typed, and what it finds.

A ticket number (``TT`` + date + sequence) opens the ticket and an order number (``SO``...) the
order; a mobile or fixed-line number, a customer number (ten digits with a Luhn check digit) or
an identity document number finds customers, each on its own field and index. The query never
travels in a URL (the box posts) and is shown back only masked.
"""

import re
from dataclasses import dataclass, field

from django.db import models
from django.utils.translation import gettext_lazy as _

from complaints.models import Ticket
from complaints.selectors import ticket_by_number
from crm.models import Customer, ServiceOrder
from crm.selectors import (
    customers_by_document,
    customers_by_phone,
    customers_for,
    order_by_number,
)
from crm.services import is_valid_customer_number

RESULT_LIMIT = 50

_TICKET = re.compile(r"TT\d{8,}")
_ORDER = re.compile(r"SO\d{8,}")
_MOBILE = re.compile(r"1\d{10}")
_FIXED_LINE = re.compile(r"0\d{9,11}")
_CUSTOMER_NUMBER = re.compile(r"\d{10}")


class QueryKind(models.TextChoices):
    TICKET = "ticket", _("Ticket number")
    ORDER = "order", _("Order number")
    PHONE = "phone", _("Phone number")
    CUSTOMER_NUMBER = "customer_number", _("Customer number")
    DOCUMENT = "document", _("ID number")


def classify(query: str) -> tuple[QueryKind, str]:
    """What the typed text is, and its normalised form (spaces and dashes dropped)."""
    compact = re.sub(r"[\s\-]", "", query or "").upper()
    if _TICKET.fullmatch(compact):
        return QueryKind.TICKET, compact
    if _ORDER.fullmatch(compact):
        return QueryKind.ORDER, compact
    digits = compact.removeprefix("+")
    if digits.startswith("86") and _MOBILE.fullmatch(digits[2:]):
        digits = digits[2:]
    if _MOBILE.fullmatch(digits) or _FIXED_LINE.fullmatch(digits):
        return QueryKind.PHONE, digits
    if _CUSTOMER_NUMBER.fullmatch(compact) and is_valid_customer_number(compact):
        return QueryKind.CUSTOMER_NUMBER, compact
    return QueryKind.DOCUMENT, compact


@dataclass
class SearchResult:
    kind: QueryKind
    ticket: Ticket | None = None
    order: ServiceOrder | None = None
    customers: list[Customer] = field(default_factory=list)

    @property
    def single_target(self):
        """Where to go straight away: the ticket, the order, or the only customer found."""
        if self.ticket is not None:
            return self.ticket
        if self.order is not None:
            return self.order
        if len(self.customers) == 1:
            return self.customers[0]
        return None


def search(user, query: str) -> SearchResult:
    """One query for a ticket or an order, one for customers."""
    kind, value = classify(query)
    if kind == QueryKind.TICKET:
        return SearchResult(kind, ticket=ticket_by_number(user, value))
    if kind == QueryKind.ORDER:
        return SearchResult(kind, order=order_by_number(user, value))
    if kind == QueryKind.PHONE:
        customers = customers_by_phone(user, value)
    elif kind == QueryKind.CUSTOMER_NUMBER:
        customers = customers_for(user).filter(customer_number=value)
    else:
        customers = customers_by_document(user, value)
    return SearchResult(kind, customers=list(customers.order_by("customer_number")[:RESULT_LIMIT]))
