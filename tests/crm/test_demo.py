"""seed_demo's crm data: customers with lines on the demo plans, open orders, contacts."""

from collections import Counter
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth.hashers import check_password
from django.core.management import call_command

from crm.choices import OrderStatus, SubscriptionKind, SubscriptionStatus, VerificationResult
from crm.demo import DEMO_CUSTOMERS, DEMO_SERVICE_PASSWORD
from crm.models import (
    BillingAccount,
    Customer,
    IdentityVerification,
    Interaction,
    ServiceOrder,
    Subscription,
    SubscriptionProduct,
)
from crm.services import products_on
from portal.demo import DEMO_LOGINS


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", "--no-progress", stdout=out, stderr=StringIO())
    return out.getvalue()


def crm_table_counts() -> dict[str, int]:
    return {
        model._meta.model_name: model.objects.count()
        for model in apps.get_app_config("crm").get_models()
    }


@pytest.fixture
def seeded(demo_seeded):
    return demo_seeded


def test_seed_demo_creates_the_crm_demo_records(seeded):
    # 10 users, then 11 customers + 27 orders + 5 contacts + 6 verifications, then the
    # billing demo's 33 top-ups (and 11 commerce rows: devices, promotions, a points
    # redemption, instalment plans), then the complaints demo's 10 tickets and 7 notes, then the
    # training demo's 19 rows (team, members, assignments, exams, suggestions, KPIs), then the
    # contact channels' chat, 2 calls, 2 mails, 2 notices and 2 agreements, then customer1's
    # contact preferences (portal.selfservice.demo), then the staff workspaces' 96 usage records
    # and a diagnosis, then last month's bill and its fee entry.
    total = len(DEMO_LOGINS) + 49 + 33 + 11 + 17 + 19 + 9 + 1 + 97 + 2
    assert f"Demo data ready: {total} rows created." in seeded
    assert Customer.objects.count() == len(DEMO_CUSTOMERS) == 11
    assert Counter(Customer.objects.values_list("kind", flat=True)) == {
        "individual": 9,
        "enterprise": 2,
    }
    assert BillingAccount.objects.count() == 11
    assert Counter(Subscription.objects.values_list("kind", "status")) == {
        (SubscriptionKind.MOBILE, SubscriptionStatus.ACTIVE): 12,
        (SubscriptionKind.BROADBAND, SubscriptionStatus.ACTIVE): 3,
        (SubscriptionKind.FIXED_LINE, SubscriptionStatus.ACTIVE): 2,
    }
    assert Counter(SubscriptionProduct.objects.values_list("product__code", flat=True)) == {
        "DAZHONG": 5,
        "DEMO_FEIYOUNG_39": 3,
        "DEMO_LEXIANG_129": 4,
        "DEMO_BROADBAND_300M": 2,
        "DEMO_BROADBAND_1000M": 1,
        "DEMO_FIXED_LINE": 2,
        "CALLER_ID": 4,
        "RING_BACK_TONE": 3,
    }
    assert Counter(ServiceOrder.objects.values_list("status", flat=True)) == {
        OrderStatus.COMPLETED: 24,
        OrderStatus.RECEPTION: 1,
        OrderStatus.REVIEW: 1,
        OrderStatus.PROCESSING: 1,
    }
    assert set(ServiceOrder.objects.values_list("created_by__username", flat=True)) == {"sales"}
    # The hall and hotline contacts of crm.demo, and the billing demo's 2 hall visits for
    # instalment sales (each with the document checked); crm.channel_demo adds a chat, calls
    # and a mail.
    contacts = Interaction.objects.filter(chat__isnull=True, call__isnull=True, email__isnull=True)
    assert contacts.filter(ended_at__isnull=False).count() == 5 + 2
    assert contacts.count() == 5 + 2
    assert Counter(IdentityVerification.objects.values_list("result", flat=True)) == {
        VerificationResult.PASSED: 5 + 2,
        VerificationResult.FAILED: 1,
    }


def test_seed_demo_twice_creates_no_crm_rows(seeded):
    before = crm_table_counts()

    output = seed()

    assert "Demo data ready: 0 rows created." in output
    assert crm_table_counts() == before


def test_demo_customer_logins_are_linked_to_customers_with_live_lines(seeded):
    linked = {
        customer.user.username: customer
        for customer in Customer.objects.filter(user__isnull=False).select_related("user")
    }

    assert {username: customer.name for username, customer in linked.items()} == {
        "customer1": "赵伟",
        "customer2": "孙丽",
        "customer3": "周杰",
    }
    mobile_lines = linked["customer1"].subscriptions.filter(
        kind=SubscriptionKind.MOBILE, status=SubscriptionStatus.ACTIVE
    )
    assert [line.msisdn for line in mobile_lines] == ["18900000001"]
    today_products = products_on(mobile_lines[0], mobile_lines[0].activated_on)
    assert sorted(row.product.code for row in today_products) == ["CALLER_ID", "DAZHONG"]


def test_every_demo_customer_has_the_demo_service_password(seeded):
    hashes = Customer.objects.values_list("service_password", flat=True)

    assert [check_password(DEMO_SERVICE_PASSWORD, hashed) for hashed in hashes] == [True] * 11


def test_open_demo_orders_wait_at_their_steps(seeded):
    open_orders = ServiceOrder.objects.exclude(status=OrderStatus.COMPLETED).order_by("notes")

    assert [(order.notes, order.kind, order.status) for order in open_orders] == [
        ("演示数据 C02-O1", "change_plan", "reception"),
        ("演示数据 C04-O1", "open_number", "review"),
        ("演示数据 C06-O1", "broadband_installation", "processing"),
    ]
    assert [order.steps.count() for order in open_orders] == [1, 4, 5]
