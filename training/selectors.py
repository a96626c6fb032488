"""Reads of the training app, scoped to who asks and tuned to a constant number of queries.

Staff members read the active courses and their own assignments, attempts, certificates, KPIs
and suggestions; supervisors (``permissions.may_view_team``) read everyone's. Anyone else gets
empty querysets: an id outside the scope is the same 404 as a missing one.
"""

import datetime

from django.db.models import Avg, Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from portal.months import next_month
from training.choices import AttemptStatus
from training.models import (
    Assessment,
    Assignment,
    Attempt,
    AttemptQuestion,
    Certificate,
    Choice,
    Course,
    Module,
    ModuleProgress,
    StaffKpi,
    Suggestion,
)
from training.permissions import may_take_training, may_view_team


def courses_for(user) -> QuerySet[Course]:
    if not may_take_training(user):
        return Course.objects.none()
    return Course.objects.filter(is_active=True)


def with_progress(courses: QuerySet[Course], user) -> QuerySet[Course]:
    """Each course with its module count and how many of them the user has read."""
    return courses.annotate(
        module_count=Count("modules", distinct=True),
        modules_done=Count("modules", filter=Q(modules__progress__user=user), distinct=True),
    )


def my_courses(user) -> QuerySet[Course]:
    """The courses for the user's roles or assigned to them, with their progress."""
    roles = [role.value for role in user.roles]
    scope = courses_for(user).filter(
        Q(roles__role__in=roles) | Q(assignments__user=user, assignments__completed_at__isnull=True)
    )
    ids = scope.values("pk")
    return with_progress(Course.objects.filter(pk__in=ids), user).order_by("code")


def course_detail(user, pk: int) -> Course:
    """A course with its modules (and their handouts), assessments and roles, in a fixed number
    of queries. Raises ``Course.DoesNotExist``."""
    return (
        courses_for(user)
        .prefetch_related(
            Prefetch(
                "modules",
                queryset=Module.objects.annotate(
                    done=Exists(ModuleProgress.objects.filter(module=OuterRef("pk"), user=user))
                ).prefetch_related("attachments"),
            ),
            Prefetch("assessments", queryset=Assessment.objects.filter(is_active=True)),
            "roles",
        )
        .get(pk=pk)
    )


def module_for(user, pk: int) -> Module:
    return Module.objects.select_related("course").get(pk=pk, course__in=courses_for(user))


def assessments_for(user) -> QuerySet[Assessment]:
    return Assessment.objects.filter(is_active=True, course__in=courses_for(user)).select_related(
        "course"
    )


def assignments_for(user) -> QuerySet[Assignment]:
    """Supervisors: everyone's; staff: their own. Each with its progress: the course's module
    count and how many of them its staff member has read (subqueries of the same query)."""
    if may_view_team(user):
        scope = Assignment.objects.all()
    elif may_take_training(user):
        scope = Assignment.objects.filter(user=user)
    else:
        return Assignment.objects.none()
    return with_assignment_progress(scope.select_related("course", "user", "assigned_by"))


def with_assignment_progress(assignments: QuerySet[Assignment]) -> QuerySet[Assignment]:
    course_modules = Module.objects.filter(course=OuterRef("course"))
    read = ModuleProgress.objects.filter(user=OuterRef("user"), module__course=OuterRef("course"))
    return assignments.annotate(
        module_count=Coalesce(
            Subquery(
                course_modules.order_by().values("course").annotate(n=Count("pk")).values("n")
            ),
            0,
        ),
        modules_done=Coalesce(
            Subquery(read.order_by().values("user").annotate(n=Count("pk")).values("n")),
            0,
        ),
    )


def attempts_for(user) -> QuerySet[Attempt]:
    if may_view_team(user):
        scope = Attempt.objects.all()
    elif may_take_training(user):
        scope = Attempt.objects.filter(user=user)
    else:
        return Attempt.objects.none()
    return scope.select_related("assessment__course", "user")


def attempt_detail(user, pk: int) -> Attempt:
    """An attempt with its drawn questions and their options (3 queries)."""
    return (
        attempts_for(user)
        .select_related("certificate")
        .prefetch_related(
            Prefetch(
                "questions",
                queryset=AttemptQuestion.objects.select_related("question").prefetch_related(
                    Prefetch("question__choices", queryset=Choice.objects.order_by("pk"))
                ),
            )
        )
        .get(pk=pk)
    )


def own_attempt(user, pk: int) -> Attempt:
    """An attempt the user takes (a supervisor reads others' but never answers them)."""
    return Attempt.objects.select_related("assessment__course").get(pk=pk, user=user)


def certificates_for(user) -> QuerySet[Certificate]:
    if may_view_team(user):
        scope = Certificate.objects.all()
    elif may_take_training(user):
        scope = Certificate.objects.filter(user=user)
    else:
        return Certificate.objects.none()
    return scope.select_related("user", "course")


def kpis_for(user) -> QuerySet[StaffKpi]:
    """Supervisors: every staff member's KPIs; staff: their own."""
    if may_view_team(user):
        scope = StaffKpi.objects.all()
    elif may_take_training(user):
        scope = StaffKpi.objects.filter(user=user)
    else:
        return StaffKpi.objects.none()
    return scope.select_related("user", "team")


def kpi_ranking(user, month: datetime.date, *, team=None, role: str = "") -> QuerySet[StaffKpi]:
    """The month's ranking by incentive score, optionally of one team or role."""
    scope = kpis_for(user).filter(month=month)
    if team is not None:
        scope = scope.filter(team=team)
    if role:
        scope = scope.filter(role=role)
    return scope.order_by("-incentive_score", "user__username")


def kpi_trends(user, *, until: datetime.date, months: int = 6, by: str = "role") -> list[dict]:
    """Month-by-month averages per role (or team) over ``months`` months up to ``until``:
    one aggregate query."""
    start = until
    for _ in range(months - 1):
        start = (start.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    key = "team__name" if by == "team" else "role"
    rows = (
        kpis_for(user)
        .filter(month__gte=start, month__lt=next_month(until))
        .values("month", key)
        .annotate(
            staff=Count("pk"),
            incentive=Avg("incentive_score"),
            tickets=Sum("tickets_handled"),
            satisfaction=Avg("satisfaction_avg"),
            sla=Avg("sla_rate"),
        )
        .order_by(key, "month")
    )
    return [{**row, "group": row[key]} for row in rows]


def suggestions_for(user) -> QuerySet[Suggestion]:
    if may_view_team(user):
        scope = Suggestion.objects.all()
    elif may_take_training(user):
        scope = Suggestion.objects.filter(author=user)
    else:
        return Suggestion.objects.none()
    return scope.select_related("author", "answered_by")


def open_attempts(user) -> QuerySet[Attempt]:
    return attempts_for(user).filter(user=user, status=AttemptStatus.IN_PROGRESS)
