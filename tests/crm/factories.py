"""Factories for crm records; customers and lines are made through the services, as in life."""

import datetime

import factory
from stdnum.cn import ric, uscc

from crm.choices import Channel, CustomerKind, DocumentType, Segment, SubscriptionKind
from crm.models import Product, Subscription, SubscriptionProduct
from crm.services import (
    clean_customer_data,
    create_customer,
    link_customer_login,
    set_service_password,
)
from tests.portal.factories import UserFactory


def resident_id(n: int, birth: str = "19850615") -> str:
    # 1,000 sequence numbers a birthday: the next thousand are born a day later.
    born = datetime.datetime.strptime(birth, "%Y%m%d").date() + datetime.timedelta(n // 1000)
    body = f"310104{born:%Y%m%d}{n % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def credit_code(n: int) -> str:
    body = f"91310000{n % 10**9:09d}"
    return body + uscc.calc_check_digit(body)


def mobile_number(n: int) -> str:
    return f"139{n % 10**8:08d}"


class CustomerFactory(factory.Factory):
    """``CustomerFactory(name=..., service_password="123456", ...)`` -> a saved Customer."""

    class Meta:
        model = dict

    kind = CustomerKind.INDIVIDUAL
    name = factory.Sequence(lambda n: f"客户{n}")
    document_type = DocumentType.RESIDENT_ID
    document_number = factory.Sequence(resident_id)
    contact_phone = factory.Sequence(lambda n: mobile_number(50_000_000 + n))
    email = ""
    address = "上海市黄浦区南京东路1号"
    segment = Segment.STANDARD
    channel = Channel.BUSINESS_HALL
    actor = factory.LazyFunction(lambda: UserFactory())
    service_password = None
    user = None

    @classmethod
    def _create(cls, model_class, *, channel, actor, service_password, user, **fields):
        customer = create_customer(clean_customer_data(**fields), channel=channel, actor=actor)
        if service_password:
            set_service_password(customer, service_password, actor=actor)
        if user is not None:
            customer = link_customer_login(customer, user, actor=actor)
        return customer

    _build = _create


class EnterpriseFactory(CustomerFactory):
    kind = CustomerKind.ENTERPRISE
    name = factory.Sequence(lambda n: f"上海示例科技有限公司{n}")
    document_type = DocumentType.CREDIT_CODE
    document_number = factory.Sequence(credit_code)


class MobileLineFactory(factory.django.DjangoModelFactory):
    """An active mobile line on a plan (DAZHONG unless ``plan_code`` says otherwise)."""

    class Meta:
        model = Subscription
        exclude = ("plan_code",)
        skip_postgeneration_save = True

    customer = factory.SubFactory(CustomerFactory)
    billing_account = factory.LazyAttribute(lambda line: line.customer.billing_accounts.first())
    kind = SubscriptionKind.MOBILE
    msisdn = factory.Sequence(lambda n: mobile_number(n))
    iccid = factory.Sequence(lambda n: f"8986{n:016d}")
    activated_on = datetime.date(2026, 1, 15)
    plan_code = "DAZHONG"

    @factory.post_generation
    def plan(line, create, extracted, **kwargs):
        if create:
            SubscriptionProduct.objects.create(
                subscription=line,
                product=Product.objects.get(code=extracted or "DAZHONG"),
                effective_from=line.activated_on,
            )
