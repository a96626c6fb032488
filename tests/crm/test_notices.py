"""Notices: the audience by segment and area, delivery through the SMS outbox (once), the
banner rows, withdrawal."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from crm.channel_choices import DeliveryStatus, NoticeKind, NoticeStatus
from crm.channel_errors import ContactError, ContactErrorCode
from crm.channel_models import NoticeDelivery
from crm.choices import Segment
from crm.notices import (
    create_notice,
    deliver_pending_notices,
    publish_notice,
    withdraw_notice,
)
from portal.models import OutboundSms
from portal.roles import Role
from tests.crm.factories import CustomerFactory, MobileLineFactory


@pytest.fixture(autouse=True)
def _in_chinese():
    # Messages are checked in the site's default language, whatever an earlier test activated.
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def supervisor(make_user):
    return make_user(Role.SUPERVISOR, username="notice-supervisor")


def notice(supervisor, **extra):
    values = {
        "kind": NoticeKind.FRAUD_WARNING,
        "title": "防范冒充客服诈骗",
        "body": "近期有不法分子冒充客服索要验证码，请勿泄露。",
        "actor": supervisor,
    }
    return create_notice(**{**values, **extra})


def test_a_notice_reaches_its_segment_only(supervisor):
    vip = [CustomerFactory(segment=Segment.VIP) for _ in range(2)]
    CustomerFactory(segment=Segment.STANDARD)

    published = publish_notice(notice(supervisor, segment=Segment.VIP), actor=supervisor)
    sent = deliver_pending_notices()

    deliveries = NoticeDelivery.objects.filter(notice=published)
    assert (published.status, published.audience_size, sent) == (NoticeStatus.PUBLISHED, 2, 2)
    assert set(deliveries.values_list("customer", flat=True)) == {c.pk for c in vip}
    assert set(deliveries.values_list("status", flat=True)) == {DeliveryStatus.SENT}
    assert sorted(OutboundSms.objects.values_list("msisdn", flat=True)) == sorted(
        c.contact_phone for c in vip
    )
    assert OutboundSms.objects.first().body == (
        "【防范冒充客服诈骗】近期有不法分子冒充客服索要验证码，请勿泄露。"
    )
    assert all(d.sms_id is not None and d.sent_at is not None for d in deliveries)


def test_a_notice_reaches_its_area_by_address_or_installation_address(supervisor):
    by_address = CustomerFactory(address="上海市浦东新区世纪大道100号")
    by_line = CustomerFactory(address="上海市黄浦区")
    MobileLineFactory(customer=by_line, installation_address="上海市浦东新区张江路1号")
    CustomerFactory(address="上海市徐汇区")

    published = publish_notice(
        notice(supervisor, kind=NoticeKind.MAINTENANCE, area="浦东新区"), actor=supervisor
    )

    assert set(published.deliveries.values_list("customer", flat=True)) == {
        by_address.pk,
        by_line.pk,
    }


def test_each_delivery_is_sent_once(supervisor):
    CustomerFactory()
    published = publish_notice(notice(supervisor), actor=supervisor)
    delivery = published.deliveries.get()

    assert deliver_pending_notices() == 1
    assert deliver_pending_notices() == 0
    # Sent again after all (a worker's claim taken for abandoned): the same key, the same SMS.
    NoticeDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.PENDING)
    assert deliver_pending_notices() == 1
    assert OutboundSms.objects.get().idempotency_key == f"notice-delivery-{delivery.pk}"


def test_a_banner_only_notice_sends_no_sms(supervisor):
    CustomerFactory()

    published = publish_notice(notice(supervisor, send_sms=False), actor=supervisor)

    assert deliver_pending_notices() == 0
    assert list(published.deliveries.values_list("status", flat=True)) == [
        DeliveryStatus.BANNER_ONLY
    ]
    assert OutboundSms.objects.count() == 0


def test_withdrawing_stops_what_was_not_sent(supervisor):
    CustomerFactory()
    published = publish_notice(notice(supervisor), actor=supervisor)

    withdraw_notice(published, actor=supervisor)

    assert deliver_pending_notices() == 0
    assert list(published.deliveries.values_list("status", flat=True)) == [DeliveryStatus.FAILED]
    with pytest.raises(ContactError) as republish:
        publish_notice(published, actor=supervisor)
    assert republish.value.code == ContactErrorCode.INVALID_TRANSITION


def test_an_empty_audience_publishes_nothing(supervisor):
    CustomerFactory(segment=Segment.STANDARD)
    draft = notice(supervisor, segment=Segment.VIP)

    with pytest.raises(ContactError) as empty:
        publish_notice(draft, actor=supervisor)

    draft.refresh_from_db()
    assert (empty.value.code, draft.status) == (
        ContactErrorCode.NOTICE_AUDIENCE_EMPTY,
        NoticeStatus.DRAFT,
    )


def test_bad_notices_name_their_fields(supervisor):
    now = timezone.now()
    with pytest.raises(ValidationError) as bad:
        notice(
            supervisor,
            kind="rumour",
            title=" ",
            segment="gold",
            starts_at=now,
            ends_at=now - datetime.timedelta(hours=1),
        )

    assert sorted(bad.value.error_dict) == ["ends_at", "kind", "segment", "title"]
