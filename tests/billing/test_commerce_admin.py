"""Admin for billing commerce: promotions, devices and credit policies are edited there; points,
plans, arrears and reminders are shown read-only."""

import pytest
from django.urls import reverse

from billing.choices import PromotionKind
from billing.models import CreditPolicy, Promotion
from tests.billing.factories import PromotionFactory, today


@pytest.fixture
def admin_client(client, make_user):
    client.force_login(make_user(None, username="root", is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize("model", ["promotion", "device", "creditpolicy"])
def test_offers_devices_and_credit_policies_are_editable(admin_client, model):
    add = admin_client.get(reverse(f"admin:billing_{model}_add"))
    changelist = admin_client.get(reverse(f"admin:billing_{model}_changelist"))

    assert (changelist.status_code, add.status_code) == (200, 200)


@pytest.mark.parametrize(
    "model",
    [
        "promotionredemption",
        "pointsaccount",
        "pointsentry",
        "instalmentplan",
        "instalmentdue",
        "arrearscase",
        "lowbalancealert",
    ],
)
def test_points_plans_and_arrears_are_read_only(admin_client, model):
    changelist = admin_client.get(reverse(f"admin:billing_{model}_changelist"))
    add = admin_client.get(reverse(f"admin:billing_{model}_add"))

    assert (changelist.status_code, add.status_code) == (200, 403)


def test_the_migration_creates_a_credit_policy_per_segment(db):
    assert list(
        CreditPolicy.objects.order_by("segment").values_list(
            "segment", "overdraft_limit", "purchase_credit_limit", "min_tenure_months"
        )
    ) == [("standard", 0, 3000, 6), ("vip", 100, 10000, 0)]


def test_a_points_offer_without_its_cost_is_refused_on_the_form(admin_client):
    response = admin_client.post(
        reverse("admin:billing_promotion_add"),
        {
            "code": "points-broken",
            "name": "坏的积分兑换",
            "kind": PromotionKind.POINTS_REDEMPTION,
            "is_active": "on",
            "valid_from": today().isoformat(),
            "valid_to": today().isoformat(),
            "benefit_amount": "0",
            "benefit_percent": "0",
            "reward_months": "1",
            "redemption_records-TOTAL_FORMS": "0",
            "redemption_records-INITIAL_FORMS": "0",
        },
        headers={"accept-language": "en"},
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert set(errors) == {"points_cost", "reward"}
    assert Promotion.objects.count() == 0


def test_a_used_offer_cannot_be_deleted(admin_client, db):
    from billing.services import top_up
    from tests.crm.factories import CustomerFactory

    promotion = PromotionFactory()
    account = CustomerFactory().billing_accounts.get()
    top_up(account, amount="100", channel="online", actor=account.customer.created_by)

    response = admin_client.get(reverse("admin:billing_promotion_delete", args=[promotion.pk]))

    assert response.status_code == 403
