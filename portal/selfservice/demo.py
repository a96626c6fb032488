"""Demo data of the customer self-service portal, loaded by ``seed_demo`` after the other apps.

customer1 (赵伟) has chosen in the portal: marketing SMS on, service notices by SMS on, no
e-mail copies. The choice goes through the service (with its consent history); a second run
finds the preferences and creates nothing.
"""

from collections.abc import Callable

from crm.models import Customer
from portal.selfservice.choices import PreferenceField
from portal.selfservice.models import ContactPreference
from portal.selfservice.services import update_contact_preferences

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


def demo_steps() -> list[tuple[str, Callable[[], int]]]:
    return [
        ("self-service preferences", seed_demo_preferences),
    ]
