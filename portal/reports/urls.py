"""Pages of the supervisor's reports; ``portal.urls`` includes them at the site root. The
dashboard itself is the supervisor workspace (``workspace-supervisor`` in ``portal.urls``)."""

from django.urls import path

from portal.reports import views

app_name = "reports"

urlpatterns = [
    path(
        "workspace/supervisor/export/<slug:block>.csv",
        views.DashboardCsvView.as_view(),
        name="dashboard-csv",
    ),
    path(
        "workspace/supervisor/reports/", views.MonthlyReportListView.as_view(), name="report-list"
    ),
    path(
        "workspace/supervisor/reports/generate/",
        views.MonthlyReportGenerateView.as_view(),
        name="report-generate",
    ),
    path(
        "workspace/supervisor/reports/<int:pk>/report.pdf",
        views.MonthlyReportPdfView.as_view(),
        name="report-pdf",
    ),
]
