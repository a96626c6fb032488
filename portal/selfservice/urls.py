"""Pages of the customer self-service portal; ``portal.urls`` includes them at the site root.
``my/...`` are the signed-in customer's own, ``accounts/password-reset/...`` the reset by SMS
code (signed out). ``/my/`` itself (the overview) is named ``customer-home`` in ``portal.urls``.
"""

from django.urls import path

from portal.selfservice import views

app_name = "selfservice"

urlpatterns = [
    path("my/top-up/", views.TopUpView.as_view(), name="top-up"),
    path("my/top-up/<int:pk>/", views.TopUpDoneView.as_view(), name="top-up-done"),
    path("my/services/", views.ServicesView.as_view(), name="services"),
    path("my/services/<slug:action>/", views.ServiceOrderView.as_view(), name="service-order"),
    path("my/plan/", views.PlanChangeView.as_view(), name="plan"),
    path("my/orders/", views.MyOrdersView.as_view(), name="orders"),
    path("my/privacy/", views.PrivacyView.as_view(), name="privacy"),
]
