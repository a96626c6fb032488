"""The complaint coordinator's lists: billing disputes with their adjustments, and low
satisfaction scores with their review (reopen, callback, note)."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from complaints.choices import (
    CallbackStatus,
    NoteVisibility,
    Queue,
    SurveyStatus,
    TicketEventKind,
    TicketKind,
    TicketStatus,
)
from complaints.models import Callback, Survey, Ticket, TicketEvent, TicketNote
from complaints.services import assign_ticket, resolve_ticket, transition_ticket
from complaints.surveys import review_low_score
from portal.roles import Role
from tests.complaints.factories import make_ticket
from tests.workspaces.conftest import EN, HTMX_RESULTS, html_of, messages_of

DISPUTES = "/workspace/complaints/disputes/"
LOW_SCORES = "/workspace/complaints/low-scores/"
TICKET_ROWS = re.compile(r'<tr data-ticket="(TT\d+)"')
SURVEY_ROWS = re.compile(r'<tr data-survey="(\d+)" data-reviewed="(true|false)"')


# --- Disputes -----------------------------------------------------------------------------------


@pytest.fixture
def disputes(specialist, coordinator):
    """An open dispute, one resolved with a 30.00 credit, one resolved without, a complaint."""
    open_one = make_ticket(specialist, TicketKind.BILLING_DISPUTE, subject="流量费有异议")
    credited = make_ticket(specialist, TicketKind.BILLING_DISPUTE, subject="彩铃重复收费")
    assign_ticket(credited, coordinator, actor=coordinator)
    transition_ticket(credited, TicketStatus.IN_PROGRESS, actor=coordinator)
    resolve_ticket(
        credited,
        actor=coordinator,
        resolution="已退还重复收取的彩铃费。",
        adjustment_amount=Decimal("30.00"),
        adjustment_reason="重复收费",
    )
    refused = make_ticket(specialist, TicketKind.BILLING_DISPUTE, subject="漫游费")
    assign_ticket(refused, coordinator, actor=coordinator)
    transition_ticket(refused, TicketStatus.IN_PROGRESS, actor=coordinator)
    resolve_ticket(refused, actor=coordinator, resolution="经核实收费无误。")
    make_ticket(specialist, TicketKind.COMPLAINT)
    return {"open": open_one, "credited": credited, "refused": refused}


def test_disputes_list_open_ones_by_default_and_all_with_their_adjustments(
    client, coordinator, disputes
):
    client.force_login(coordinator)

    default = client.get(DISPUTES, headers=EN)
    everything = client.get(f"{DISPUTES}?state=all&sort=-adjustment", headers=EN)

    assert TICKET_ROWS.findall(html_of(default)) == [disputes["open"].number]
    # Largest adjustment first, then those without one (nulls last, then by id).
    assert TICKET_ROWS.findall(html_of(everything)) == [
        disputes["credited"].number,
        disputes["open"].number,
        disputes["refused"].number,
    ]
    assert 'data-adjustment="30.00"' in html_of(everything)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("state=finished&adjusted=yes", ["credited"]),
        ("state=finished&adjusted=no", ["refused"]),
        ("state=all&assignee=unassigned", ["open"]),
    ],
)
def test_disputes_filter_by_adjustment_and_assignee(client, coordinator, disputes, query, expected):
    client.force_login(coordinator)

    response = client.get(f"{DISPUTES}?{query}")

    assert TICKET_ROWS.findall(html_of(response)) == [disputes[name].number for name in expected]


@pytest.mark.parametrize("size", [1, 12])
def test_disputes_run_a_constant_number_of_queries(
    client, specialist, coordinator, django_assert_num_queries, size
):
    for _n in range(size):
        make_ticket(specialist, TicketKind.BILLING_DISPUTE)
    client.force_login(coordinator)
    # 1 the session, 2 user, 3 permissions; 4 the count, 5 the page with customer, line, assignee
    # and the adjustment's ledger entry.
    with django_assert_num_queries(5):
        response = client.get(DISPUTES)

    assert len(TICKET_ROWS.findall(html_of(response))) == size


# --- Low scores ---------------------------------------------------------------------------------


def answered(ticket, *, score, resolved=True, days_ago=0, comment="") -> Survey:
    when = timezone.now() - datetime.timedelta(days=days_ago)
    return Survey.objects.create(
        ticket=ticket,
        status=SurveyStatus.ANSWERED,
        send_after=when,
        sent_at=when,
        answered_at=when,
        score=score,
        resolved=resolved,
        comment=comment,
    )


@pytest.fixture
def resolved_complaint(specialist, coordinator):
    ticket = make_ticket(specialist, TicketKind.COMPLAINT)
    assign_ticket(ticket, coordinator, actor=coordinator)
    transition_ticket(ticket, TicketStatus.IN_PROGRESS, actor=coordinator)
    ticket = resolve_ticket(ticket, actor=coordinator, resolution="已向客户道歉并补偿。")
    # The survey written by the resolution stays scheduled; the answers below are separate.
    Survey.objects.filter(ticket=ticket).update(status=SurveyStatus.CANCELLED)
    return ticket


@pytest.fixture
def scores(resolved_complaint):
    return {
        "one": answered(resolved_complaint, score=1, comment="态度差", days_ago=1),
        "unresolved": answered(resolved_complaint, score=4, resolved=False, days_ago=2),
        "old": answered(resolved_complaint, score=2, days_ago=45),
        "good": answered(resolved_complaint, score=5),
    }


def survey_rows(response) -> list[int]:
    return [int(pk) for pk, _reviewed in SURVEY_ROWS.findall(html_of(response))]


def test_low_scores_to_review_newest_first_good_scores_left_out(client, coordinator, scores):
    client.force_login(coordinator)

    response = client.get(LOW_SCORES, headers=EN)

    assert survey_rows(response) == [scores["one"].pk, scores["unresolved"].pk, scores["old"].pk]
    assert f'id="review-form-{scores["one"].pk}"' in html_of(response)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("days=30", ["one", "unresolved"]),
        ("score=1", ["one"]),
        ("resolved=no", ["unresolved"]),
        ("sort=score", ["one", "old", "unresolved"]),
    ],
)
def test_low_scores_filter_and_sort(client, coordinator, scores, query, expected):
    client.force_login(coordinator)

    response = client.get(f"{LOW_SCORES}?{query}")

    assert survey_rows(response) == [scores[name].pk for name in expected]


def test_a_note_review_marks_the_score_reviewed_and_writes_on_the_ticket(
    client, coordinator, scores, resolved_complaint
):
    client.force_login(coordinator)
    back = f"{LOW_SCORES}?days=30"

    posted = client.post(
        reverse("workspaces:low-score-review", args=[scores["one"].pk]),
        {"action": "note", "note": "已致电客户，解释了处理过程。", "next": back},
        headers=EN,
    )

    assert (posted.status_code, posted.url) == (302, back)
    survey = Survey.objects.get(pk=scores["one"].pk)
    assert (survey.reviewed_by, survey.reviewed_at is not None) == (coordinator, True)
    note = TicketNote.objects.filter(ticket=resolved_complaint).latest("pk")
    assert (note.body, note.visibility) == ("已致电客户，解释了处理过程。", NoteVisibility.INTERNAL)
    event = TicketEvent.objects.filter(ticket=resolved_complaint).latest("pk")
    assert (event.kind, event.from_value, event.to_value) == (TicketEventKind.REVIEW, "1", "note")
    following = client.get(back, headers=EN)
    assert messages_of(following) == [f"Low score on ticket {resolved_complaint.number} reviewed."]
    assert survey_rows(following) == [scores["unresolved"].pk]
    reviewed = client.get(f"{LOW_SCORES}?reviewed=reviewed", headers=EN)
    assert "reviewed by persona-complaint_coordinator" in html_of(reviewed)


def test_a_reopen_review_hands_the_ticket_back_to_the_coordinators(
    client, coordinator, scores, resolved_complaint
):
    client.force_login(coordinator)

    client.post(
        reverse("workspaces:low-score-review", args=[scores["unresolved"].pk]),
        {"action": "reopen", "note": "客户称问题未解决，重新处理。"},
    )

    ticket = Ticket.objects.get(pk=resolved_complaint.pk)
    assert (ticket.status, ticket.queue) == (TicketStatus.ASSIGNED, Queue.COMPLAINTS)


def test_a_callback_review_puts_a_callback_in_a_specialists_queue_once(
    client, coordinator, specialist, scores, resolved_complaint
):
    client.force_login(coordinator)
    url = reverse("workspaces:low-score-review", args=[scores["one"].pk])

    first = client.post(url, {"action": "callback", "note": "请专员回访客户。"})
    second = client.post(url, {"action": "callback", "note": "再次回访。"}, headers=EN)

    assert first.status_code == 302
    callback = Callback.objects.get(ticket=resolved_complaint)
    assert (callback.status, callback.assignee, callback.survey) == (
        CallbackStatus.OPEN,
        specialist,
        None,
    )
    assert second.status_code == 400
    assert second.context["form"].errors == {
        "action": ["A callback for this ticket is already waiting."]
    }
    assert Callback.objects.filter(ticket=resolved_complaint).count() == 1


def test_a_review_needs_an_action_and_a_note(client, coordinator, scores):
    client.force_login(coordinator)

    response = client.post(
        reverse("workspaces:low-score-review", args=[scores["one"].pk]), {}, headers=EN
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "action": ["This field is required."],
        "note": ["This field is required."],
    }
    assert Survey.objects.get(pk=scores["one"].pk).reviewed_at is None


def test_reopening_an_open_ticket_is_refused_on_the_form(
    client, coordinator, scores, resolved_complaint
):
    Ticket.objects.filter(pk=resolved_complaint.pk).update(status=TicketStatus.IN_PROGRESS)
    client.force_login(coordinator)

    response = client.post(
        reverse("workspaces:low-score-review", args=[scores["one"].pk]),
        {"action": "reopen", "note": "重开"},
        headers=EN,
    )

    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == [
        "Only a resolved or closed ticket can be reopened."
    ]
    assert Survey.objects.get(pk=scores["one"].pk).reviewed_at is None


def test_a_good_score_is_not_a_low_score_to_review(client, coordinator, scores):
    client.force_login(coordinator)

    response = client.post(
        reverse("workspaces:low-score-review", args=[scores["good"].pk]),
        {"action": "note", "note": "x"},
    )

    assert response.status_code == 404


def test_the_review_service_refuses_what_is_not_a_low_score(coordinator, scores):
    survey = scores["good"]

    with pytest.raises(Exception) as refused:
        review_low_score(survey, "note", actor=coordinator, note="x")

    assert refused.value.code == "not_a_low_score"


@pytest.mark.parametrize("size", [1, 10])
def test_low_scores_run_a_constant_number_of_queries(
    client, coordinator, resolved_complaint, django_assert_num_queries, size
):
    for _n in range(size):
        answered(resolved_complaint, score=1)
    client.force_login(coordinator)
    # 1 the session, 2 user, 3 permissions; 4 the count, 5 the page of surveys with ticket,
    # customer, assignee, reviewer and whether a callback waits (a subquery).
    with django_assert_num_queries(5):
        response = client.get(LOW_SCORES, headers=HTMX_RESULTS)

    assert len(survey_rows(response)) == size


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.COMPLAINT_COORDINATOR, 200),
        (Role.SUPERVISOR, 200),
        (Role.SERVICE_SPECIALIST, 403),
        (Role.TECH_SUPPORT, 403),
        (Role.SALES_ADVISOR, 403),
        (Role.CUSTOMER, 403),
    ],
)
def test_disputes_and_low_scores_belong_to_coordinators_and_supervisors(
    client, personas, role, status
):
    client.force_login(personas[role])

    assert [client.get(DISPUTES).status_code, client.get(LOW_SCORES).status_code] == [status] * 2


def test_the_api_lists_and_reviews_low_scores(coordinator, scores, personas):
    api = APIClient()
    api.force_authenticate(coordinator)

    to_review = api.get("/api/v1/low-score-reviews/?reviewed=false")
    reviewed = api.post(
        f"/api/v1/low-score-reviews/{scores['one'].pk}/review/",
        {"action": "note", "note": "已核实"},
        format="json",
    )
    bad = api.post(
        f"/api/v1/low-score-reviews/{scores['one'].pk}/review/",
        {"action": "shout", "note": ""},
        format="json",
    )
    api.force_authenticate(personas[Role.SALES_ADVISOR])
    refused = api.get("/api/v1/low-score-reviews/")

    assert [row["id"] for row in to_review.json()["results"]] == [
        scores["one"].pk,
        scores["unresolved"].pk,
        scores["old"].pk,
    ]
    assert reviewed.status_code == 200
    assert (reviewed.json()["reviewed_by"], reviewed.json()["ticket"]["number"]) == (
        coordinator.username,
        scores["one"].ticket.number,
    )
    assert bad.status_code == 400
    assert {error["attr"] for error in bad.json()["errors"]} == {"action", "note"}
    assert refused.status_code == 403
