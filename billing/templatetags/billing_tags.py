"""Template tags for pages of other apps that show billing (the crm customer 360 page)."""

from django import template

from billing.selectors import AccountSummary, account_summary

register = template.Library()


@register.simple_tag
def account_summary_of(customer) -> AccountSummary:
    """Balances, latest bills and this month's usage of a customer whose account detail the
    page has already decided to show (three queries; see ``selectors.account_summary``)."""
    return account_summary(customer)
