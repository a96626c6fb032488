"""Routes of the crm API; ``portal.api.urls`` adds them to the /api/v1/ root router."""

from rest_framework.routers import SimpleRouter

from crm.api import views

router = SimpleRouter()
router.register("customers", views.CustomerViewSet, basename="crm-customer")
router.register("accounts", views.BillingAccountViewSet, basename="crm-account")
router.register("subscriptions", views.SubscriptionViewSet, basename="crm-subscription")
router.register("catalog/products", views.ProductViewSet, basename="crm-product")
router.register("orders", views.ServiceOrderViewSet, basename="crm-order")
router.register("interactions", views.InteractionViewSet, basename="crm-interaction")
router.register("verifications", views.VerificationViewSet, basename="crm-verification")

urlpatterns = router.urls
