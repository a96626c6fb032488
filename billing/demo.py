"""Demo billing data for the demo customers, loaded by ``seed_demo`` after ``crm.demo``.

Each payment goes through ``billing.services.top_up`` with a fixed ``Idempotency-Key``, so a
second ``seed_demo`` replays it instead of paying again: the same mechanism a retrying client
relies on. Bills appear once a month has closed (the scheduled bill run, or
``run_bill_run --period YYYY-MM``).

Before the payments: the demo promotions (one of each kind, all marked 演示 in their name) and
devices, so the payments get the top-up offer and earn points. After them: customer1 redeems
points for bill credit (``billing.points.redeem_points``), and the demo sales advisor, after
checking the identity document in a hall interaction, sells customer1 and the demo enterprise a
phone on instalments (``billing.instalments.purchase_on_instalments``; the enterprise gets the
group price). Promotions and devices are keyed on their code, redemptions and plans on the
customer and the offer or device: a second run creates nothing.
"""

import datetime
from collections.abc import Callable
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from billing.choices import BankCode, PromotionKind, RewardKind, TopUpChannel
from billing.instalments import purchase_on_instalments
from billing.models import Device, InstalmentPlan, Promotion, PromotionRedemption
from billing.points import points_balance, redeem_points
from billing.services import top_up
from crm.choices import InteractionOutcome
from crm.models import BillingAccount, Customer, Product
from crm.services import end_interaction, verify_document_at_counter

CASHIER_USERNAME = "sales"
# (amount, channel, reference) paid into every demo customer's account, in this order.
DEMO_PAYMENTS = (
    ("100.00", TopUpChannel.BUSINESS_HALL, "营业厅现金"),
    ("50.00", TopUpChannel.VOUCHER, "CARD-5000123"),
    ("30.00", TopUpChannel.ONLINE, ""),
)


def seed_demo_top_ups(account: BillingAccount) -> int:
    cashier = get_user_model().objects.get(username=CASHIER_USERNAME)
    created = 0
    for index, (amount, channel, reference) in enumerate(DEMO_PAYMENTS):
        result = top_up(
            account,
            amount=amount,
            channel=channel,
            reference=reference,
            actor=cashier,
            idempotency_key=f"demo-{account.account_number}-{index}",
        )
        created += not result.replayed
    return created


def seed_all_demo_top_ups() -> int:
    # Looked up when the step runs: the crm demo steps before it create these accounts.
    accounts = BillingAccount.objects.filter(customer__document_number__in=demo_documents())
    return sum(seed_demo_top_ups(account) for account in accounts.order_by("pk"))


def demo_documents() -> list[str]:
    from crm.demo import DEMO_CUSTOMERS

    return [spec.document_number for spec in DEMO_CUSTOMERS]


# --- Promotions and devices -------------------------------------------------------------------

DEMO_DEVICES = (
    # code, brand, model, price
    ("DEMO-HUAWEI-MATE60", "华为", "Mate 60 (演示)", "5999.00"),
    ("DEMO-XIAOMI-14", "小米", "14 (演示)", "3999.00"),
    ("DEMO-HONOR-X50", "荣耀", "X50 (演示)", "1399.00"),
)


def demo_promotions(today: datetime.date) -> list[dict]:
    """One offer of each kind of 营业厅 8.3, running for the coming year."""
    year_end = today + datetime.timedelta(days=365)
    common = {"valid_from": today, "valid_to": year_end}
    return [
        {
            "code": "demo-topup-100-10",
            "name": "充100送10 (演示)",
            "description": "限时优惠:单笔充值满100元赠送10元,每位客户限3次。",
            "kind": PromotionKind.TOP_UP_BONUS,
            "min_amount": Decimal("100.00"),
            "benefit_amount": Decimal("10.00"),
            "per_customer_limit": 3,
            "budget": Decimal("50000.00"),
            **common,
        },
        {
            "code": "demo-icbc-5pct",
            "name": "工行卡充值赠5% (演示)",
            "description": "使用工商银行卡充值,赠送充值金额5%,单笔最多赠20元。",
            "kind": PromotionKind.BANK_OFFER,
            "bank": BankCode.ICBC,
            "benefit_percent": Decimal("5.00"),
            "max_benefit": Decimal("20.00"),
            **common,
        },
        {
            "code": "demo-points-credit-5",
            "name": "100积分兑换1元话费 (演示)",
            "description": "积分兑换话费:100积分抵1元。",
            "kind": PromotionKind.POINTS_REDEMPTION,
            "points_cost": 100,
            "reward": RewardKind.BILL_CREDIT,
            "benefit_amount": Decimal("1.00"),
            **common,
        },
        {
            "code": "demo-points-caller-id",
            "name": "积分兑换来电显示3个月 (演示)",
            "description": "500积分兑换来电显示业务3个月。",
            "kind": PromotionKind.POINTS_REDEMPTION,
            "points_cost": 500,
            "reward": RewardKind.VALUE_ADDED_SERVICE,
            "product": Product.objects.filter(code="CALLER_ID").first(),
            "reward_months": 3,
            **common,
        },
        {
            "code": "demo-group-3-lines",
            "name": "企业团购3线以上9折 (演示)",
            "description": "企业客户名下3条及以上号码,购机享9折。",
            "kind": PromotionKind.GROUP_PURCHASE,
            "min_group_size": 3,
            "benefit_percent": Decimal("10.00"),
            "max_benefit": Decimal("800.00"),
            **common,
        },
    ]


@transaction.atomic
def seed_demo_promotions() -> int:
    created = 0
    for code, brand, name, price in DEMO_DEVICES:
        _device, was_created = Device.objects.get_or_create(
            code=code,
            defaults={"brand": brand, "name": name, "price": Decimal(price), "is_demo": True},
        )
        created += was_created
    for spec in demo_promotions(timezone.localdate()):
        if (
            spec["kind"] == PromotionKind.POINTS_REDEMPTION
            and spec.get("reward") == RewardKind.VALUE_ADDED_SERVICE
            and spec.get("product") is None
        ):
            continue  # the catalog migration did not run: no service to give
        code = spec.pop("code")
        _promotion, was_created = Promotion.objects.get_or_create(code=code, defaults=spec)
        created += was_created
    return created


# --- Points and instalments --------------------------------------------------------------------

# (customer key, device, months, down payment, line number)
DEMO_PLANS = (
    ("C01", "DEMO-XIAOMI-14", 12, "999.00", "18900000001"),
    ("C10", "DEMO-HUAWEI-MATE60", 24, "0", "18900000010"),
)


def _demo_customer(key: str) -> Customer | None:
    from crm.demo import DEMO_CUSTOMERS

    spec = next(spec for spec in DEMO_CUSTOMERS if spec.key == key)
    return Customer.objects.filter(document_number=spec.document_number).first()


def seed_demo_redemption() -> int:
    customer = _demo_customer("C01")
    promotion = Promotion.objects.filter(code="demo-points-credit-5").first()
    if customer is None or promotion is None or customer.user is None:
        return 0
    if PromotionRedemption.objects.filter(customer=customer, promotion=promotion).exists():
        return 0
    if points_balance(customer) < promotion.points_cost:
        # Demo data seeded before points existed earned none: nothing to redeem, not an error.
        return 0
    redeem_points(customer, promotion, actor=customer.user)
    return 1


def seed_demo_plan(key: str, device_code: str, months: int, down: str, msisdn: str) -> int:
    customer = _demo_customer(key)
    device = Device.objects.filter(code=device_code).first()
    if customer is None or device is None:
        return 0
    if InstalmentPlan.objects.filter(customer=customer, device=device).exists():
        return 0
    seller = get_user_model().objects.get(username=CASHIER_USERNAME)
    with transaction.atomic():
        verification = verify_document_at_counter(
            customer,
            actor=seller,
            reason="分期购机 (演示)",
            id_number=customer.document_number,
            name=customer.name,
        )
        purchase_on_instalments(
            customer,
            device=device,
            months=months,
            down_payment=down,
            subscription=customer.subscriptions.filter(msisdn=msisdn).first(),
            seller=seller,
            interaction=verification.interaction,
        )
        end_interaction(
            verification.interaction, outcome=InteractionOutcome.ORDER_CREATED, actor=seller
        )
    return 1


def seed_all_demo_plans() -> int:
    return sum(seed_demo_plan(*plan) for plan in DEMO_PLANS)


def demo_steps() -> list[tuple[str, Callable[[], int]]]:
    return [
        ("billing promotions and devices", seed_demo_promotions),
        ("billing top-ups", seed_all_demo_top_ups),
        ("billing points redemption", seed_demo_redemption),
        ("billing instalment plans", seed_all_demo_plans),
    ]
