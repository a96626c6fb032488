"""Pages of the staff workspaces, mounted under ``workspace/`` next to each role's landing page
(the landing pages themselves are named in ``portal.urls``: ``workspace-<role>``)."""

from django.urls import path

from portal.workspaces import views

app_name = "workspaces"

urlpatterns = [
    path("specialist/search/", views.WorkspaceSearchView.as_view(), name="search"),
    path("tech-support/faults/", views.FaultQueueView.as_view(), name="fault-queue"),
    path("complaints/disputes/", views.DisputeListView.as_view(), name="disputes"),
    path("complaints/low-scores/", views.LowScoreListView.as_view(), name="low-scores"),
    path(
        "complaints/low-scores/<int:pk>/review/",
        views.LowScoreReviewView.as_view(),
        name="low-score-review",
    ),
    path("sales/recommendation/", views.PlanRecommendationView.as_view(), name="recommendation"),
    path("sales/my-sales/", views.MySalesView.as_view(), name="my-sales"),
    path("supervisor/messages/", views.UndeliveredMessagesView.as_view(), name="undelivered"),
    path("supervisor/messages/retry/", views.RetryMessagesView.as_view(), name="retry-messages"),
]
