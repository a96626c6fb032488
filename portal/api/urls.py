"""/api/v1/: each app's router is included here as it arrives."""

from django.urls import include, path

from billing.api.cdr_urls import router as cdr_router
from billing.api.commerce_urls import router as commerce_router
from billing.api.urls import router as billing_router
from complaints.api.urls import router as complaints_router
from crm.api.channel_urls import router as crm_channels_router
from crm.api.channel_urls import urlpatterns as crm_channels_urls
from crm.api.urls import router as crm_router
from portal.api import views
from portal.api.routers import ApiRouter
from portal.reports.api.urls import router as reports_router
from portal.reports.api.urls import urlpatterns as reports_urls
from training.api.urls import router as training_router

router = ApiRouter()
router.registry.extend(crm_router.registry)
router.registry.extend(billing_router.registry)
router.registry.extend(cdr_router.registry)
router.registry.extend(complaints_router.registry)
router.registry.extend(training_router.registry)
router.registry.extend(commerce_router.registry)
router.registry.extend(crm_channels_router.registry)
router.registry.extend(reports_router.registry)

urlpatterns = [
    path("me/", views.CurrentUserView.as_view(), name="api-me"),
    path("auth/token/", views.ObtainTokenView.as_view(), name="api-token"),
    path("", include("billing.api.bill_urls")),
    path("", include("training.api.urls")),
    *crm_channels_urls,
    path("", include("portal.selfservice.api.urls")),
    *reports_urls,
    *router.urls,
]
