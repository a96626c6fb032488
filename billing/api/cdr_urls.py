"""Routes of the CDR import API (``cdr-imports/``); ``portal.api.urls`` adds them to /api/v1/."""

from rest_framework.routers import SimpleRouter

from billing.api.cdr_views import CdrImportViewSet

router = SimpleRouter()
router.register("cdr-imports", CdrImportViewSet, basename="billing-cdr-import")

urlpatterns = router.urls
