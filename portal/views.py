"""Site-wide pages: the home redirect, each role's workspace, and /healthz."""

from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.generic import TemplateView

from portal.health import check_broker, check_database, last_worker_heartbeat
from portal.navigation import sections_for
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
    """200 when the database and the broker both answer, 503 otherwise (JSON either way)."""
    database = check_database()
    broker = check_broker()
    healthy = database.ok and broker.ok
    body = {
        "status": "ok" if healthy else "unavailable",
        "checks": {"database": database.as_dict(), "broker": broker.as_dict()},
    }
    if database.ok:
        body["scheduler"] = last_worker_heartbeat()
    return JsonResponse(body, status=200 if healthy else 503)
