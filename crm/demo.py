"""Demo customers with lines on the demo plans, orders at several hall steps and contacts.

Everything is made through the crm services, as in the business hall: customers by
``create_customer``, lines by service orders advanced to completion by the demo sales advisor,
contacts by the demo service specialist with a verification. Each record is keyed (customers on
their document number, orders on their note, contacts on their reason), so a second run of
``seed_demo`` creates nothing. A step counts the records it creates itself (customers, orders,
contacts, verifications), not those the services add alongside (accounts, lines, order steps).

The demo customer1..customer3 logins are linked to the first three customers. Every demo
customer's service password is ``DEMO_SERVICE_PASSWORD``.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from stdnum.cn import ric, uscc

from crm.choices import (
    Channel,
    CustomerKind,
    DocumentType,
    InteractionOutcome,
    OrderKind,
    OrderStatus,
    Segment,
    SubscriptionKind,
    VerificationMethod,
)
from crm.models import Customer, Interaction, Product, ServiceOrder
from crm.services import (
    advance_order,
    clean_customer_data,
    create_customer,
    create_service_order,
    end_interaction,
    link_customer_login,
    record_verification,
    start_interaction,
)

DEMO_SERVICE_PASSWORD = "123456"  # noqa: S105  (published in README: demo data only)
# What a caller who mistypes the service password says, for the demo's failed verification.
WRONG_SERVICE_PASSWORD = "654321"  # noqa: S105
ORDER_NOTE = "演示数据 %s"
SALES_USERNAME = "sales"
SPECIALIST_USERNAME = "specialist"


def resident_id(region: str, birth: str, sequence: int) -> str:
    """A resident ID number with a correct GB 11643 check digit (``ric`` ignores the last)."""
    body = f"{region}{birth}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")


def credit_code(body: str) -> str:
    """A unified social credit code: 17 characters plus their GB 32100 check character."""
    return body + uscc.calc_check_digit(body)


@dataclass(frozen=True)
class DemoLine:
    """A line opened by an order that was completed; ``features`` are ordered on it after."""

    key: str
    kind: SubscriptionKind
    plan: str
    number: str = ""
    address: str = ""
    features: tuple[str, ...] = ()


@dataclass(frozen=True)
class DemoOpenOrder:
    """An order left at ``status``; ``line`` names the DemoLine it concerns, if any."""

    key: str
    kind: OrderKind
    status: OrderStatus
    product: str
    line: str = ""
    number: str = ""
    address: str = ""


@dataclass(frozen=True)
class DemoContact:
    """An ended contact with a passing verification (after a failed one if ``failed_first``)."""

    channel: Channel
    reason: str
    method: VerificationMethod
    outcome: InteractionOutcome
    failed_first: bool = False


@dataclass(frozen=True)
class DemoCustomer:
    key: str
    kind: CustomerKind
    name: str
    document_type: DocumentType
    document_number: str
    contact_phone: str
    address: str
    segment: Segment = Segment.STANDARD
    login: str = ""
    lines: tuple[DemoLine, ...] = ()
    open_orders: tuple[DemoOpenOrder, ...] = ()
    contacts: tuple[DemoContact, ...] = ()


MOBILE = SubscriptionKind.MOBILE
BROADBAND = SubscriptionKind.BROADBAND
FIXED_LINE = SubscriptionKind.FIXED_LINE
INDIVIDUAL = CustomerKind.INDIVIDUAL
ENTERPRISE = CustomerKind.ENTERPRISE

DEMO_CUSTOMERS: tuple[DemoCustomer, ...] = (
    DemoCustomer(
        "C01",
        INDIVIDUAL,
        "赵伟",
        DocumentType.RESIDENT_ID,
        resident_id("310101", "19850312", 11),
        "18916000001",
        "上海市黄浦区南京东路100弄3号",
        Segment.VIP,
        login="customer1",
        lines=(
            DemoLine("C01-L1", MOBILE, "DAZHONG", "18900000001", features=("CALLER_ID",)),
            DemoLine(
                "C01-L2", BROADBAND, "DEMO_BROADBAND_300M", address="上海市黄浦区南京东路100弄3号"
            ),
        ),
        contacts=(
            DemoContact(
                Channel.HOTLINE,
                "查询本月话费和余额",
                VerificationMethod.SERVICE_PASSWORD,
                InteractionOutcome.RESOLVED,
            ),
        ),
    ),
    DemoCustomer(
        "C02",
        INDIVIDUAL,
        "孙丽",
        DocumentType.RESIDENT_ID,
        resident_id("440106", "19900722", 24),
        "18916000002",
        "广州市天河区体育西路55号",
        login="customer2",
        lines=(
            DemoLine(
                "C02-L1", MOBILE, "DEMO_FEIYOUNG_39", "18900000002", features=("RING_BACK_TONE",)
            ),
        ),
        open_orders=(
            DemoOpenOrder(
                "C02-O1",
                OrderKind.CHANGE_PLAN,
                OrderStatus.RECEPTION,
                "DEMO_LEXIANG_129",
                line="C02-L1",
            ),
        ),
        contacts=(
            DemoContact(
                Channel.ONLINE_CHAT,
                "咨询套餐变更",
                VerificationMethod.ID_AND_NAME,
                InteractionOutcome.INFORMATION_GIVEN,
            ),
        ),
    ),
    DemoCustomer(
        "C03",
        INDIVIDUAL,
        "周杰",
        DocumentType.RESIDENT_ID,
        resident_id("330106", "19781105", 37),
        "18916000003",
        "杭州市西湖区文三路90号",
        login="customer3",
        lines=(
            DemoLine(
                "C03-L1",
                MOBILE,
                "DEMO_LEXIANG_129",
                "18900000003",
                features=("CALLER_ID", "RING_BACK_TONE"),
            ),
            DemoLine(
                "C03-L2", FIXED_LINE, "DEMO_FIXED_LINE", "057188001234", "杭州市西湖区文三路90号"
            ),
        ),
    ),
    DemoCustomer(
        "C04",
        INDIVIDUAL,
        "王芳",
        DocumentType.RESIDENT_ID,
        resident_id("110105", "19920214", 48),
        "18916000004",
        "北京市朝阳区建国路88号",
        lines=(DemoLine("C04-L1", MOBILE, "DAZHONG", "18900000004"),),
        open_orders=(
            DemoOpenOrder(
                "C04-O1",
                OrderKind.OPEN_NUMBER,
                OrderStatus.REVIEW,
                "DEMO_FEIYOUNG_39",
                number="18900000014",
            ),
        ),
        contacts=(
            DemoContact(
                Channel.HOTLINE,
                "咨询办理第二张号卡",
                VerificationMethod.SERVICE_PASSWORD,
                InteractionOutcome.CALLBACK_NEEDED,
                failed_first=True,
            ),
        ),
    ),
    DemoCustomer(
        "C05",
        INDIVIDUAL,
        "李强",
        DocumentType.RESIDENT_ID,
        resident_id("320102", "19650930", 51),
        "18916000005",
        "南京市玄武区中山路18号",
        lines=(DemoLine("C05-L1", MOBILE, "DEMO_FEIYOUNG_39", "18900000005"),),
    ),
    DemoCustomer(
        "C06",
        INDIVIDUAL,
        "陈静",
        DocumentType.RESIDENT_ID,
        resident_id("510104", "19880808", 62),
        "18916000006",
        "成都市锦江区春熙路6号",
        Segment.VIP,
        lines=(
            DemoLine(
                "C06-L1", MOBILE, "DEMO_LEXIANG_129", "18900000006", features=("RING_BACK_TONE",)
            ),
        ),
        open_orders=(
            DemoOpenOrder(
                "C06-O1",
                OrderKind.BROADBAND_INSTALLATION,
                OrderStatus.PROCESSING,
                "DEMO_BROADBAND_1000M",
                address="成都市锦江区春熙路6号",
            ),
        ),
    ),
    DemoCustomer(
        "C07",
        INDIVIDUAL,
        "黄磊",
        DocumentType.RESIDENT_ID,
        resident_id("420106", "19950101", 73),
        "18916000007",
        "武汉市武昌区中南路7号",
        lines=(DemoLine("C07-L1", MOBILE, "DAZHONG", "18900000007"),),
        contacts=(
            DemoContact(
                Channel.HOTLINE,
                "手机无法上网",
                VerificationMethod.SERVICE_PASSWORD,
                InteractionOutcome.RESOLVED,
            ),
        ),
    ),
    DemoCustomer(
        "C08",
        INDIVIDUAL,
        "郭晓燕",
        DocumentType.PASSPORT,
        "E83921045",
        "18916000008",
        "深圳市南山区科技园路1号",
        lines=(
            DemoLine("C08-L1", MOBILE, "DEMO_FEIYOUNG_39", "18900000008", features=("CALLER_ID",)),
        ),
    ),
    DemoCustomer(
        "C09",
        INDIVIDUAL,
        "马超",
        DocumentType.RESIDENT_ID,
        resident_id("350102", "19830419", 84),
        "18916000009",
        "福州市鼓楼区五四路20号",
        lines=(
            DemoLine("C09-L1", MOBILE, "DAZHONG", "18900000009"),
            DemoLine("C09-L2", BROADBAND, "DEMO_BROADBAND_300M", address="福州市鼓楼区五四路20号"),
        ),
    ),
    DemoCustomer(
        "C10",
        ENTERPRISE,
        "上海浦江示范科技有限公司",
        DocumentType.CREDIT_CODE,
        credit_code("91310115MA1H7K2L3"),
        "18916000010",
        "上海市浦东新区张江路88号",
        Segment.VIP,
        lines=(
            DemoLine("C10-L1", MOBILE, "DEMO_LEXIANG_129", "18900000010", features=("CALLER_ID",)),
            DemoLine("C10-L2", MOBILE, "DEMO_LEXIANG_129", "18900000011"),
            DemoLine(
                "C10-L3", FIXED_LINE, "DEMO_FIXED_LINE", "02150801234", "上海市浦东新区张江路88号"
            ),
        ),
        contacts=(
            DemoContact(
                Channel.BUSINESS_HALL,
                "企业批量开户咨询",
                VerificationMethod.ID_AND_NAME,
                InteractionOutcome.INFORMATION_GIVEN,
            ),
        ),
    ),
    DemoCustomer(
        "C11",
        ENTERPRISE,
        "杭州西湖示范贸易有限公司",
        DocumentType.CREDIT_CODE,
        credit_code("91330106MA2B8Q4R6"),
        "18916000011",
        "杭州市西湖区天目山路168号",
        lines=(
            DemoLine("C11-L1", MOBILE, "DAZHONG", "18900000012"),
            DemoLine(
                "C11-L2", BROADBAND, "DEMO_BROADBAND_1000M", address="杭州市西湖区天目山路168号"
            ),
        ),
    ),
)

_LINE_ORDER_KIND = {
    MOBILE: OrderKind.OPEN_NUMBER,
    BROADBAND: OrderKind.BROADBAND_INSTALLATION,
    FIXED_LINE: OrderKind.FIXED_LINE_INSTALLATION,
}


@dataclass
class _Staff:
    sales: object
    specialist: object


def _staff() -> _Staff:
    users = get_user_model().objects.in_bulk(
        [SALES_USERNAME, SPECIALIST_USERNAME], field_name="username"
    )
    return _Staff(sales=users[SALES_USERNAME], specialist=users[SPECIALIST_USERNAME])


def _order_at(key: str, status: OrderStatus, *, staff: _Staff, **order) -> tuple[ServiceOrder, int]:
    """The demo order noted ``key``, created and moved on to ``status`` unless it exists."""
    note = ORDER_NOTE % key
    existing = ServiceOrder.objects.filter(notes=note).first()
    if existing is not None:
        return existing, 0
    created = create_service_order(actor=staff.sales, notes=note, **order)
    while created.status != status:
        created = advance_order(created, actor=staff.sales)
    return created, 1


def _contact(customer: Customer, contact: DemoContact, *, staff: _Staff) -> int:
    if Interaction.objects.filter(customer=customer, reason=contact.reason).exists():
        return 0
    interaction = start_interaction(
        channel=contact.channel, actor=staff.specialist, reason=contact.reason, customer=customer
    )
    answers = {
        VerificationMethod.SERVICE_PASSWORD: {"service_password": DEMO_SERVICE_PASSWORD},
        VerificationMethod.ID_AND_NAME: {
            "id_number": customer.document_number,
            "name": customer.name,
        },
    }
    created = 1
    if contact.failed_first:
        record_verification(
            interaction,
            customer,
            method=VerificationMethod.SERVICE_PASSWORD,
            actor=staff.specialist,
            service_password=WRONG_SERVICE_PASSWORD,
        )
        created += 1
    record_verification(
        interaction,
        customer,
        method=contact.method,
        actor=staff.specialist,
        **answers[contact.method],
    )
    end_interaction(interaction, outcome=contact.outcome, actor=staff.specialist)
    return created + 1


@transaction.atomic
def seed_demo_customer(spec: DemoCustomer) -> int:
    """Create what is missing of one demo customer; return how many records were created."""
    staff = _staff()
    products = Product.objects.in_bulk(field_name="code")
    created = 0
    customer = Customer.objects.filter(
        document_type=spec.document_type, document_number=spec.document_number
    ).first()
    if customer is None:
        data = clean_customer_data(
            kind=spec.kind,
            name=spec.name,
            document_type=spec.document_type,
            document_number=spec.document_number,
            contact_phone=spec.contact_phone,
            address=spec.address,
            segment=spec.segment,
        )
        customer = create_customer(
            data,
            channel=Channel.BUSINESS_HALL,
            actor=staff.sales,
            service_password=DEMO_SERVICE_PASSWORD,
        )
        created += 1
    if spec.login and customer.user_id is None:
        customer = link_customer_login(
            customer, get_user_model().objects.get(username=spec.login), actor=staff.sales
        )

    subscriptions = {}
    for line in spec.lines:
        order, count = _order_at(
            line.key,
            OrderStatus.COMPLETED,
            staff=staff,
            kind=_LINE_ORDER_KIND[line.kind],
            customer=customer,
            product=products[line.plan],
            service_number=line.number,
            iccid=f"898611{line.number[-8:]:0>14}" if line.kind == MOBILE else "",
            installation_address=line.address,
        )
        created += count
        subscriptions[line.key] = order.subscription
        for feature in line.features:
            _order, count = _order_at(
                f"{line.key}-{feature}",
                OrderStatus.COMPLETED,
                staff=staff,
                kind=OrderKind.SUBSCRIBE_SERVICE,
                customer=customer,
                subscription=order.subscription,
                product=products[feature],
            )
            created += count
    for open_order in spec.open_orders:
        _order, count = _order_at(
            open_order.key,
            open_order.status,
            staff=staff,
            kind=open_order.kind,
            customer=customer,
            subscription=subscriptions.get(open_order.line),
            product=products[open_order.product],
            service_number=open_order.number,
            iccid=f"898611{open_order.number[-8:]:0>14}" if open_order.number else "",
            installation_address=open_order.address,
        )
        created += count
    for contact in spec.contacts:
        created += _contact(customer, contact, staff=staff)
    return created


def demo_steps() -> list[tuple[str, Callable[[], int]]]:
    return [
        (f"crm customer {spec.key}", lambda spec=spec: seed_demo_customer(spec))
        for spec in DEMO_CUSTOMERS
    ]
