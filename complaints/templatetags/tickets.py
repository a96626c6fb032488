"""Template tags for pages of other apps that show tickets (the crm customer page)."""

from django import template

from complaints.models import Ticket
from complaints.selectors import tickets_for

register = template.Library()

RECENT_TICKETS = 10


@register.simple_tag(takes_context=True)
def recent_tickets_of(context, customer) -> list[Ticket]:
    """The customer's newest tickets the signed-in user may read: one query, no related rows."""
    user = context["request"].user
    return list(
        tickets_for(user).filter(customer=customer).order_by("-created_at", "-pk")[:RECENT_TICKETS]
    )
