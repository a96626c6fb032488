"""The training API: courses, exams through the API with the server's limits, certificates and
their public check, assignments, KPIs and suggestions; scope, errors and query counts."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from portal.roles import STAFF_ROLES, Role
from tests.training.factories import (
    AssessmentFactory,
    CourseFactory,
    ModuleFactory,
    answers_for,
    for_roles,
    true_false_bank,
)
from training.kpis import compute_monthly_kpis
from training.models import Assignment, Attempt, Course, Suggestion
from training.services import start_attempt, submit_attempt, submit_suggestion


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def assessment(db):
    course = for_roles(CourseFactory(), Role.SERVICE_SPECIALIST)
    ModuleFactory(course=course)
    true_false_bank(course, 6)
    return AssessmentFactory(course=course, question_count=5, pass_mark=Decimal("60"))


def codes(response) -> list[str]:
    return [error["code"] for error in response.json()["errors"]]


def test_customers_and_outsiders_get_403_and_staff_200(personas):
    statuses = {
        who: client_for(user).get(reverse("api-course-list")).status_code
        for who, user in personas.items()
    }

    assert statuses == {
        **{role: 200 for role in STAFF_ROLES},
        Role.CUSTOMER: 403,
        "outsider": 403,
    }


def test_course_detail_has_sanitised_html_and_completes_modules(specialist):
    module = ModuleFactory(body="**重点** <img src=x onerror=alert(1)>")
    client = client_for(specialist)

    done = client.post(
        reverse("api-course-complete-module", args=[module.course_id]), {"module": module.pk}
    )

    body = done.json()
    assert done.status_code == 200
    assert body["modules"][0]["done"] is True
    assert "<strong>重点</strong>" in body["modules"][0]["html"]
    assert "onerror" not in body["modules"][0]["html"]


def test_an_exam_through_the_api(specialist, assessment):
    client = client_for(specialist)

    started = client.post(reverse("api-assessment-start", args=[assessment.pk]))
    attempt = Attempt.objects.get(pk=started.json()["id"])
    answers = {str(k): v for k, v in answers_for(attempt, 3).items()}
    one = client.post(
        reverse("api-attempt-answer", args=[attempt.pk]),
        {"position": 1, "choices": answers["1"]},
        format="json",
    )
    submitted = client.post(
        reverse("api-attempt-submit", args=[attempt.pk]), {"answers": answers}, format="json"
    )

    assert started.status_code == 201
    # While the attempt runs, nothing says which option is right.
    assert all("is_correct" not in c for q in started.json()["questions"] for c in q["choices"])
    assert one.json()["questions"][0]["selected"] == answers["1"]
    result = submitted.json()
    assert (result["status"], result["score"], result["passed"]) == ("submitted", "60.00", True)
    assert result["certificate"] is not None
    assert all("is_correct" in c for q in result["questions"] for c in q["choices"])


def test_answers_after_the_submission_are_409(specialist, assessment):
    attempt = start_attempt(assessment, user=specialist)
    submit_attempt(attempt, user=specialist, answers={})
    client = client_for(specialist)

    late = client.post(
        reverse("api-attempt-answer", args=[attempt.pk]),
        {"position": 1, "choices": []},
        format="json",
    )
    again = client.post(reverse("api-attempt-submit", args=[attempt.pk]), {}, format="json")

    assert (late.status_code, codes(late)) == (409, ["attempt_finished"])
    assert (again.status_code, codes(again)) == (409, ["attempt_finished"])


def test_answers_after_the_time_limit_are_409(specialist, assessment):
    attempt = start_attempt(assessment, user=specialist)
    shift = datetime.timedelta(minutes=assessment.time_limit_minutes + 1)
    Attempt.objects.filter(pk=attempt.pk).update(
        started_at=attempt.started_at - shift, deadline_at=attempt.deadline_at - shift
    )

    response = client_for(specialist).post(
        reverse("api-attempt-answer", args=[attempt.pk]),
        {"position": 1, "choices": [attempt.questions.get(position=1).choice_order[0]]},
        format="json",
    )

    assert (response.status_code, codes(response)) == (409, ["time_limit_passed"])


def test_an_answer_that_is_not_an_option_is_400_on_answers(specialist, assessment):
    attempt = start_attempt(assessment, user=specialist)

    response = client_for(specialist).post(
        reverse("api-attempt-answer", args=[attempt.pk]),
        {"position": 1, "choices": [999_999]},
        format="json",
    )

    assert response.status_code == 400
    assert [(e["attr"], e["code"]) for e in response.json()["errors"]] == [
        ("answers", "invalid_answer")
    ]


def test_the_attempt_limit_is_409(specialist, assessment):
    for _ in range(2):
        submit_attempt(start_attempt(assessment, user=specialist), user=specialist, answers={})

    response = client_for(specialist).post(reverse("api-assessment-start", args=[assessment.pk]))

    assert (response.status_code, codes(response)) == (409, ["no_attempts_left"])


def test_another_staff_members_attempt_is_404_and_a_supervisor_reads_it(personas, assessment):
    attempt = start_attempt(assessment, user=personas[Role.SERVICE_SPECIALIST])
    other = client_for(personas[Role.SALES_ADVISOR])
    supervisor = client_for(personas[Role.SUPERVISOR])

    assert other.get(reverse("api-attempt-detail", args=[attempt.pk])).status_code == 404
    assert (
        other.post(reverse("api-attempt-submit", args=[attempt.pk]), {}, format="json").status_code
        == 404
    )
    assert supervisor.get(reverse("api-attempt-detail", args=[attempt.pk])).status_code == 200
    assert (
        supervisor.post(
            reverse("api-attempt-submit", args=[attempt.pk]), {}, format="json"
        ).status_code
        == 404
    )


def test_the_public_certificate_check_needs_no_login(specialist, assessment):
    attempt = start_attempt(assessment, user=specialist)
    certificate = submit_attempt(
        attempt, user=specialist, answers=answers_for(attempt, 5)
    ).certificate
    anonymous = APIClient()

    known = anonymous.get(reverse("api-certificate-check"), {"code": certificate.verification_code})
    unknown = anonymous.get(reverse("api-certificate-check"), {"code": "NOPE"})

    assert known.status_code == 200
    assert known.json()["valid"] is True
    assert known.json()["score"] == "100.00"
    assert unknown.json() == {"valid": False}


def test_supervisors_assign_and_others_get_403(personas, supervisor):
    course = Course.objects.get(code="handbook-2")
    body = {"course": course.pk, "role": "sales_advisor", "due_on": "2099-12-31"}

    refused = client_for(personas[Role.SERVICE_SPECIALIST]).post(
        reverse("api-assignment-list"), body, format="json"
    )
    created = client_for(supervisor).post(reverse("api-assignment-list"), body, format="json")

    assert refused.status_code == 403
    assert (created.status_code, created.json()) == (201, {"assigned": 1})
    assert Assignment.objects.get().user == personas[Role.SALES_ADVISOR]


def test_an_assignment_without_a_person_or_role_or_due_in_the_past_is_400(supervisor, specialist):
    course = Course.objects.get(code="handbook-2")
    client = client_for(supervisor)

    neither = client.post(
        reverse("api-assignment-list"),
        {"course": course.pk, "due_on": "2099-12-31"},
        format="json",
    )
    past = client.post(
        reverse("api-assignment-list"),
        {"course": course.pk, "user": specialist.pk, "due_on": "2020-01-01"},
        format="json",
    )

    assert neither.status_code == 400
    assert [e["attr"] for e in neither.json()["errors"]] == ["user"]
    assert past.status_code == 400
    assert [e["attr"] for e in past.json()["errors"]] == ["due_on"]
    assert Assignment.objects.count() == 0


def test_kpis_own_for_staff_and_all_for_supervisors(personas, supervisor, specialist):
    compute_monthly_kpis(timezone.localdate())

    own = client_for(specialist).get(reverse("api-kpi-list")).json()
    everyone = client_for(supervisor).get(reverse("api-kpi-list")).json()

    assert [row["user"] for row in own["results"]] == [specialist.username]
    assert everyone["count"] == 5


def test_suggestions_are_sent_and_answered(specialist, supervisor):
    sent = client_for(specialist).post(
        reverse("api-suggestion-list"), {"subject": "排班", "body": "希望公布排班表。"}
    )
    pk = sent.json()["id"]
    refused = client_for(specialist).post(
        reverse("api-suggestion-answer", args=[pk]), {"answer": "好"}
    )
    answered = client_for(supervisor).post(
        reverse("api-suggestion-answer", args=[pk]), {"answer": "已公布。"}
    )
    twice = client_for(supervisor).post(
        reverse("api-suggestion-answer", args=[pk]), {"answer": "再答"}
    )

    assert sent.status_code == 201
    assert refused.status_code == 403
    assert (answered.json()["status"], answered.json()["answer"]) == ("answered", "已公布。")
    assert (twice.status_code, codes(twice)) == (409, ["invalid_transition"])
    assert Suggestion.objects.get().answered_by == supervisor


def test_an_empty_suggestion_is_400_with_field_messages(specialist):
    response = client_for(specialist).post(reverse("api-suggestion-list"), {"subject": ""})

    assert response.status_code == 400
    assert sorted(e["attr"] for e in response.json()["errors"]) == ["body", "subject"]


# --- Query counts ---------------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 6])
def test_attempt_list_query_count_is_constant(specialist, django_assert_num_queries, count):
    for _ in range(count):
        course = CourseFactory()
        true_false_bank(course, 2)
        assessment = AssessmentFactory(course=course, question_count=2)
        submit_attempt(start_attempt(assessment, user=specialist), user=specialist, answers={})
    client = client_for(specialist)
    client.get(reverse("api-attempt-list"))  # warms the user's permission cache

    # 1 count, 2 the page with assessments and users.
    with django_assert_num_queries(2):
        response = client.get(reverse("api-attempt-list"))

    assert response.json()["count"] == count


@pytest.mark.parametrize("extra", [0, 4])
def test_course_list_query_count_is_constant(specialist, django_assert_num_queries, extra):
    for _ in range(extra):
        for_roles(CourseFactory(), Role.SERVICE_SPECIALIST)
    client = client_for(specialist)
    client.get(reverse("api-course-list"))

    # 1 count, 2 the page, 3 their roles.
    with django_assert_num_queries(3):
        response = client.get(reverse("api-course-list"))

    assert response.json()["count"] == 11 + extra


@pytest.mark.parametrize("staff", [0, 4])
def test_kpi_list_query_count_is_constant(supervisor, make_user, django_assert_num_queries, staff):
    for n in range(staff):
        make_user(Role.TECH_SUPPORT, username=f"engineer-{n}")
    compute_monthly_kpis(timezone.localdate())
    client = client_for(supervisor)
    client.get(reverse("api-kpi-list"))

    # 1 count, 2 the page with users and teams.
    with django_assert_num_queries(2):
        response = client.get(reverse("api-kpi-list"))

    assert response.json()["count"] == 5 + staff


@pytest.mark.parametrize("count", [1, 5])
def test_suggestion_and_assignment_lists_query_counts_are_constant(
    specialist, supervisor, django_assert_num_queries, count
):
    for n in range(count):
        submit_suggestion(author=specialist, subject=f"建议{n}", body="内容")
        Assignment.objects.create(
            course=CourseFactory(), user=specialist, due_on=timezone.localdate()
        )
    client = client_for(supervisor)
    client.get(reverse("api-suggestion-list"))

    # Each: 1 count, 2 the page with its related users (and course).
    with django_assert_num_queries(4):
        suggestions = client.get(reverse("api-suggestion-list"))
        assignments = client.get(reverse("api-assignment-list"))

    assert (suggestions.json()["count"], assignments.json()["count"]) == (count, count)


@pytest.mark.parametrize("count", [1, 4])
def test_assessment_and_certificate_lists_query_counts_are_constant(
    specialist, django_assert_num_queries, count
):
    for _ in range(count):
        course = CourseFactory()
        true_false_bank(course, 2)
        assessment = AssessmentFactory(course=course, question_count=2)
        attempt = start_attempt(assessment, user=specialist)
        submit_attempt(attempt, user=specialist, answers=answers_for(attempt, 2))
    client = client_for(specialist)
    client.get(reverse("api-certificate-list"))

    # Each: 1 count, 2 the page (assessments with their courses; certificates with their
    # users and courses).
    with django_assert_num_queries(4):
        assessments = client.get(reverse("api-assessment-list"))
        certificates = client.get(reverse("api-certificate-list"))

    # The 11 reference assessments and the new ones; a certificate for each pass.
    assert (assessments.json()["count"], certificates.json()["count"]) == (11 + count, count)
