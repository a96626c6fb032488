"""Root URLconf: portal pages, the admin, the REST API with its schema, and /healthz."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from portal import views
from portal.roles import Role
from reports.views import SupervisorDashboardView

workspace_patterns = [
    path(
        "specialist/",
        views.RoleWorkspaceView.as_view(role=Role.SERVICE_SPECIALIST),
        name="workspace-specialist",
    ),
    path(
        "tech-support/",
        views.RoleWorkspaceView.as_view(role=Role.TECH_SUPPORT),
        name="workspace-tech-support",
    ),
    path(
        "complaints/",
        views.RoleWorkspaceView.as_view(role=Role.COMPLAINT_COORDINATOR),
        name="workspace-complaints",
    ),
    path(
        "sales/",
        views.RoleWorkspaceView.as_view(role=Role.SALES_ADVISOR),
        name="workspace-sales",
    ),
    # The supervisor's workspace is the service dashboard (reports).
    path("supervisor/", SupervisorDashboardView.as_view(), name="workspace-supervisor"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("workspace/", include(workspace_patterns)),
    path("workspace/", include("crm.urls")),
    path("", include("billing.urls")),
    path("", include("complaints.urls")),
    path("", include("training.urls")),
    path("", include("crm.channel_urls")),
    path("", include("reports.urls")),
    path(
        "my/",
        views.RoleWorkspaceView.as_view(
            role=Role.CUSTOMER, template_name="portal/customer_home.html"
        ),
        name="customer-home",
    ),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("portal.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
