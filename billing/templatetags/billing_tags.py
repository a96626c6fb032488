"""Template tags for pages that show billing: the crm customer 360 page, bills."""

from django import template

from billing.selectors import AccountSummary, account_summary
from billing.tariff_rules import describe_tariff_rule

register = template.Library()


@register.simple_tag
def account_summary_of(customer) -> AccountSummary:
    """Balances, latest bills and this month's usage of a customer whose account detail the
    page has already decided to show (three queries; see ``selectors.account_summary``)."""
    return account_summary(customer)


@register.filter
def tariff_rule_text(text: str) -> str:
    """A stamped tariff rule in the reader's language (``billing.tariff_rules``)."""
    return describe_tariff_rule(text)
