"""The supervisor's page of messages that did not go out: counts, the failed and delayed list,
notices with SMS left, and sending again (recorded who and how many)."""

import datetime

from django.urls import reverse
from django.utils import timezone

from complaints import delivery
from complaints.choices import NotificationStatus
from complaints.models import Notification
from complaints.notifications import notify_account_holder
from crm.channel_choices import DeliveryStatus, NoticeKind
from crm.choices import Segment
from crm.notices import create_notice, deliver_pending_notices, publish_notice
from portal.models import DeliveryRetry
from tests.crm.factories import CustomerFactory

EN = {"accept-language": "en"}


def failed_and_delayed(sms_gateway, count=3):
    """``count`` messages the gateway refused: the first failed for good, the rest delayed."""
    rows = []
    for _ in range(count):
        rows += notify_account_holder(CustomerFactory(), subject="欠费提醒", body="请及时缴费。")
    sms_gateway.set_down(True)
    delivery.deliver_due()
    Notification.objects.filter(pk=rows[0].pk).update(status=NotificationStatus.FAILED)
    return rows


def undelivered_notice(supervisor, sms_gateway, audience=2):
    for _ in range(audience):
        CustomerFactory(segment=Segment.VIP)
    notice = create_notice(
        kind=NoticeKind.MAINTENANCE,
        title="基站维护",
        body="今晚维护。",
        segment=Segment.VIP,
        actor=supervisor,
    )
    notice = publish_notice(notice, actor=supervisor)
    sms_gateway.set_down(True)
    deliver_pending_notices()
    return notice


def test_the_page_counts_and_lists_what_failed_or_waits_for_another_attempt(
    client, supervisor, sms_gateway
):
    failed, *delayed = failed_and_delayed(sms_gateway)
    undelivered_notice(supervisor, sms_gateway)
    client.force_login(supervisor)

    response = client.get(reverse("workspaces:undelivered"), headers=EN)

    page = response.content.decode()
    assert response.status_code == 200
    shown = [row.pk for row in response.context["rows"]]
    assert sorted(shown) == sorted([failed.pk, *(row.pk for row in delayed)])
    assert response.context["message_counts"] | {"oldest_due_age_s": None} == {
        "due": 0,
        "delayed": 2,
        "sending": 0,
        "failed": 1,
        "oldest_due_age_s": None,
    }
    assert response.context["notice_counts"]["delayed"] == 2
    assert [notice.delayed for notice in response.context["notices"]] == [2]
    assert "GatewayUnavailable: SMS centre unavailable" in page
    # Addresses are masked like everywhere else.
    assert failed.address not in page


def test_the_list_filters_failed_from_delayed(client, supervisor, sms_gateway):
    failed, *_delayed = failed_and_delayed(sms_gateway)
    client.force_login(supervisor)

    response = client.get(reverse("workspaces:undelivered"), {"state": "failed"})

    assert [row.pk for row in response.context["rows"]] == [failed.pk]


def test_the_page_runs_a_constant_number_of_queries(
    client, supervisor, sms_gateway, django_assert_num_queries
):
    failed_and_delayed(sms_gateway, count=4)
    client.force_login(supervisor)
    # 1 the session, 2 the user, 3 their permissions, 4 COUNT for the pager, 5 the page of
    # messages with their tickets, 6 and 7 the two outboxes' counts, 8 notices with SMS left.
    with django_assert_num_queries(8):
        response = client.get(reverse("workspaces:undelivered"))

    assert len(response.context["rows"]) == 4


def test_sending_one_message_again_makes_it_due_now_and_records_who(
    client, supervisor, sms_gateway
):
    failed, *_delayed = failed_and_delayed(sms_gateway)
    client.force_login(supervisor)
    sms_gateway.set_down(False)

    response = client.post(reverse("workspaces:retry-messages"), {"message": failed.pk})

    failed.refresh_from_db()
    assert response.status_code == 302
    assert failed.status == NotificationStatus.PENDING
    assert failed.next_attempt_at <= timezone.now()
    assert failed.retry_until > timezone.now() + datetime.timedelta(hours=23)
    retry = DeliveryRetry.objects.get()
    assert (retry.actor, retry.outbox, retry.row_count) == (supervisor, "notifications", 1)
    assert delivery.deliver_due() == 1
    assert failed.idempotency_key in sms_gateway.accepted_keys()


def test_sending_all_again_takes_the_page_filters(client, supervisor, sms_gateway):
    failed_and_delayed(sms_gateway, count=4)
    client.force_login(supervisor)

    client.post(reverse("workspaces:retry-messages"), {"all": "1", "state": "delayed"})

    assert DeliveryRetry.objects.get().row_count == 3
    assert Notification.objects.filter(status=NotificationStatus.FAILED).count() == 1


def test_a_notice_s_sms_are_sent_again_but_not_those_of_a_withdrawn_notice(
    client, supervisor, sms_gateway
):
    notice = undelivered_notice(supervisor, sms_gateway)
    client.force_login(supervisor)
    sms_gateway.set_down(False)

    client.post(reverse("workspaces:retry-messages"), {"notice": notice.pk})

    assert DeliveryRetry.objects.get().row_count == 2
    assert deliver_pending_notices() == 2
    assert set(notice.deliveries.values_list("status", flat=True)) == {DeliveryStatus.SENT}
    assert (
        client.post(reverse("workspaces:retry-messages"), {"notice": notice.pk}).status_code == 404
    )


def test_a_message_outside_the_list_and_a_malformed_id_change_nothing(
    client, supervisor, sms_gateway
):
    (sent,) = notify_account_holder(CustomerFactory(), subject="提醒", body="已缴费。")
    delivery.deliver_due()
    client.force_login(supervisor)

    client.post(reverse("workspaces:retry-messages"), {"message": sent.pk})
    malformed = client.post(reverse("workspaces:retry-messages"), {"message": "1e9"})

    sent.refresh_from_db()
    assert sent.status == NotificationStatus.SENT
    assert malformed.status_code == 404
    assert not DeliveryRetry.objects.exists()
