"""Routes of the training API; ``portal.api.urls`` adds them to the /api/v1/ root router."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from training.api import views

router = DefaultRouter()
router.register("training/courses", views.CourseViewSet, basename="api-course")
router.register("training/assignments", views.AssignmentViewSet, basename="api-assignment")
router.register("training/assessments", views.AssessmentViewSet, basename="api-assessment")
router.register("training/attempts", views.AttemptViewSet, basename="api-attempt")
router.register("training/certificates", views.CertificateViewSet, basename="api-certificate")
router.register("training/kpis", views.StaffKpiViewSet, basename="api-kpi")
router.register("training/suggestions", views.SuggestionViewSet, basename="api-suggestion")

urlpatterns = [
    path(
        "training/certificate-check/",
        views.CertificateCheckView.as_view(),
        name="api-certificate-check",
    ),
]
