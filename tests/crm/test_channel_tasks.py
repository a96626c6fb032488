"""The contact channels' beat jobs: scheduled on migrate, and run by a real Celery worker."""

import datetime
import mailbox
from email.message import EmailMessage

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from crm import tasks
from crm.agreements import sign_agreement
from crm.channel_choices import ChatStatus, DeliveryStatus, InboundEmailStatus, PresenceStatus
from crm.channel_models import ChatSession, InboundEmail, NoticeDelivery
from crm.chat import start_chat
from crm.contact_centre import set_presence
from crm.notices import create_notice, publish_notice
from portal.models import OutboundSms
from portal.roles import Role
from tests.conftest import wait_for
from tests.crm.factories import CustomerFactory, MobileLineFactory


def test_the_contact_channel_jobs_are_scheduled(db):
    jobs = {
        task.name: task
        for task in PeriodicTask.objects.filter(name__startswith="crm: ").select_related(
            "interval", "crontab"
        )
    }

    assert {name: job.task for name, job in jobs.items()} == {
        "crm: chat and call queues": "crm.tasks.sweep_contact_queues",
        "crm: read the service mailbox": "crm.tasks.fetch_mail_task",
        "crm: send notices by SMS": "crm.tasks.deliver_pending_notices_task",
        "crm: agreement reminders and renewals": "crm.tasks.agreement_renewals_task",
    }
    assert jobs["crm: chat and call queues"].interval.every == 15
    assert (jobs["crm: agreement reminders and renewals"].crontab.hour) == "8"


def test_the_queue_sweep_offers_what_waits_and_closes_what_was_left(make_user, settings):
    waiting = start_chat(customer=CustomerFactory(), topic="咨询", actor=None)
    gone = start_chat(customer=CustomerFactory(), topic="咨询", actor=None)
    ChatSession.objects.filter(pk=gone.pk).update(
        customer_seen_at=timezone.now()
        - datetime.timedelta(seconds=settings.CRM_CHAT_ABANDON_SECONDS + 1)
    )
    specialist = make_user(Role.SERVICE_SPECIALIST, username="sweep-agent")
    set_presence(specialist, PresenceStatus.AVAILABLE)

    result = tasks.sweep_contact_queues()

    assert result == {"chats_offered": 2, "calls_offered": 0, "chats_abandoned": 1}
    assert ChatSession.objects.get(pk=waiting.pk).offered_to == specialist
    assert ChatSession.objects.get(pk=gone.pk).status == ChatStatus.ABANDONED


def test_the_daily_agreement_job_reminds_and_renews(personas):
    sales = personas[Role.SALES_ADVISOR]
    today = timezone.localdate()
    sign_agreement(
        MobileLineFactory(),
        actor=sales,
        term_months=1,
        starts_on=today - datetime.timedelta(days=40),
    )
    sign_agreement(
        MobileLineFactory(),
        actor=sales,
        term_months=1,
        starts_on=today - datetime.timedelta(days=10),
    )

    assert tasks.agreement_renewals_task() == {"reminded": 1, "renewed": 1, "expired": 0}


def test_the_mail_job_does_nothing_without_a_mailbox(db, settings):
    settings.CRM_MAIL_IN_URL = ""

    assert tasks.fetch_mail_task() == 0


@pytest.fixture
def maildir_url(tmp_path, monkeypatch):
    """A real maildir the worker process reads (its URL reaches the worker's environment)."""
    box = mailbox.Maildir(tmp_path / "Maildir", create=True)
    message = EmailMessage()
    message["From"] = "mail-worker@example.com"
    message["Subject"] = "宽带故障，请帮忙"
    message["Message-ID"] = "<worker-1@example.com>"
    message.set_content("家里宽带断网了。")
    box.add(message.as_bytes())
    box.close()
    url = f"maildir://{tmp_path / 'Maildir'}"
    monkeypatch.setenv("CRM_MAIL_IN_URL", url)
    return url


@pytest.mark.celery_worker
def test_a_real_worker_texts_each_notice_once_and_reads_the_mailbox(
    maildir_url, celery_worker, django_user_model
):
    supervisor = django_user_model.objects.create(username="worker-supervisor")
    CustomerFactory(email="mail-worker@example.com")
    for _ in range(4):
        CustomerFactory()
    publish_notice(
        create_notice(
            kind="fraud_warning", title="防诈提醒", body="勿泄露验证码", actor=supervisor
        ),
        actor=supervisor,
    )

    for _ in range(3):
        tasks.deliver_pending_notices_task.delay()
    tasks.fetch_mail_task.delay()

    assert wait_for(
        lambda: (
            NoticeDelivery.objects.filter(status=DeliveryStatus.SENT).count() == 5
            and InboundEmail.objects.count() == 1
        )
    ), celery_worker.log()
    assert OutboundSms.objects.filter(body__contains="防诈提醒").count() == 5
    assert InboundEmail.objects.get().status == InboundEmailStatus.TICKET_OPENED
