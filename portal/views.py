"""Site-wide pages: the home redirect, each role's workspace, /healthz and the 500 handler."""

import sys

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.defaults import page_not_found as django_page_not_found
from django.views.defaults import server_error as django_server_error
from django.views.generic import TemplateView
from rest_framework import exceptions

from portal.errors import api_error_body, database_unavailable_body
from portal.health import SITE_CHECKS, WEB_CHECKS, run_checks
from portal.navigation import sections_for
from portal.outages import RETRY_AFTER_SECONDS, is_database_unavailable
from portal.roles import ROLE_SPECS, Role


@login_required
def home(request):
    """Send each user to their own portal section; users with no role get an explanation."""
    sections = sections_for(request.user)
    if sections:
        return redirect(sections[0].url)
    if request.user.is_staff:
        return redirect("admin:index")
    return render(request, "portal/no_role.html", status=403)


class RoleWorkspaceView(LoginRequiredMixin, PermissionRequiredMixin, TemplateView):
    """The landing page of one role's portal section; later issues add its queues and tools."""

    template_name = "portal/workspace.html"
    role: Role | None = None

    def get_permission_required(self):
        return (ROLE_SPECS[self.role].permission,)

    def get_context_data(self, **kwargs):
        return super().get_context_data(spec=ROLE_SPECS[self.role], **kwargs)


@never_cache
@require_GET
def healthz(request):
    """Every part the site needs, as JSON: 503 "unavailable" when the database or the broker
    does not answer, 200 "degraded" when the worker heartbeat is missing or stale, else 200 "ok".
    """
    return _health_response(SITE_CHECKS)


@never_cache
@require_GET
def healthz_web(request):
    """The load balancer's probe: 200 while this node can serve pages (its database answers)."""
    return _health_response(WEB_CHECKS)


def _health_response(checks) -> JsonResponse:
    report = run_checks(checks, timeout=settings.HEALTHCHECK_TIMEOUT_SECONDS)
    return JsonResponse(report.as_dict(), status=report.http_status)


def is_api_request(request) -> bool:
    return request.path_info.startswith("/api/")


def page_not_found(request, exception):
    """handler404: an /api/ path that matches no route (a malformed id, a typo) answers the
    API's JSON error shape, whatever the Accept header; pages keep Django's 404 page."""
    if is_api_request(request):
        return JsonResponse(api_error_body(exceptions.NotFound()), status=404)
    return django_page_not_found(request, exception)


def server_error(request):
    """handler500: 503 with Retry-After while the database is unreachable, else Django's 500.

    Django calls it inside the ``except`` block of whatever failed, so ``sys.exc_info()`` is
    that exception. The 503 page is rendered without the request: context processors would
    read the user, and the session and the user are what could not be loaded.
    """
    exc = sys.exc_info()[1]
    if not is_database_unavailable(exc):
        if is_api_request(request):
            return JsonResponse(api_error_body(exceptions.APIException(), exc), status=500)
        return django_server_error(request)
    if is_api_request(request):
        response = JsonResponse(database_unavailable_body(exc), status=503)
    else:
        response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
