"""Demo data of the customer self-service portal, loaded by ``seed_demo`` after the other apps.

customer1 (赵伟) has chosen in the portal: marketing SMS on, service notices by SMS on, no
e-mail copies; and subscribed to the music package (爱音乐-全能听) on their mobile line by a
self-service order. Both go through the services, keyed on what they create, so a second run
creates nothing.
"""

from collections.abc import Callable

from crm.choices import OrderKind, SubscriptionKind, SubscriptionStatus
from crm.models import Customer, Product, ServiceOrder
from selfservice.choices import PreferenceField
from selfservice.models import ContactPreference
from selfservice.services import place_self_service_order, update_contact_preferences

DEMO_LOGIN = "customer1"


def _demo_customer() -> Customer | None:
    return Customer.objects.select_related("user").filter(user__username=DEMO_LOGIN).first()


def seed_demo_preferences() -> int:
    customer = _demo_customer()
    if customer is None or ContactPreference.objects.filter(customer=customer).exists():
        return 0
    update_contact_preferences(
        customer,
        actor=customer.user,
        **{
            PreferenceField.MARKETING_SMS: True,
            PreferenceField.NOTICES_BY_SMS: True,
            PreferenceField.MESSAGES_BY_EMAIL: False,
        },
    )
    return 1


def seed_demo_self_service_order() -> int:
    customer = _demo_customer()
    if customer is None:
        return 0
    music = Product.objects.get(code="VAS_MUSIC")
    line = (
        customer.subscriptions.filter(kind=SubscriptionKind.MOBILE)
        .exclude(status=SubscriptionStatus.TERMINATED)
        .order_by("pk")
        .first()
    )
    ordered = ServiceOrder.objects.filter(
        customer=customer, kind=OrderKind.SUBSCRIBE_SERVICE, product=music
    ).exists()
    if line is None or ordered or line.products.filter(product=music).exists():
        return 0
    place_self_service_order(
        customer,
        kind=OrderKind.SUBSCRIBE_SERVICE,
        subscription=line,
        product=music,
        actor=customer.user,
    )
    return 1


def demo_steps() -> list[tuple[str, Callable[[], int]]]:
    return [
        ("self-service preferences", seed_demo_preferences),
        ("self-service order", seed_demo_self_service_order),
    ]
