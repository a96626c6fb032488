from django.urls import path

from portal.selfservice.api import views

urlpatterns = [
    path("me/preferences/", views.PreferencesView.as_view(), name="api-my-preferences"),
    path("me/pii-access/", views.PiiAccessListView.as_view(), name="api-my-pii-access"),
    path(
        "auth/password-reset/",
        views.PasswordResetRequestView.as_view(),
        name="api-password-reset",
    ),
    path(
        "auth/password-reset/confirm/",
        views.PasswordResetConfirmView.as_view(),
        name="api-password-reset-confirm",
    ),
]
