"""seed_demo adds an offer of each kind, devices, points (earned and redeemed) and instalment
plans sold by the demo sales advisor after checking the customer's document."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from billing.choices import PromotionKind
from billing.models import Device, InstalmentPlan, PointsEntry, Promotion, PromotionRedemption
from billing.points import audit_points, points_balance
from billing.services import audit_ledger


@pytest.fixture
def seeded(demo_seeded):
    return demo_seeded


def test_the_demo_has_every_kind_of_offer_devices_points_and_plans(seeded):
    assert set(Promotion.objects.values_list("kind", flat=True)) == set(PromotionKind.values)
    assert Device.objects.filter(is_demo=True).count() == 3
    plans = {
        plan.customer.user.username if plan.customer.user else plan.customer.kind: plan
        for plan in InstalmentPlan.objects.select_related("customer__user", "promotion")
    }
    assert (plans["customer1"].months, plans["customer1"].financed_amount) == (
        12,
        Decimal("3000.00"),
    )
    group = plans["enterprise"]
    assert (group.promotion.code, group.discount) == ("demo-group-3-lines", Decimal("599.90"))
    assert all(plan.dues.count() == plan.months for plan in plans.values())
    customer1 = plans["customer1"].customer
    # 180 points earned from the demo top-ups, 100 spent on bill credit.
    assert points_balance(customer1) == 80
    assert PromotionRedemption.objects.filter(points_entry__isnull=False).count() == 1
    assert PointsEntry.objects.filter(kind="earn").count() == 33
    assert audit_points() == []
    assert audit_ledger() == []


def test_a_second_seed_creates_no_commerce_rows(seeded):
    def counts():
        return [
            model.objects.count()
            for model in (Promotion, Device, InstalmentPlan, PointsEntry, PromotionRedemption)
        ]

    before = counts()
    call_command("seed_demo", "--no-progress", stdout=StringIO(), stderr=StringIO())

    assert counts() == before
