"""Portal pages of the complaints app; ``portal.urls`` includes them at the site root.

``my/tickets/...`` are the customer's own tickets, ``survey/<token>/`` the survey link (no
login), ``workspace/...`` the staff pages. Names are not namespaced: the survey SMS and the
notifications build their links with ``reverse("survey-answer", ...)``.
"""

from django.urls import path

from complaints import views

urlpatterns = [
    path("my/tickets/", views.CustomerTicketListView.as_view(), name="customer-tickets"),
    path("my/tickets/new/", views.CustomerTicketNewView.as_view(), name="customer-ticket-new"),
    path(
        "my/tickets/<int:pk>/",
        views.CustomerTicketDetailView.as_view(),
        name="customer-ticket-detail",
    ),
    path(
        "my/tickets/<int:pk>/<slug:action>/",
        views.CustomerTicketActionView.as_view(),
        name="customer-ticket-action",
    ),
    path("my/messages/", views.CustomerMessageListView.as_view(), name="customer-messages"),
    path("survey/<str:token>/", views.SurveyAnswerView.as_view(), name="survey-answer"),
    path("workspace/tickets/", views.TicketQueueView.as_view(), name="ticket-queue"),
    path(
        "workspace/tickets/attachments/<int:pk>/",
        views.TicketAttachmentView.as_view(),
        name="ticket-attachment",
    ),
    path("workspace/tickets/<int:pk>/", views.TicketDetailView.as_view(), name="ticket-detail"),
    path(
        "workspace/tickets/<int:pk>/<slug:action>/",
        views.TicketActionView.as_view(),
        name="ticket-action",
    ),
    path(
        "workspace/customers/<int:customer_pk>/tickets/new/",
        views.TicketNewView.as_view(),
        name="ticket-new",
    ),
    path("workspace/escalations/", views.EscalationBoardView.as_view(), name="escalation-board"),
    path("workspace/callbacks/", views.CallbackListView.as_view(), name="callback-list"),
    path(
        "workspace/callbacks/<int:pk>/complete/",
        views.CallbackCompleteView.as_view(),
        name="callback-complete",
    ),
]
