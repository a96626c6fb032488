"""Routes of the promotions, points, devices, instalments and account-status API;
``portal.api.urls`` adds them to /api/v1/."""

from rest_framework.routers import SimpleRouter

from billing.api import commerce_views as views
from billing.api import recommendation_views

router = SimpleRouter()
router.register("promotions", views.PromotionViewSet, basename="billing-promotion")
router.register("devices", views.DeviceViewSet, basename="billing-device")
router.register("points/redemptions", views.PointsRedemptionViewSet, basename="points-redemption")
router.register("points", views.PointsViewSet, basename="points")
router.register("instalment-plans", views.InstalmentPlanViewSet, basename="instalment-plan")
router.register("account-status", views.AccountStatusViewSet, basename="account-status")
# Staff workspaces: the sales advisor's plan recommendation.
router.register(
    "plan-recommendations",
    recommendation_views.PlanRecommendationViewSet,
    basename="plan-recommendation",
)

urlpatterns = router.urls
