"""Routes of the reports API; ``portal.api.urls`` adds them to the /api/v1/ root router."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from portal.reports.api import views

router = DefaultRouter()
router.register("reports/monthly", views.MonthlyReportViewSet, basename="api-monthly-report")

urlpatterns = [
    path("reports/dashboard/", views.DashboardView.as_view(), name="api-reports-dashboard"),
]
