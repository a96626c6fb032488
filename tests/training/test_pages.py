"""Training pages: my training for every staff role, a course, an exam taken through the page,
the certificate PDF and its public check, suggestions, and the supervisors' pages."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from portal.roles import STAFF_ROLES, Role
from tests.billing.test_invoice import pdf_text
from tests.complaints.files import PNG_WITH_HTML, tiny_pdf
from tests.complaints.test_pages import PNG
from tests.training.factories import (
    AssessmentFactory,
    CourseFactory,
    ModuleFactory,
    answers_for,
    for_roles,
    true_false_bank,
)
from training.certificates import render_certificate_html, render_certificate_pdf
from training.choices import AttemptStatus, SuggestionStatus
from training.forms import answer_field_name
from training.kpis import compute_monthly_kpis
from training.models import Attempt, Certificate, Course, Suggestion, Team, TeamMember
from training.services import (
    add_module_attachment,
    assign_course,
    start_attempt,
    submit_attempt,
    submit_suggestion,
)

EN = {"accept-language": "en"}


@pytest.fixture
def assessment(db):
    course = for_roles(CourseFactory(title="沟通技巧"), Role.SERVICE_SPECIALIST)
    ModuleFactory(course=course, position=1, title="倾听")
    true_false_bank(course, 6)
    return AssessmentFactory(course=course, question_count=5, pass_mark=Decimal("60"))


def html_of(response) -> str:
    return response.content.decode()


def passed_attempt(assessment, user) -> Attempt:
    attempt = start_attempt(assessment, user=user)
    return submit_attempt(attempt, user=user, answers=answers_for(attempt, 4))


# --- Who sees what --------------------------------------------------------------------------


def test_every_staff_role_has_my_training_and_others_do_not(client, personas):
    statuses = {}
    for who, user in personas.items():
        client.force_login(user)
        statuses[who] = client.get(reverse("training-home")).status_code

    assert statuses == {
        **{role: 200 for role in STAFF_ROLES},
        Role.CUSTOMER: 403,
        "outsider": 403,
    }


def test_supervisor_pages_are_for_supervisors_only(client, personas):
    statuses = {}
    for who, user in personas.items():
        client.force_login(user)
        statuses[who] = [
            client.get(reverse(name)).status_code for name in ("training-team", "training-kpis")
        ]

    assert statuses == {
        **{role: [403, 403] for role in STAFF_ROLES if role != Role.SUPERVISOR},
        Role.SUPERVISOR: [200, 200],
        Role.CUSTOMER: [403, 403],
        "outsider": [403, 403],
    }


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("training-home"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_handbook_and_role_courses_show_for_each_role_in_chinese(client, personas):
    client.force_login(personas[Role.TECH_SUPPORT])

    html = html_of(client.get(reverse("training-home")))

    assert "<h1>我的培训</h1>" in html
    assert "员工手册 第一章：公司概况" in html
    assert "应知应会：技术支持工程师" in html
    assert "应知应会：销售顾问" not in html


# --- A course and its exam ------------------------------------------------------------------


def test_module_text_is_markdown_rendered_and_sanitised(client, specialist):
    module = ModuleFactory(
        body="**要点** <script>alert(1)</script> [链接](javascript:alert(2)) <b onclick=x>粗</b>"
    )
    client.force_login(specialist)

    html = html_of(client.get(reverse("training-course", args=[module.course_id])))

    assert "<strong>要点</strong>" in html
    assert "<script>alert(1)" not in html
    assert "javascript:" not in html
    assert "onclick" not in html


def test_reading_a_module_records_progress(client, specialist, assessment):
    module = assessment.course.modules.get()
    client.force_login(specialist)

    response = client.post(reverse("training-module-complete", args=[module.pk]))
    page = html_of(client.get(reverse("training-course", args=[assessment.course_id])))

    assert response.status_code == 302
    assert 'data-done="1"' in page
    assert module.progress.filter(user=specialist).count() == 1


def test_an_exam_taken_through_the_pages_issues_a_certificate(client, specialist, assessment):
    client.force_login(specialist)

    started = client.post(reverse("training-attempt-start", args=[assessment.pk]))
    attempt = Attempt.objects.get(user=specialist)
    page = client.get(started["Location"])
    answers = {
        answer_field_name(position): ids for position, ids in answers_for(attempt, 5).items()
    }
    handed_in = client.post(reverse("training-attempt", args=[attempt.pk]), answers)
    result = client.get(handed_in["Location"], headers=EN)

    attempt.refresh_from_db()
    assert started["Location"] == reverse("training-attempt", args=[attempt.pk])
    assert page.status_code == 200
    assert len(re.findall(r'name="q\d+"', html_of(page))) == 10  # 5 questions × 2 options
    assert (attempt.status, attempt.score, attempt.passed) == (
        AttemptStatus.SUBMITTED,
        Decimal("100.00"),
        True,
    )
    assert 'data-passed="1"' in html_of(result)
    certificate = Certificate.objects.get(attempt=attempt)
    assert reverse("training-certificate-pdf", args=[certificate.pk]) in html_of(result)


def test_a_late_hand_in_through_the_page_scores_only_what_was_saved(client, specialist, assessment):
    attempt = start_attempt(assessment, user=specialist)
    shift = datetime.timedelta(minutes=assessment.time_limit_minutes + 1)
    Attempt.objects.filter(pk=attempt.pk).update(
        started_at=attempt.started_at - shift, deadline_at=attempt.deadline_at - shift
    )
    client.force_login(specialist)
    answers = {
        answer_field_name(position): ids for position, ids in answers_for(attempt, 5).items()
    }

    client.post(reverse("training-attempt", args=[attempt.pk]), answers)

    attempt.refresh_from_db()
    assert (attempt.status, attempt.score, attempt.passed) == (
        AttemptStatus.EXPIRED,
        Decimal("0.00"),
        False,
    )


def test_another_staff_members_attempt_is_not_found(client, personas, assessment):
    attempt = start_attempt(assessment, user=personas[Role.SERVICE_SPECIALIST])
    client.force_login(personas[Role.SALES_ADVISOR])

    assert client.get(reverse("training-attempt", args=[attempt.pk])).status_code == 404
    assert client.post(reverse("training-attempt", args=[attempt.pk]), {}).status_code == 404


def test_a_supervisor_reads_an_attempt_but_cannot_answer_it(client, personas, assessment):
    attempt = start_attempt(assessment, user=personas[Role.SERVICE_SPECIALIST])
    client.force_login(personas[Role.SUPERVISOR])

    page = client.get(reverse("training-attempt", args=[attempt.pk]))
    posted = client.post(reverse("training-attempt", args=[attempt.pk]), {})

    assert page.status_code == 200
    assert page.context["form"] is None
    assert posted.status_code == 403


def test_starting_past_the_attempt_limit_says_why(client, specialist, assessment):
    for _ in range(assessment.max_attempts):
        passed_attempt(assessment, specialist)
    client.force_login(specialist)

    response = client.post(
        reverse("training-attempt-start", args=[assessment.pk]), follow=True, headers=EN
    )

    assert "All 2 attempts have been used." in html_of(response)
    assert Attempt.objects.filter(user=specialist).count() == 2


# --- Certificates ---------------------------------------------------------------------------


def test_certificate_shows_name_course_score_date_code_and_public_url(specialist, assessment):
    specialist.first_name, specialist.last_name = "娜", "李"
    specialist.save()
    certificate = passed_attempt(assessment, specialist).certificate

    html = render_certificate_html(certificate)

    code = certificate.verification_code
    grouped = "-".join(code[i : i + 4] for i in range(0, 16, 4))
    assert certificate.holder_name == "李娜"
    for expected in [
        "培训合格证书",
        "李娜",
        "《沟通技巧》",
        "80.00 分",
        timezone.localdate().isoformat(),
        grouped,
        f"http://127.0.0.1:8000/training/certificates/verify/?code={code}",
    ]:
        assert expected in html


def test_certificate_pdf_renders_its_chinese_text(client, specialist, assessment, tmp_path):
    certificate = passed_attempt(assessment, specialist).certificate
    client.force_login(specialist)

    response = client.get(reverse("training-certificate-pdf", args=[certificate.pk]))

    pdf = response.content
    assert response["Content-Type"] == "application/pdf"
    assert pdf.startswith(b"%PDF-")
    text = " ".join(pdf_text(render_certificate_pdf(certificate), tmp_path).split())
    assert "培训合格证书" in text
    assert "沟通技巧" in text
    assert certificate.verification_code[:4] in text


def test_someone_elses_certificate_is_not_found(client, personas, assessment):
    certificate = passed_attempt(assessment, personas[Role.SERVICE_SPECIALIST]).certificate
    client.force_login(personas[Role.SALES_ADVISOR])

    response = client.get(reverse("training-certificate-pdf", args=[certificate.pk]))

    assert response.status_code == 404


def test_the_public_check_confirms_a_certificate_without_signing_in(client, specialist, assessment):
    certificate = passed_attempt(assessment, specialist).certificate
    code = certificate.verification_code
    typed = "-".join(code[i : i + 4] for i in range(0, 16, 4)).lower()

    response = client.get(reverse("training-certificate-check"), {"code": typed}, headers=EN)

    html = html_of(response)
    assert response.status_code == 200
    assert 'data-result="valid"' in html
    assert certificate.holder_name in html
    assert "沟通技巧" in html
    assert "80.00%" in html


def test_the_public_check_rejects_an_unknown_code(client, db):
    response = client.get(reverse("training-certificate-check"), {"code": "AAAA-BBBB"})

    assert 'data-result="unknown"' in html_of(response)


# --- Suggestions ----------------------------------------------------------------------------


def test_staff_send_suggestions_and_supervisors_answer(client, specialist, supervisor):
    client.force_login(specialist)
    sent = client.post(
        reverse("training-suggestions"), {"subject": "工单模板", "body": "希望增加常用回复模板。"}
    )
    suggestion = Suggestion.objects.get()
    client.force_login(supervisor)
    answered = client.post(
        reverse("training-suggestion-answer", args=[suggestion.pk]), {"answer": "下月上线。"}
    )

    suggestion.refresh_from_db()
    assert (sent.status_code, answered.status_code) == (302, 302)
    assert (suggestion.author, suggestion.status, suggestion.answer) == (
        specialist,
        SuggestionStatus.ANSWERED,
        "下月上线。",
    )
    assert list(suggestion.events.values_list("from_status", "to_status")) == [
        ("", "open"),
        ("open", "answered"),
    ]


def test_an_empty_suggestion_is_refused_with_field_errors(client, specialist):
    client.force_login(specialist)

    response = client.post(reverse("training-suggestions"), {"subject": "", "body": ""})

    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"subject", "body"}
    assert Suggestion.objects.count() == 0


def test_staff_see_only_their_own_suggestions_and_cannot_answer(client, personas):
    submit_suggestion(author=personas[Role.SALES_ADVISOR], subject="别人的建议", body="内容")
    mine = submit_suggestion(author=personas[Role.SERVICE_SPECIALIST], subject="我的", body="内容")
    client.force_login(personas[Role.SERVICE_SPECIALIST])

    html = html_of(client.get(reverse("training-suggestions")))
    answer = client.post(reverse("training-suggestion-answer", args=[mine.pk]), {"answer": "好"})

    assert "我的" in html
    assert "别人的建议" not in html
    assert answer.status_code == 403


# --- Supervisors ----------------------------------------------------------------------------


def test_a_supervisor_assigns_a_course_to_a_role(client, personas, supervisor, make_user):
    second = make_user(Role.SERVICE_SPECIALIST, username="specialist-2")
    course = Course.objects.get(code="handbook-3")
    client.force_login(supervisor)

    response = client.post(
        reverse("training-team"),
        {"course": course.pk, "role": Role.SERVICE_SPECIALIST.value, "due_on": "2099-01-31"},
    )

    assert response.status_code == 302
    assert set(course.assignments.values_list("user__username", flat=True)) == {
        personas[Role.SERVICE_SPECIALIST].username,
        second.username,
    }


def test_assigning_needs_a_person_or_a_role_and_a_due_date_ahead(client, supervisor, specialist):
    course = Course.objects.get(code="handbook-3")
    client.force_login(supervisor)

    neither = client.post(reverse("training-team"), {"course": course.pk, "due_on": "2099-01-31"})
    past = client.post(
        reverse("training-team"),
        {"course": course.pk, "user": specialist.pk, "due_on": "2020-01-01"},
    )

    assert neither.status_code == 400
    assert neither.context["form"].non_field_errors() == ["请选择一名员工或一个岗位。"]
    assert past.status_code == 400
    assert list(past.context["form"].errors) == ["due_on"]
    assert course.assignments.count() == 0


def test_the_ranking_orders_by_incentive_score_and_filters_by_team(client, personas, supervisor):
    month = timezone.localdate().replace(day=1)
    team = Team.objects.create(name="一组", supervisor=supervisor)
    TeamMember.objects.create(team=team, user=personas[Role.SERVICE_SPECIALIST])
    compute_monthly_kpis(month)
    client.force_login(supervisor)

    everyone = client.get(reverse("training-kpis"), {"month": f"{month:%Y-%m}"})
    one_team = client.get(reverse("training-kpis"), {"month": f"{month:%Y-%m}", "team": team.pk})

    assert len(everyone.context["ranking"]) == 5
    scores = [kpi.incentive_score for kpi in everyone.context["ranking"]]
    assert scores == sorted(scores, reverse=True)
    assert [kpi.user for kpi in one_team.context["ranking"]] == [personas[Role.SERVICE_SPECIALIST]]
    # Trends by role: one row per role with KPIs this month, one column (this month).
    assert len(everyone.context["trend_rows"]) == 5
    assert everyone.context["months"] == [month]


# --- Query counts ---------------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 6])
def test_my_training_page_runs_a_constant_number_of_queries(
    client, specialist, supervisor, django_assert_num_queries, count
):
    for _ in range(count):
        course = for_roles(CourseFactory(), Role.SERVICE_SPECIALIST)
        ModuleFactory(course=course)
        assign_course(
            course,
            specialist,
            due_on=timezone.localdate() + datetime.timedelta(days=3),
            actor=supervisor,
        )
    client.force_login(specialist)
    # 1 the session, 2 user, 3 their permissions; 4 the open assignments with courses, 5 the
    # courses with progress counts, 6 the attempts, 7 the certificates.
    with django_assert_num_queries(7):
        response = client.get(reverse("training-home"))

    assert len(response.context["assignments"]) == count


@pytest.mark.parametrize("count", [1, 6])
def test_team_page_runs_a_constant_number_of_queries(
    client, personas, supervisor, django_assert_num_queries, count
):
    for _ in range(count):
        course = ModuleFactory().course
        assign_course(
            course,
            personas[Role.SERVICE_SPECIALIST],
            due_on=timezone.localdate() + datetime.timedelta(days=3),
            actor=supervisor,
        )
    client.force_login(supervisor)
    # 1 the session, 2 user, 3 permissions; 4 the count for the pager, 5 the page of assignments
    # with course, user and assigner; 6 the courses and 7 the staff of the assignment form.
    with django_assert_num_queries(7):
        response = client.get(reverse("training-team"))

    assert len(response.context["assignments"]) == count


@pytest.mark.parametrize("staff", [0, 5])
def test_kpi_page_runs_a_constant_number_of_queries(
    client, supervisor, make_user, django_assert_num_queries, staff
):
    for n in range(staff):
        make_user(Role.SALES_ADVISOR, username=f"sales-{n}")
    compute_monthly_kpis(timezone.localdate())
    client.force_login(supervisor)
    # 1 the session, 2 user, 3 permissions; 4 the teams, 5 the ranking with users and teams, 6 the
    # trends.
    with django_assert_num_queries(6):
        response = client.get(reverse("training-kpis"))

    # The five personas (supervisor fixture) and the sales advisors.
    assert len(response.context["ranking"]) == 5 + staff


@pytest.mark.parametrize("count", [1, 6])
def test_suggestions_page_runs_a_constant_number_of_queries(
    client, specialist, supervisor, django_assert_num_queries, count
):
    for n in range(count):
        submit_suggestion(author=specialist, subject=f"建议{n}", body="内容")
    client.force_login(supervisor)
    # 1 the session, 2 user, 3 permissions; 4 the count for the pager, 5 the page with authors and
    # answerers.
    with django_assert_num_queries(5):
        response = client.get(reverse("training-suggestions"))

    assert len(response.context["suggestions"]) == count


def test_course_page_runs_a_constant_number_of_queries(
    client, specialist, assessment, django_assert_num_queries
):
    passed_attempt(assessment, specialist)
    client.force_login(specialist)
    # 1 the session, 2 user, 3 permissions; 4 the course, 5 its modules with read flags, 6 their
    # handouts, 7 its assessments, 8 its roles, 9 my attempts at it.
    with django_assert_num_queries(9):
        client.get(reverse("training-course", args=[assessment.course_id]))


@pytest.mark.parametrize("months", [1, 4])
def test_my_kpis_page_runs_a_constant_number_of_queries(
    client, specialist, django_assert_num_queries, months
):
    for month in range(1, months + 1):
        compute_monthly_kpis(datetime.date(2026, month, 1))
    client.force_login(specialist)
    # 1 the session, 2 user, 3 permissions; 4 my KPIs of the last 12 months with team.
    with django_assert_num_queries(4):
        response = client.get(reverse("training-my-kpis"))

    assert len(response.context["kpis"]) == months


def test_supervisors_see_each_assignments_module_progress(client, specialist, supervisor):
    course = CourseFactory()
    first, _second, _third = (ModuleFactory(course=course) for _ in range(3))
    assign_course(
        course,
        specialist,
        due_on=timezone.localdate() + datetime.timedelta(days=3),
        actor=supervisor,
    )
    client.force_login(specialist)
    client.post(reverse("training-module-complete", args=[first.pk]))
    client.force_login(supervisor)

    response = client.get(reverse("training-team"))

    [row] = response.context["assignments"]
    assert (row.modules_done, row.module_count) == (1, 3)
    assert '<progress value="1" max="3"></progress> 1/3' in html_of(response)


def test_handouts_download_for_staff_only(client, personas, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    module = ModuleFactory()
    handout = add_module_attachment(module, SimpleUploadedFile("讲义.png", PNG))
    url = reverse("training-handout", args=[handout.pk])
    client.force_login(personas[Role.SALES_ADVISOR])
    staff = client.get(url)
    page = html_of(client.get(reverse("training-course", args=[module.course_id])))
    client.force_login(personas[Role.CUSTOMER])
    customer = client.get(url)

    assert staff.status_code == 200
    assert b"".join(staff.streaming_content) == PNG
    assert url in page
    assert customer.status_code == 403


def test_a_handout_is_offered_under_a_server_chosen_name_and_shown_by_its_own(
    client, personas, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    module = ModuleFactory()
    handout = add_module_attachment(
        module,
        SimpleUploadedFile("<img src=x onerror=alert(1)>讲义.html", PNG, content_type="text/html"),
    )
    client.force_login(personas[Role.SALES_ADVISOR])

    download = client.get(reverse("training-handout", args=[handout.pk]))
    page = html_of(client.get(reverse("training-course", args=[module.course_id])))

    assert download["Content-Disposition"] == (
        f'attachment; filename="{module.course.code}-{handout.pk}.png"'
    )
    assert download["Content-Type"] == "image/png"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert "&lt;img src=x onerror=alert(1)&gt;讲义.html" in page
    assert "<img src=x" not in page


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("invoice.html", PNG_WITH_HTML, "attachment_damaged"),
        (
            "plan.pdf",
            tiny_pdf(b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >> "),
            ("attachment_active_content"),
        ),
        ("notes.exe", b"MZ\x90\x00 not a picture", "attachment_type"),
    ],
)
def test_a_handout_that_does_not_parse_cleanly_is_refused(
    db, settings, tmp_path, name, content, code
):
    settings.MEDIA_ROOT = tmp_path / "media"
    module = ModuleFactory()

    with pytest.raises(ValidationError) as refused:
        add_module_attachment(module, SimpleUploadedFile(name, content))

    assert [error.code for error in refused.value.error_dict["file"]] == [code]
    assert module.attachments.count() == 0
    assert not (tmp_path / "media").exists() or not any((tmp_path / "media").rglob("*.*"))
