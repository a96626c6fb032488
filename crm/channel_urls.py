"""Pages of the contact channels; ``portal.urls`` includes them at the site root.

``chat/...`` and ``help/...`` are open to visitors (a chat page needs its customer's login or the
session that confirmed it), ``my/agreements/`` is the customer's own, ``workspace/...`` are
staff pages next to the other role sections.
"""

from django.urls import path

from crm import channel_views as views

app_name = "crm-channels"

urlpatterns = [
    path("chat/", views.ChatStartView.as_view(), name="chat-start"),
    path("chat/confirm/", views.ChatConfirmView.as_view(), name="chat-confirm"),
    path("chat/<uuid:token>/", views.ChatRoomView.as_view(), name="chat-room"),
    path("chat/<uuid:token>/poll/", views.ChatPollView.as_view(), name="chat-poll"),
    path("chat/<uuid:token>/<slug:action>/", views.ChatActionView.as_view(), name="chat-action"),
    path("help/", views.HelpIndexView.as_view(), name="help"),
    path("help/<slug:slug>/", views.HelpArticleView.as_view(), name="help-article"),
    path("my/agreements/", views.MyAgreementsView.as_view(), name="my-agreements"),
    path(
        "my/agreements/<int:pk>/agreement.pdf",
        views.MyAgreementPdfView.as_view(),
        name="my-agreement-pdf",
    ),
    path("workspace/contact-centre/", views.ConsoleView.as_view(), name="console"),
    path("workspace/contact-centre/poll/", views.ConsolePollView.as_view(), name="console-poll"),
    path(
        "workspace/contact-centre/presence/",
        views.PresenceUpdateView.as_view(),
        name="presence",
    ),
    path("workspace/chats/<int:pk>/", views.ChatDeskView.as_view(), name="desk"),
    path("workspace/chats/<int:pk>/poll/", views.ChatDeskPollView.as_view(), name="desk-poll"),
    path(
        "workspace/chats/<int:pk>/<slug:action>/",
        views.ChatDeskActionView.as_view(),
        name="desk-action",
    ),
    path("workspace/calls/<int:pk>/", views.CallDeskView.as_view(), name="call"),
    path(
        "workspace/calls/<int:pk>/<slug:action>/",
        views.CallActionView.as_view(),
        name="call-action",
    ),
    path("workspace/ivr-simulator/", views.IvrSimulatorView.as_view(), name="ivr-simulator"),
    path(
        "workspace/agreements/<int:pk>/agreement.pdf",
        views.StaffAgreementPdfView.as_view(),
        name="staff-agreement-pdf",
    ),
]
