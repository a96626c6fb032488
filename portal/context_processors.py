"""Template context shared by every page."""

from portal.navigation import sections_for


def navigation(request):
    return {"nav_sections": sections_for(request.user)}
