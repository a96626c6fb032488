"""Routes of the contact-channel API; ``portal.api.urls`` adds the router to /api/v1/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from crm.api import channel_views as views

router = SimpleRouter()
router.register("chats", views.ChatViewSet, basename="crm-chat")
router.register("calls", views.CallViewSet, basename="crm-call")
router.register("ivr/nodes", views.IvrNodeViewSet, basename="crm-ivr-node")
router.register("inbound-emails", views.InboundEmailViewSet, basename="crm-inbound-email")
router.register("kb/articles", views.ArticleViewSet, basename="crm-article")
router.register("kb/canned-answers", views.CannedAnswerViewSet, basename="crm-canned-answer")
router.register("notices", views.NoticeViewSet, basename="crm-notice")
router.register("agreements", views.AgreementViewSet, basename="crm-agreement")

urlpatterns = [
    path("presence/", views.PresenceView.as_view(), name="crm-presence"),
    path("cti/events/", views.CtiEventView.as_view(), name="crm-cti-events"),
    path("ivr/navigate/", views.IvrNavigateView.as_view(), name="crm-ivr-navigate"),
]
