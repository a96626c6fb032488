"""Staff portal pages of the crm app, mounted under ``workspace/`` next to the role sections."""

from django.urls import path

from crm import views

app_name = "crm"

urlpatterns = [
    path("customers/", views.CustomerSearchView.as_view(), name="customer-search"),
    path("customers/<int:pk>/", views.CustomerDetailView.as_view(), name="customer-detail"),
    path(
        "customers/<int:pk>/interaction/start/",
        views.StartInteractionView.as_view(),
        name="interaction-start",
    ),
    path(
        "customers/<int:pk>/interaction/verify/",
        views.RecordVerificationView.as_view(),
        name="interaction-verify",
    ),
    path(
        "customers/<int:pk>/interaction/send-code/",
        views.SendVerificationCodeView.as_view(),
        name="interaction-send-code",
    ),
    path(
        "customers/<int:pk>/interaction/end/",
        views.EndInteractionView.as_view(),
        name="interaction-end",
    ),
    path("customers/<int:pk>/reveal/", views.RevealCustomerFieldView.as_view(), name="reveal"),
    path("catalog/", views.CatalogView.as_view(), name="catalog"),
    path("orders/", views.OrderListView.as_view(), name="order-list"),
    path("orders/new/", views.NewOrderView.as_view(), name="order-new"),
    path("orders/<int:pk>/", views.OrderDetailView.as_view(), name="order-detail"),
    path("orders/<int:pk>/advance/", views.AdvanceOrderView.as_view(), name="order-advance"),
    path("orders/<int:pk>/reject/", views.RejectOrderReviewView.as_view(), name="order-reject"),
    path("orders/<int:pk>/cancel/", views.CancelOrderView.as_view(), name="order-cancel"),
]
