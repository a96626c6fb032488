"""Portal pages of billing; ``portal.urls`` includes them at the site root.

``my/billing/...`` is the customer's own, ``workspace/customers/<pk>/billing/...`` a customer's
as staff see it (next to the crm customer page), ``invoices/verify/`` the public invoice check.
"""

from django.urls import path

from billing import views

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
]
