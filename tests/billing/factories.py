"""Factories for billing records."""

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from billing.choices import PromotionKind, UsageEventType, UsageStatus
from billing.models import CdrImport, Device, Promotion, UsageRecord
from tests.crm.factories import MobileLineFactory


class CdrImportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CdrImport

    file_name = factory.Sequence(lambda n: f"cdr-{n}.csv")


class UsageRecordFactory(factory.django.DjangoModelFactory):
    """A rated record; give ``subscription``, ``event_type``, ``started_at`` and ``charge``."""

    class Meta:
        model = UsageRecord

    record_id = factory.Sequence(lambda n: f"R{n:09d}")
    cdr_import = factory.SubFactory(CdrImportFactory)
    subscription = factory.SubFactory(MobileLineFactory)
    event_type = UsageEventType.VOICE_OUT_LOCAL
    started_at = factory.LazyFunction(
        lambda: timezone.make_aware(datetime.datetime(2026, 3, 10, 9, 30))
    )
    billing_month = factory.LazyAttribute(
        lambda record: timezone.localtime(record.started_at).date().replace(day=1)
    )
    duration_s = 61
    volume_kb = None
    counterpart = "13900000000"
    charged_units = 2
    charge = Decimal("0.40")
    status = UsageStatus.RATED
    tariff_rule = "DAZHONG voice_out_local 0.20/min"


# --- Commerce ---------------------------------------------------------------------------------


def today():
    return timezone.localdate()


class PromotionFactory(factory.django.DjangoModelFactory):
    """A limited-time top-up offer running today: top up 100, get 20."""

    class Meta:
        model = Promotion
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"promo-{n}")
    name = factory.Sequence(lambda n: f"充值优惠{n}")
    kind = PromotionKind.TOP_UP_BONUS
    valid_from = factory.LazyFunction(lambda: today() - datetime.timedelta(days=10))
    valid_to = factory.LazyFunction(lambda: today() + datetime.timedelta(days=10))
    min_amount = Decimal("100.00")
    benefit_amount = Decimal("20.00")


class DeviceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Device
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"DEV-{n}")
    brand = "华为"
    name = factory.Sequence(lambda n: f"Mate {n}")
    price = Decimal("3600.00")


def line_for_customer(customer, *, n: int, months_ago: int = 12):
    """An active mobile line of ``customer`` activated ``months_ago`` months ago (its tenure)."""
    from dateutil.relativedelta import relativedelta

    from tests.crm.factories import mobile_number

    return MobileLineFactory(
        customer=customer,
        msisdn=mobile_number(70_000_000 + n),
        activated_on=today() - relativedelta(months=months_ago),
    )


def verify_in_hall(seller, customer):
    """The seller's open hall interaction with a passed check of the customer's document."""
    from crm.choices import Channel, VerificationMethod
    from crm.services import record_verification, start_interaction

    interaction = start_interaction(
        channel=Channel.BUSINESS_HALL, actor=seller, reason="分期购机", customer=customer
    )
    record_verification(
        interaction,
        customer,
        method=VerificationMethod.ID_AND_NAME,
        actor=seller,
        id_number=customer.document_number,
        name=customer.name,
    )
    return interaction


def eligible_customer(n: int, **fields):
    """An adult customer with a mobile line a year old: eligible for a credit purchase."""
    from tests.crm.factories import CustomerFactory

    customer = CustomerFactory(**fields)
    line_for_customer(customer, n=n)
    return customer
