"""Factories for billing records."""

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from billing.choices import UsageEventType, UsageStatus
from billing.models import CdrImport, UsageRecord
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
