"""Root URLconf: portal pages, the admin, the REST API with its schema, and /healthz."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularSwaggerSplitView

from portal import views
from portal.api.schema_view import CachedSpectacularAPIView
from portal.reports.views import SupervisorDashboardView
from portal.selfservice import views as selfservice_views
from portal.selfservice.forms import PhoneOrUsernameLoginForm
from portal.workspaces import views as workspace_views

workspace_patterns = [
    path(
        "specialist/",
        workspace_views.SpecialistWorkspaceView.as_view(),
        name="workspace-specialist",
    ),
    path(
        "tech-support/",
        workspace_views.TechSupportWorkspaceView.as_view(),
        name="workspace-tech-support",
    ),
    path(
        "complaints/",
        workspace_views.CoordinatorWorkspaceView.as_view(),
        name="workspace-complaints",
    ),
    path(
        "sales/",
        workspace_views.SalesWorkspaceView.as_view(),
        name="workspace-sales",
    ),
    # The supervisor's workspace is the service dashboard (reports).
    path("supervisor/", SupervisorDashboardView.as_view(), name="workspace-supervisor"),
]

# A database outage answers 503 (a short page, or the API's error shape), not 500.
handler500 = views.server_error
# Under /api/ an unmatched path is a JSON 404 in the API's error shape.
handler404 = views.page_not_found

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True, authentication_form=PhoneOrUsernameLoginForm
        ),
        name="login",
    ),
    path(
        "accounts/password-reset/",
        selfservice_views.PasswordResetRequestView.as_view(),
        name="password-reset",
    ),
    path(
        "accounts/password-reset/confirm/",
        selfservice_views.PasswordResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("workspace/", include(workspace_patterns)),
    path("workspace/", include("crm.urls")),
    path("workspace/", include("portal.workspaces.urls")),
    path("", include("billing.urls")),
    path("", include("complaints.urls")),
    path("", include("training.urls")),
    path("", include("crm.channel_urls")),
    path("", include("portal.selfservice.urls")),
    path("", include("portal.reports.urls")),
    # The customer's overview: lines, balance, usage against caps, points, tickets.
    path("my/", selfservice_views.OverviewView.as_view(), name="customer-home"),
    path("healthz", views.healthz, name="healthz"),
    path("healthz/web", views.healthz_web, name="healthz-web"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("portal.api.urls")),
    # Generated once per process, language and format, then served from memory (schema_view.py).
    path("api/schema/", CachedSpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start script as a file (?script) rather than inline, and
    # the template gives its <style> the nonce: the page runs under the site's CSP unchanged.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema", template_name="portal/swagger_ui.html"
        ),
        name="api-docs",
    ),
]
