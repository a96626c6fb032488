"""Portal pages of training; ``portal.urls`` includes them at the site root.

``workspace/training/...`` are staff pages (every staff role; ``team/`` and ``kpis/`` for
supervisors), ``training/certificates/verify/`` the public certificate check.
"""

from django.urls import path

from training import views

urlpatterns = [
    path("workspace/training/", views.MyTrainingView.as_view(), name="training-home"),
    path(
        "workspace/training/courses/<int:pk>/",
        views.CourseDetailView.as_view(),
        name="training-course",
    ),
    path(
        "workspace/training/modules/<int:pk>/complete/",
        views.ModuleCompleteView.as_view(),
        name="training-module-complete",
    ),
    path(
        "workspace/training/assessments/<int:pk>/start/",
        views.AttemptStartView.as_view(),
        name="training-attempt-start",
    ),
    path(
        "workspace/training/attempts/<int:pk>/",
        views.AttemptView.as_view(),
        name="training-attempt",
    ),
    path(
        "workspace/training/handouts/<int:pk>/",
        views.HandoutView.as_view(),
        name="training-handout",
    ),
    path(
        "workspace/training/certificates/<int:pk>/certificate.pdf",
        views.CertificatePdfView.as_view(),
        name="training-certificate-pdf",
    ),
    path("workspace/training/my-kpis/", views.MyKpiView.as_view(), name="training-my-kpis"),
    path(
        "workspace/training/suggestions/",
        views.SuggestionListView.as_view(),
        name="training-suggestions",
    ),
    path(
        "workspace/training/suggestions/<int:pk>/answer/",
        views.SuggestionAnswerView.as_view(),
        name="training-suggestion-answer",
    ),
    path("workspace/training/team/", views.TeamTrainingView.as_view(), name="training-team"),
    path("workspace/training/kpis/", views.KpiRankingView.as_view(), name="training-kpis"),
    path(
        "training/certificates/verify/",
        views.CertificateCheckView.as_view(),
        name="training-certificate-check",
    ),
]
