"""Template tags of the contact channels: the customer portal's notice banner."""

from django import template

from crm.channel_selectors import banner_notices

register = template.Library()


@register.inclusion_tag("crm/channels/_notice_banner.html", takes_context=True)
def notice_banner(context):
    """The published notices that reached the signed-in customer and show now (one query)."""
    request = context.get("request")
    return {"notices": banner_notices(request.user) if request else []}
