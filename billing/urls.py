"""Portal pages of billing; ``portal.urls`` includes them at the site root.

``my/billing/...`` is the customer's own, ``workspace/customers/<pk>/billing/...`` a customer's
as staff see it (next to the crm customer page), ``invoices/verify/`` the public invoice check.
"""

from django.urls import path

from billing import commerce_views, views

app_name = "billing"

urlpatterns = [
    path("my/billing/", views.MyBillingView.as_view(), name="my-billing"),
    path("my/billing/bills/<int:pk>/", views.MyBillView.as_view(), name="my-bill"),
    path("my/billing/bills/<int:pk>/invoice.pdf", views.MyInvoiceView.as_view(), name="my-invoice"),
    path(
        "workspace/customers/<int:customer_pk>/billing/",
        views.CustomerBillingView.as_view(),
        name="customer-billing",
    ),
    path(
        "workspace/customers/<int:customer_pk>/billing/bills/<int:pk>/",
        views.CustomerBillView.as_view(),
        name="customer-bill",
    ),
    path(
        "workspace/customers/<int:customer_pk>/billing/bills/<int:pk>/invoice.pdf",
        views.CustomerInvoiceView.as_view(),
        name="customer-invoice",
    ),
    path("invoices/verify/", views.InvoiceCheckView.as_view(), name="invoice-check"),
    # Commerce: points, instalments, account status, instalment sales.
    path("my/points/", commerce_views.MyPointsView.as_view(), name="my-points"),
    path("my/points/redeem/", commerce_views.MyPointsRedeemView.as_view(), name="my-points-redeem"),
    path("my/instalments/", commerce_views.MyInstalmentsView.as_view(), name="my-instalments"),
    path(
        "my/instalments/<int:pk>/payoff/",
        commerce_views.MyPayoffView.as_view(),
        name="my-instalment-payoff",
    ),
    path(
        "my/account-status/",
        commerce_views.MyAccountStatusView.as_view(),
        name="my-account-status",
    ),
    path(
        "workspace/customers/<int:customer_pk>/account-status/",
        commerce_views.CustomerAccountStatusView.as_view(),
        name="customer-account-status",
    ),
    path(
        "workspace/instalments/",
        commerce_views.InstalmentSalesListView.as_view(),
        name="instalment-sales",
    ),
    path(
        "workspace/instalments/new/",
        commerce_views.InstalmentSaleView.as_view(),
        name="instalment-sale",
    ),
    path(
        "workspace/instalments/<int:pk>/",
        commerce_views.InstalmentPlanPage.as_view(),
        name="instalment-plan",
    ),
    path(
        "workspace/instalments/<int:pk>/cancel/",
        commerce_views.InstalmentCancelView.as_view(),
        name="instalment-cancel",
    ),
    path(
        "workspace/instalments/<int:pk>/payoff/",
        commerce_views.InstalmentPayoffView.as_view(),
        name="instalment-payoff",
    ),
]
