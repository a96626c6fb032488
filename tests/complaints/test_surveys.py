"""Surveys and callbacks in-process: scheduling with the resolution, the one-time signed link,
low scores reopening, callbacks for unanswered surveys, and the notification outbox."""

import datetime
import re

import pytest
from django.core import mail, signing
from django.db import transaction
from django.utils import timezone

from complaints import delivery, surveys, tasks
from complaints.choices import (
    CallbackOutcome,
    CallbackStatus,
    NotificationChannel,
    NotificationStatus,
    Queue,
    SurveyStatus,
    TicketKind,
    TicketStatus,
)
from complaints.error_codes import TicketErrorCode
from complaints.models import Callback, Notification, Survey
from complaints.services import (
    TicketError,
    add_note,
    assign_ticket,
    reopen_ticket,
    resolve_ticket,
    transition_ticket,
)
from portal.models import OutboundSms
from portal.roles import Role
from tests.complaints.factories import make_ticket
from tests.crm.factories import CustomerFactory, MobileLineFactory


def resolved(personas, engineer, **extra):
    ticket = make_ticket(personas[Role.SERVICE_SPECIALIST], **extra)
    ticket = assign_ticket(ticket, engineer, actor=engineer)
    ticket = transition_ticket(ticket, TicketStatus.IN_PROGRESS, actor=engineer)
    return resolve_ticket(ticket, actor=engineer, resolution="已更换基站板卡，信号恢复。")


def sent_survey(personas, engineer, **extra):
    ticket = resolved(personas, engineer, **extra)
    survey = ticket.surveys.get()
    Survey.objects.filter(pk=survey.pk).update(send_after=timezone.now())
    assert tasks.send_survey(survey.pk)
    survey.refresh_from_db()
    return survey


def test_resolving_schedules_the_survey_after_the_configured_delay(personas, engineer, settings):
    settings.COMPLAINTS_SURVEY_DELAY_HOURS = 24
    before = timezone.now()

    ticket = resolved(personas, engineer)

    survey = ticket.surveys.get()
    assert survey.status == SurveyStatus.SCHEDULED
    delay = survey.send_after - before
    assert datetime.timedelta(hours=24) <= delay < datetime.timedelta(hours=24, minutes=1)
    assert surveys.due_survey_ids() == []
    assert surveys.due_survey_ids(now=before + datetime.timedelta(hours=25)) == [survey.pk]


def test_no_resolution_no_survey(personas, engineer):
    ticket = make_ticket(personas[Role.SERVICE_SPECIALIST])
    ticket = assign_ticket(ticket, engineer, actor=engineer)
    ticket = transition_ticket(ticket, TicketStatus.IN_PROGRESS, actor=engineer)

    with pytest.raises(RuntimeError), transaction.atomic():
        transition_ticket(ticket, TicketStatus.RESOLVED, actor=engineer)
        raise RuntimeError("the request failed after resolving")

    assert not Survey.objects.exists()


def test_a_survey_is_sent_once_with_a_signed_link(personas, engineer):
    line = MobileLineFactory(customer=CustomerFactory(email="li@example.com"))
    ticket = resolved(personas, engineer, line=line)
    survey = ticket.surveys.get()

    first = tasks.send_survey(survey.pk)
    second = tasks.send_survey(survey.pk)

    survey.refresh_from_db()
    # The SMS and the e-mail, delivered at once; a repeated task writes and sends nothing.
    assert (first, second, survey.status) == (2, 0, SurveyStatus.SENT)
    sms = OutboundSms.objects.filter(msisdn=line.msisdn, body__contains="/survey/")
    assert sms.count() == 1
    assert [m.to for m in mail.outbox if "/survey/" in m.body] == [["li@example.com"]]
    token = re.search(r"/survey/([^/]+)/", sms.get().body).group(1)
    assert surveys.survey_from_token(token) == survey


def test_forged_and_expired_links_name_no_survey(personas, engineer, settings):
    survey = sent_survey(personas, engineer)
    token = surveys.survey_url(survey).rstrip("/").rsplit("/", 1)[-1]

    with pytest.raises(Survey.DoesNotExist):
        surveys.survey_from_token(token[:-2] + "xx")
    with pytest.raises(Survey.DoesNotExist):
        surveys.survey_from_token(signing.dumps("not-a-uuid", salt="other"))
    settings.COMPLAINTS_SURVEY_LINK_DAYS = 0
    with pytest.raises(Survey.DoesNotExist):
        surveys.survey_from_token(token)


def test_a_survey_is_answered_once(personas, engineer):
    survey = sent_survey(personas, engineer)

    surveys.answer_survey(survey, score=5, resolved=True, comment="很快修好了")
    with pytest.raises(TicketError) as again:
        surveys.answer_survey(survey, score=1, resolved=False)

    survey.refresh_from_db()
    assert (survey.score, survey.resolved, survey.comment) == (5, True, "很快修好了")
    assert again.value.code == TicketErrorCode.SURVEY_UNAVAILABLE
    assert survey.ticket.status == TicketStatus.RESOLVED


@pytest.mark.parametrize(("score", "resolved_flag"), [(2, True), (1, True), (4, False)])
def test_a_low_score_or_not_resolved_reopens_to_a_coordinator(
    personas, engineer, score, resolved_flag
):
    survey = sent_survey(personas, engineer)

    surveys.answer_survey(survey, score=score, resolved=resolved_flag)

    ticket = survey.ticket
    ticket.refresh_from_db()
    assert (ticket.status, ticket.queue) == (TicketStatus.ASSIGNED, Queue.COMPLAINTS)
    assert ticket.assignee == personas[Role.COMPLAINT_COORDINATOR]


def test_a_score_of_three_keeps_the_ticket_resolved(personas, engineer):
    survey = sent_survey(personas, engineer)

    surveys.answer_survey(survey, score=3, resolved=True)

    survey.ticket.refresh_from_db()
    assert survey.ticket.status == TicketStatus.RESOLVED


def test_bad_answers_name_their_fields(personas, engineer):
    survey = sent_survey(personas, engineer)

    with pytest.raises(Exception) as bad:
        surveys.answer_survey(survey, score=9, resolved=None, comment="x" * 2001)

    assert set(bad.value.message_dict) == {"score", "resolved", "comment"}


def test_an_unanswered_survey_becomes_one_callback_for_a_specialist(personas, engineer, settings):
    settings.COMPLAINTS_CALLBACK_AFTER_HOURS = 48
    settings.COMPLAINTS_CALLBACK_DUE_HOURS = 24
    survey = sent_survey(personas, engineer)
    later = timezone.now() + datetime.timedelta(hours=49)

    assert surveys.create_due_callbacks(now=timezone.now()) == 0
    assert surveys.create_due_callbacks(now=later) == 1
    assert surveys.create_due_callbacks(now=later) == 0

    callback = Callback.objects.get()
    survey.refresh_from_db()
    assert survey.status == SurveyStatus.CALLBACK
    assert callback.assignee == personas[Role.SERVICE_SPECIALIST]
    assert callback.due_at == later + datetime.timedelta(hours=24)


def test_a_callback_outcome_is_recorded_and_unhappy_reopens(personas, engineer):
    survey = sent_survey(personas, engineer)
    surveys.create_due_callbacks(now=timezone.now() + datetime.timedelta(days=5))
    callback = Callback.objects.get()
    specialist = personas[Role.SERVICE_SPECIALIST]

    surveys.complete_callback(
        callback, actor=specialist, outcome=CallbackOutcome.NOT_RESOLVED, note="仍然没信号"
    )
    with pytest.raises(TicketError):
        surveys.complete_callback(callback, actor=specialist, outcome=CallbackOutcome.SATISFIED)

    callback.refresh_from_db()
    survey.ticket.refresh_from_db()
    assert (callback.status, callback.completed_by) == (CallbackStatus.DONE, specialist)
    assert (survey.ticket.status, survey.ticket.queue) == (TicketStatus.ASSIGNED, Queue.COMPLAINTS)


def test_a_satisfied_callback_leaves_the_ticket_resolved(personas, engineer):
    survey = sent_survey(personas, engineer)
    surveys.create_due_callbacks(now=timezone.now() + datetime.timedelta(days=5))

    surveys.complete_callback(
        Callback.objects.get(),
        actor=personas[Role.SERVICE_SPECIALIST],
        outcome=CallbackOutcome.SATISFIED,
        score=5,
    )

    survey.ticket.refresh_from_db()
    assert survey.ticket.status == TicketStatus.RESOLVED


def test_reopening_cancels_a_survey_not_yet_sent(personas, engineer):
    ticket = resolved(personas, engineer)

    reopen_ticket(ticket, actor=engineer, reason="客户来电说又断了")

    assert ticket.surveys.get().status == SurveyStatus.CANCELLED


def test_status_changes_and_customer_notes_notify_the_customer_once(personas, engineer):
    line = MobileLineFactory(customer=CustomerFactory(email="wang@example.com"))
    ticket = make_ticket(personas[Role.SERVICE_SPECIALIST], kind=TicketKind.FAULT, line=line)
    Notification.objects.all().delete()

    add_note(ticket, author=engineer, body="内部：查基站", visibility="internal")
    add_note(ticket, author=engineer, body="工程师明天上门", visibility="customer")
    assign_ticket(ticket, engineer, actor=engineer)

    pending = Notification.objects.filter(customer=line.customer)
    assert sorted(pending.values_list("channel", flat=True)) == sorted(
        [NotificationChannel.SMS, NotificationChannel.EMAIL] * 2
    )
    assert delivery.deliver_due() == 4
    assert delivery.deliver_due() == 0
    assert set(pending.values_list("status", flat=True)) == {NotificationStatus.SENT}
    texts = OutboundSms.objects.filter(msisdn=line.msisdn).values_list("body", flat=True)
    assert any("工程师明天上门" in text for text in texts)
    assert not any("查基站" in text for text in texts)
