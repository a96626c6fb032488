"""Routes of the complaints API; ``portal.api.urls`` adds them to the /api/v1/ root router."""

from rest_framework.routers import DefaultRouter

from complaints.api import views

router = DefaultRouter()
router.register("tickets", views.TicketViewSet, basename="api-ticket")
router.register("callbacks", views.CallbackViewSet, basename="api-callback")
router.register("low-score-reviews", views.LowScoreReviewViewSet, basename="api-low-score-review")
