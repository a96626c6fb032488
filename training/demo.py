"""Demo training data, loaded by ``seed_demo`` after ``complaints.demo``: a team under the demo
supervisor, course assignments, a passed exam with its certificate and a failed one, answered
and open suggestions, and this month's KPIs (computed from the demo tickets, contacts and
orders). Everything goes through ``training.services``; each step is keyed so that a second
run of ``seed_demo`` creates nothing."""

import datetime
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from portal.roles import Role
from training.choices import QuestionKind
from training.kpis import compute_monthly_kpis
from training.models import (
    Assessment,
    Attempt,
    Choice,
    Course,
    StaffKpi,
    Suggestion,
    Team,
    TeamMember,
)
from training.services import (
    answer_suggestion,
    assign_course,
    assign_course_to_role,
    complete_module,
    start_attempt,
    submit_attempt,
    submit_suggestion,
)

TEAM_NAME = "客服一组"
TEAM_SUPERVISOR = "supervisor"
TEAM_MEMBERS = ("specialist", "specialist2", "engineer", "coordinator", "sales")

SUGGESTIONS = (
    (
        "specialist2",
        "常用回复模板",
        "希望在工单页面增加常用回复模板，减少重复输入。",
        "已列入下月系统优化计划，谢谢建议！",
    ),
    ("sales", "套餐对比表", "建议在营业厅提供新旧套餐的对比表，方便向客户解释差异。", ""),
)


def _users() -> dict:
    return get_user_model().objects.in_bulk([TEAM_SUPERVISOR, *TEAM_MEMBERS], field_name="username")


@transaction.atomic
def seed_team() -> int:
    users = _users()
    team, created = Team.objects.get_or_create(
        name=TEAM_NAME, defaults={"supervisor": users.get(TEAM_SUPERVISOR)}
    )
    rows = int(created)
    for username in TEAM_MEMBERS:
        if username in users:
            _member, made = TeamMember.objects.get_or_create(
                user=users[username], defaults={"team": team}
            )
            rows += int(made)
    return rows


@transaction.atomic
def seed_assignments() -> int:
    users = _users()
    supervisor = users[TEAM_SUPERVISOR]
    due = timezone.localdate() + datetime.timedelta(days=14)
    created = assign_course_to_role(
        Course.objects.get(code="handbook-6"), Role.SERVICE_SPECIALIST, due_on=due, actor=supervisor
    )
    before = users["sales"].training_assignments.count()
    assign_course(
        Course.objects.get(code="role-sales-advisor"),
        users["sales"],
        due_on=due,
        actor=supervisor,
        note="新产品上线前完成",
    )
    return created + users["sales"].training_assignments.count() - before


def _correct_answers(attempt: Attempt, right: int) -> dict[int, list[int]]:
    answers = {}
    for item in attempt.questions.select_related("question").order_by("position"):
        correct = set(
            Choice.objects.filter(question=item.question, is_correct=True).values_list(
                "pk", flat=True
            )
        )
        if item.position <= right:
            answers[item.position] = sorted(correct)
        elif item.question.kind == QuestionKind.MULTIPLE:
            answers[item.position] = []
        else:
            answers[item.position] = [next(c for c in item.choice_order if c not in correct)]
    return answers


@transaction.atomic
def seed_exam(username: str, course_code: str, right: int) -> int:
    """``username`` reads the course and sits its exam with ``right`` correct answers."""
    user = _users()[username]
    assessment = Assessment.objects.get(course__code=course_code)
    if Attempt.objects.filter(assessment=assessment, user=user).exists():
        return 0
    for module in assessment.course.modules.all():
        complete_module(module, user=user)
    attempt = start_attempt(assessment, user=user, seed=20261201)
    submit_attempt(attempt, user=user, answers=_correct_answers(attempt, right))
    return 1


@transaction.atomic
def seed_suggestion(username: str, subject: str, body: str, answer: str) -> int:
    users = _users()
    if Suggestion.objects.filter(author=users[username], subject=subject).exists():
        return 0
    suggestion = submit_suggestion(author=users[username], subject=subject, body=body)
    if answer:
        answer_suggestion(suggestion, actor=users[TEAM_SUPERVISOR], answer=answer)
    return 1


def seed_kpis() -> int:
    """This month's KPIs from the demo data (the nightly job recomputes them)."""
    month = timezone.localdate().replace(day=1)
    before = StaffKpi.objects.filter(month=month).count()
    compute_monthly_kpis(month)
    return StaffKpi.objects.filter(month=month).count() - before


def demo_steps() -> list[tuple[str, Callable[[], int]]]:
    return [
        ("training team", seed_team),
        ("training assignments", seed_assignments),
        ("exam passed", lambda: seed_exam("specialist", "handbook-2", 4)),
        ("exam failed", lambda: seed_exam("engineer", "role-tech-support", 2)),
        *[
            (f"suggestion {subject}", lambda s=(u, subject, b, a): seed_suggestion(*s))
            for u, subject, b, a in SUGGESTIONS
        ],
        ("staff KPIs", seed_kpis),
    ]
