"""Routes of the bills and balances API; ``portal.api.urls`` includes them under /api/v1/."""

from django.urls import path

from billing.api.bill_views import BalanceViewSet, BillViewSet

urlpatterns = [
    path("bills/", BillViewSet.as_view({"get": "list"}), name="billing-bill-list"),
    path("bills/<int:pk>/", BillViewSet.as_view({"get": "retrieve"}), name="billing-bill-detail"),
    path(
        "bills/<int:pk>/records/",
        BillViewSet.as_view({"get": "records"}),
        name="billing-bill-records",
    ),
    path(
        "bills/<int:pk>/invoice.pdf",
        BillViewSet.as_view({"get": "invoice"}),
        name="billing-bill-invoice",
    ),
    path("balances/", BalanceViewSet.as_view({"get": "list"}), name="billing-balance-list"),
]
