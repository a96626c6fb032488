"""Outbox delivery in-process, against a gateway that records every call: retries with backoff
through long outages, one delivery per key after a claim was lost, surveys that count as sent
only once delivered, parallel sweeps, time budgets, and no gateway call inside a transaction.

Hours of outage are played on a clock the sweeps are given (``now=``); everything else is
real: the database, the claims and their locks, the gateway's log.
"""

import datetime
import random
import threading

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from complaints import delivery, tasks
from complaints.choices import CallbackStatus, NotificationStatus, SurveyStatus, TicketStatus
from complaints.models import Notification, Survey
from complaints.notifications import notify_account_holder
from complaints.services import assign_ticket, resolve_ticket, transition_ticket
from crm.channel_choices import DeliveryStatus, NoticeKind
from crm.channel_models import NoticeDelivery
from crm.notices import create_notice, deliver_pending_notices, publish_notice
from portal import outbox
from portal.models import OutboundSms
from portal.roles import Role
from tests.complaints.factories import make_ticket
from tests.conftest import texts_handed_over
from tests.crm.factories import CustomerFactory, MobileLineFactory
from tests.portal.factories import UserFactory

MINUTE = datetime.timedelta(minutes=1)


def account_messages(count: int) -> list[Notification]:
    rows = []
    for _ in range(count):
        rows += notify_account_holder(CustomerFactory(), subject="余额不足", body="请及时充值。")
    return rows


def published_notice(personas, audience: int):
    for _ in range(audience):
        CustomerFactory()
    supervisor = personas[Role.SUPERVISOR]
    notice = create_notice(
        kind=NoticeKind.FRAUD_WARNING,
        title="防范诈骗",
        body="请勿向任何人透露验证码。",
        actor=supervisor,
    )
    return publish_notice(notice, actor=supervisor)


def run_sweeps(start, end, step):
    """Beat's sweeps, one every ``step`` of the played clock."""
    now = start
    while now <= end:
        delivery.deliver_due(now=now, budget_seconds=60)
        deliver_pending_notices(now=now, budget_seconds=60)
        now += step


def resolved_ticket(personas):
    engineer = personas[Role.TECH_SUPPORT]
    ticket = make_ticket(personas[Role.SERVICE_SPECIALIST])
    ticket = assign_ticket(ticket, engineer, actor=engineer)
    ticket = transition_ticket(ticket, TicketStatus.IN_PROGRESS, actor=engineer)
    return resolve_ticket(ticket, actor=engineer, resolution="已修复。")


# --- backoff ------------------------------------------------------------------------------------


def test_retry_delays_double_up_to_the_longest_and_keep_a_random_half():
    policy = outbox.RetryPolicy(
        first_delay=datetime.timedelta(seconds=30), longest_delay=datetime.timedelta(hours=1)
    )
    rng = random.Random(7)  # noqa: S311 - jitter, not secrets

    ceilings = [30 * 2 ** (n - 1) for n in range(1, 9)] + [3600] * 4
    delays = [policy.delay(n, rng).total_seconds() for n in range(1, 13)]

    assert all(c / 2 <= d <= c for c, d in zip(ceilings, delays, strict=True))
    assert len({round(d) for d in delays}) == len(delays)  # jittered, not the same each time


# --- outages ------------------------------------------------------------------------------------


def test_a_gateway_down_for_thirty_minutes_delivers_everything_once_after_it_recovers(
    personas, sms_gateway
):
    messages = account_messages(30)
    notice = published_notice(personas, 20)
    start = timezone.now()
    recovered = start + 30 * MINUTE

    sms_gateway.set_down(True)
    run_sweeps(start, recovered - MINUTE, MINUTE)
    assert Notification.objects.filter(status=NotificationStatus.SENT).count() == 0
    sms_gateway.set_down(False)
    run_sweeps(recovered, start + 3 * 60 * MINUTE, MINUTE)

    sent = Notification.objects.filter(pk__in=[m.pk for m in messages])
    deliveries = NoticeDelivery.objects.filter(notice=notice)
    assert set(sent.values_list("status", flat=True)) == {NotificationStatus.SENT}
    assert set(deliveries.values_list("status", flat=True)) == {DeliveryStatus.SENT}
    keys = {m.idempotency_key for m in sent} | {d.idempotency_key for d in deliveries}
    assert sms_gateway.deliveries_per_key() == dict.fromkeys(keys, 1)
    # Each was refused and retried during the outage, and went out after the recovery.
    assert min(sent.values_list("attempts", flat=True)) > 3
    assert min(sent.values_list("sent_at", flat=True)) >= recovered


def test_an_outage_longer_than_the_retry_window_fails_a_message_only_after_it(
    db, sms_gateway, settings
):
    (message,) = account_messages(1)
    start = timezone.now()
    sms_gateway.set_down(True)

    run_sweeps(start, start + datetime.timedelta(hours=23), 10 * MINUTE)
    message.refresh_from_db()
    assert message.status == NotificationStatus.PENDING
    run_sweeps(start + datetime.timedelta(hours=23), start + datetime.timedelta(hours=26), MINUTE)

    message.refresh_from_db()
    assert message.status == NotificationStatus.FAILED
    assert "SMS centre unavailable" in message.error
    # Doubling to an hour, then hourly: about thirty tries spread over the day, not 5 in minutes.
    assert 20 <= message.attempts <= 40
    assert sms_gateway.accepted_keys() == set()


def test_a_message_whose_worker_died_after_the_gateway_accepted_is_delivered_once(
    db, sms_gateway, settings
):
    (message,) = account_messages(1)
    start = timezone.now()
    # A worker claims the row and the gateway accepts; then the worker is gone (no record).
    outbox.claim(Notification.objects.all(), now=start, limit=10)
    sms_gateway.send(
        OutboundSms(msisdn=message.address), message.body, idempotency_key=message.idempotency_key
    )

    # Before the claim timeout nobody touches it; after it, the next sweep sends it again.
    delivery.deliver_due(now=start + datetime.timedelta(seconds=60))
    message.refresh_from_db()
    assert message.status == NotificationStatus.SENDING
    later = start + datetime.timedelta(seconds=settings.OUTBOX_CLAIM_TIMEOUT_SECONDS + 1)
    delivery.deliver_due(now=later)

    message.refresh_from_db()
    assert (message.status, message.attempts) == (NotificationStatus.SENT, 2)
    assert [call["outcome"] for call in sms_gateway.calls()] == ["delivered", "repeat"]
    assert {call["key"] for call in sms_gateway.calls()} == {message.idempotency_key}
    assert OutboundSms.objects.filter(idempotency_key=message.idempotency_key).count() == 1


def test_an_e_mail_carries_its_row_key_as_message_id_on_every_attempt(db, settings):
    customer = CustomerFactory(email="zhao@example.com")
    settings.DEFAULT_FROM_EMAIL = "service@crm.example.cn"
    _sms, email = notify_account_holder(customer, subject="账单", body="本月账单已出。")

    delivery.deliver_due()
    first = Notification.objects.get(pk=email.pk)
    # Sent again after all (its worker's claim taken for abandoned): the same Message-ID.
    Notification.objects.filter(pk=email.pk).update(status=NotificationStatus.PENDING)
    delivery.deliver_due()

    assert first.status == NotificationStatus.SENT
    ids = {message.message()["Message-ID"] for message in mail.outbox}
    assert ids == {f"<notification-{email.pk}@crm.example.cn>"}
    assert len(mail.outbox) == 2


# --- surveys --------------------------------------------------------------------------------------


def test_a_survey_counts_as_sent_only_once_its_message_is_delivered(personas, sms_gateway):
    ticket = resolved_ticket(personas)
    survey = ticket.surveys.get()
    Survey.objects.filter(pk=survey.pk).update(send_after=timezone.now())
    sms_gateway.set_down(True)

    assert tasks.send_survey(survey.pk) == 0
    survey.refresh_from_db()
    assert (survey.status, survey.sent_at) == (SurveyStatus.SENDING, None)
    assert tasks.send_survey(survey.pk) == 0  # a repeated task writes no second message

    sms_gateway.set_down(False)
    delivery.deliver_due(now=timezone.now() + 2 * MINUTE)

    survey.refresh_from_db()
    assert survey.status == SurveyStatus.SENT
    assert ticket.events.filter(kind="survey", to_value=SurveyStatus.SENT).count() == 1
    (message,) = survey.messages.all()
    assert sms_gateway.deliveries_per_key()[message.idempotency_key] == 1


def test_a_survey_none_of_whose_messages_can_be_delivered_becomes_a_callback(personas, sms_gateway):
    ticket = resolved_ticket(personas)
    survey = ticket.surveys.get()
    Survey.objects.filter(pk=survey.pk).update(send_after=timezone.now())
    sms_gateway.set_down(True)
    tasks.send_survey(survey.pk)

    start = timezone.now()
    run_sweeps(start, start + datetime.timedelta(hours=26), 30 * MINUTE)

    survey.refresh_from_db()
    assert survey.status == SurveyStatus.CALLBACK
    assert survey.callback.status == CallbackStatus.OPEN
    assert set(survey.messages.values_list("status", flat=True)) == {NotificationStatus.FAILED}


# --- sweeps: parallel, bounded in time ----------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_sweeps_at_once_share_the_backlog_and_never_send_a_message_twice(sms_gateway):
    messages = account_messages(24)
    sms_gateway.set_delay(0.05)
    sent = []

    def sweep():
        sent.append(delivery.deliver_due(budget_seconds=60))

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(sent) == len(messages) and min(sent) > 0, sent
    assert sms_gateway.deliveries_per_key() == {m.idempotency_key: 1 for m in messages}
    assert not any(call["in_transaction"] for call in sms_gateway.calls())


def test_a_sweep_keeps_to_its_time_budget_and_hands_the_rest_back(db, sms_gateway, settings):
    settings.OUTBOX_CLAIM_BATCH = 10
    messages = account_messages(10)
    sms_gateway.set_delay(0.2)

    sent = delivery.deliver_due(budget_seconds=0.5)

    rows = Notification.objects.filter(pk__in=[m.pk for m in messages])
    assert 1 <= sent <= 4
    waiting = rows.filter(status=NotificationStatus.PENDING)
    assert waiting.count() == len(messages) - sent
    assert set(waiting.values_list("attempts", flat=True)) == {0}


# --- one-time codes -------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_code_reaches_the_gateway_after_the_commit_and_never_inside_a_transaction(
    client, sms_gateway
):
    customer = CustomerFactory(user=UserFactory(username="code-customer"))
    MobileLineFactory(customer=customer, msisdn="18900000123")

    response = client.post(reverse("password-reset"), {"phone": "18900000123"})

    (call,) = sms_gateway.calls()
    sms = OutboundSms.objects.get()
    assert response.status_code == 302
    assert (call["key"], call["in_transaction"]) == (f"sms-{sms.pk}", False)
    assert "******" in sms.body and "******" not in call["body"]
    assert sms.status == OutboundSms.Status.SENT


def test_a_code_the_gateway_refuses_is_recorded_and_the_page_still_answers(db, client, sms_gateway):
    customer = CustomerFactory(user=UserFactory(username="code-customer-2"))
    MobileLineFactory(customer=customer, msisdn="18900000124")
    sms_gateway.set_down(True)

    with texts_handed_over():
        response = client.post(reverse("password-reset"), {"phone": "18900000124"})

    sms = OutboundSms.objects.get()
    assert response.status_code == 302
    assert (sms.status, sms.error) == (OutboundSms.Status.FAILED, "SMS centre unavailable")
