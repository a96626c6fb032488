"""Routes of the billing API; ``portal.api.urls`` adds them to /api/v1/."""

from rest_framework.routers import SimpleRouter

from billing.api import views

router = SimpleRouter()
router.register("top-ups", views.TopUpViewSet, basename="billing-top-up")

urlpatterns = router.urls
