"""The evaluation of a business-hall visit: asked after an order's confirmation step, through
the survey machinery (sent once, signed link, one answer), without touching tickets."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from complaints import surveys, tasks
from complaints.choices import SurveyStatus
from complaints.models import Notification, Survey
from complaints.selectors import low_score_surveys
from crm.choices import Channel, OrderKind, OrderStatus
from crm.models import Product
from crm.services import advance_order, create_service_order
from portal.roles import Role
from tests.crm.factories import MobileLineFactory


@pytest.fixture(autouse=True)
def _in_chinese():
    # Messages are checked in the site's default language, whatever an earlier test activated.
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def clerk(personas):
    return personas[Role.SALES_ADVISOR]


def hall_order(clerk, channel=Channel.BUSINESS_HALL):
    line = MobileLineFactory()
    return create_service_order(
        kind=OrderKind.SUBSCRIBE_SERVICE,
        customer=line.customer,
        subscription=line,
        product=Product.objects.get(code="CALLER_ID"),
        actor=clerk,
        channel=channel,
    )


def advance_to(order, status, actor):
    while order.status != status:
        order = advance_order(order, actor=actor)
    return order


def test_leaving_the_confirmation_step_schedules_one_evaluation(clerk, settings):
    order = advance_to(hall_order(clerk), OrderStatus.CONFIRMATION, clerk)
    assert Survey.objects.count() == 0

    before = timezone.now()
    order = advance_to(order, OrderStatus.COMPLETED, clerk)

    survey = Survey.objects.get()
    delay = datetime.timedelta(hours=settings.COMPLAINTS_ORDER_SURVEY_DELAY_HOURS)
    assert (survey.service_order, survey.ticket, survey.status) == (
        order,
        None,
        SurveyStatus.SCHEDULED,
    )
    assert before + delay <= survey.send_after <= timezone.now() + delay


def test_orders_taken_outside_the_hall_are_not_evaluated_as_a_visit(clerk):
    advance_to(hall_order(clerk, channel=Channel.ONLINE_CHAT), OrderStatus.COMPLETED, clerk)

    assert Survey.objects.count() == 0


def test_the_evaluation_is_sent_once_and_answered_without_the_resolved_question(clerk, client):
    order = advance_to(hall_order(clerk), OrderStatus.PAYMENT, clerk)
    survey = Survey.objects.get(service_order=order)
    Survey.objects.filter(pk=survey.pk).update(send_after=timezone.now())

    assert surveys.due_survey_ids() == [survey.pk]
    assert tasks.send_survey(survey.pk) == 1
    assert tasks.send_survey(survey.pk) == 0
    sms = Notification.objects.get(customer=order.customer, channel="sms")
    assert (sms.ticket, sms.address, order.number in sms.body) == (
        None,
        order.subscription.msisdn,
        True,
    )

    link = reverse("survey-answer", args=[surveys.survey_token(survey)])
    page = client.get(link)
    answered = client.post(link, {"score": "2", "comment": "排队太久"})

    survey.refresh_from_db()
    assert page.status_code == 200
    assert order.number in page.content.decode()
    assert 'name="resolved"' not in page.content.decode()
    assert answered.status_code == 302
    assert (survey.status, survey.score, survey.resolved, survey.comment) == (
        SurveyStatus.ANSWERED,
        2,
        None,
        "排队太久",
    )


def test_hall_evaluations_stay_off_the_ticket_review_lists(clerk, personas):
    order = advance_to(hall_order(clerk), OrderStatus.PAYMENT, clerk)
    survey = Survey.objects.get(service_order=order)
    Survey.objects.filter(pk=survey.pk).update(send_after=timezone.now())
    tasks.send_survey(survey.pk)
    surveys.answer_survey(survey, score=1, resolved=None)

    Survey.objects.filter(pk=survey.pk).update(
        status=SurveyStatus.SENT, sent_at=timezone.now() - datetime.timedelta(days=5)
    )
    assert surveys.create_due_callbacks() == 0
    assert list(low_score_surveys(personas[Role.COMPLAINT_COORDINATOR])) == []
