"""The training app's beat sweeps: overdue-training reminders and remedial assignments.

Both are idempotent and claim their rows in the database: a reminder by a conditional
``UPDATE`` of the assignment's ``reminded_at`` (checked by its row count), a remedial trigger by
its unique key (the newest low survey that tipped the count), so a sweep that runs twice, or
two at once, tells and assigns once.
"""

import datetime
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints.choices import SurveyStatus, TicketCategory
from complaints.models import Notification, Survey
from complaints.notifications import staff_notification
from training.choices import AssignmentReason
from training.kpis import surveys_with_resolver
from training.models import Assignment, Course, RemedialCourse, RemedialTrigger
from training.services import TrainingError, assign_course, holder_name, supervisors_of

logger = logging.getLogger(__name__)


def remind_overdue_assignments(now: datetime.datetime | None = None, limit: int = 500) -> int:
    """Remind each staff member of training past its due date, and tell their supervisor;
    again after ``TRAINING_REMINDER_REPEAT_DAYS`` while it stays overdue. Returns how many
    assignments were reminded."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    again_before = now - datetime.timedelta(days=settings.TRAINING_REMINDER_REPEAT_DAYS)
    due = Q(completed_at__isnull=True, due_on__lt=today) & (
        Q(reminded_at__isnull=True) | Q(reminded_at__lt=again_before)
    )
    ids = list(
        Assignment.objects.filter(due).order_by("due_on", "pk").values_list("pk", flat=True)[:limit]
    )
    reminded = 0
    for assignment_id in ids:
        with transaction.atomic():
            # The claim: only the sweep whose UPDATE matched sends the reminder.
            if Assignment.objects.filter(due, pk=assignment_id).update(reminded_at=now) != 1:
                continue
            assignment = Assignment.objects.select_related("course", "user").get(pk=assignment_id)
            user, course = assignment.user, assignment.course
            days = (today - assignment.due_on).days
            rows = [
                staff_notification(
                    user,
                    None,
                    subject=_("Overdue training: %(course)s") % {"course": course.title},
                    body=_(
                        "The course %(course)s was due on %(due)s (%(days)d days ago). "
                        "Please finish it under My training."
                    )
                    % {"course": course.title, "due": assignment.due_on.isoformat(), "days": days},
                )
            ]
            rows += [
                staff_notification(
                    supervisor,
                    None,
                    subject=_("Overdue training of %(name)s") % {"name": holder_name(user)},
                    body=_("%(name)s has not finished %(course)s, due on %(due)s.")
                    % {
                        "name": holder_name(user),
                        "course": course.title,
                        "due": assignment.due_on.isoformat(),
                    },
                )
                for supervisor in supervisors_of(user)
            ]
            Notification.objects.bulk_create(rows)
            reminded += 1
    return reminded


def low_score_groups(now: datetime.datetime | None = None) -> list[dict]:
    """(resolver, category) pairs with at least the threshold of low scores in the window
    since their last trigger: one aggregate query over the answered surveys."""
    now = now or timezone.now()
    since = now - datetime.timedelta(days=settings.TRAINING_REMEDIAL_WINDOW_DAYS)
    low = settings.TRAINING_REMEDIAL_LOW_SCORE
    return list(
        surveys_with_resolver(
            Survey.objects.filter(
                status=SurveyStatus.ANSWERED, answered_at__gte=since, score__lte=low
            )
        )
        .filter(resolver_id__isnull=False)
        .values("resolver_id", "ticket__category")
        .annotate(low_scores=Count("pk"), last_answered_at=Max("answered_at"))
        .filter(low_scores__gte=settings.TRAINING_REMEDIAL_THRESHOLD)
        .order_by("resolver_id", "ticket__category")
    )


def assign_remedial_training(now: datetime.datetime | None = None) -> int:
    """Repeated low satisfaction scores in one ticket category → that category's course for
    the staff member who resolved those tickets, and their supervisor is told. Returns how
    many triggers fired.

    Low scores count from the staff member's last trigger in the category on, so the same
    scores never trigger twice; a category without an active course triggers nothing."""
    now = now or timezone.now()
    courses = {
        row.category: row.course
        for row in RemedialCourse.objects.filter(course__is_active=True).select_related("course")
    }
    if not courses:
        return 0
    fired = 0
    for group in low_score_groups(now):
        user_id, category = group["resolver_id"], group["ticket__category"]
        course = courses.get(category)
        if course is None:
            continue
        previous = (
            RemedialTrigger.objects.filter(user_id=user_id, category=category)
            .order_by("-last_answered_at")
            .values_list("last_answered_at", flat=True)
            .first()
        )
        since = now - datetime.timedelta(days=settings.TRAINING_REMEDIAL_WINDOW_DAYS)
        scores = surveys_with_resolver(
            Survey.objects.filter(
                status=SurveyStatus.ANSWERED,
                answered_at__gte=max(since, previous) if previous else since,
                score__lte=settings.TRAINING_REMEDIAL_LOW_SCORE,
                ticket__category=category,
            )
        ).filter(resolver_id=user_id)
        if previous is not None:
            scores = scores.exclude(answered_at=previous)
        newest = scores.order_by("-answered_at", "-pk").first()
        count = scores.count()
        if newest is None or count < settings.TRAINING_REMEDIAL_THRESHOLD:
            continue
        try:
            if _fire(newest, user_id, category, count, course, now):
                fired += 1
        except TrainingError as exc:
            # Someone who no longer holds a staff role, say: the others still get theirs.
            logger.warning("no remedial training for user %s: %s", user_id, exc.message)
    return fired


def _fire(newest: Survey, user_id: int, category: str, count: int, course: Course, now) -> bool:
    user = get_user_model().objects.get(pk=user_id)
    due_on = timezone.localdate(now) + datetime.timedelta(days=settings.TRAINING_REMEDIAL_DUE_DAYS)
    try:
        with transaction.atomic():
            trigger = RemedialTrigger.objects.create(
                user=user,
                category=category,
                low_scores=count,
                last_survey=newest,
                last_answered_at=newest.answered_at,
            )
            label = TicketCategory(category).label
            assignment = assign_course(
                course,
                user,
                due_on=due_on,
                actor=None,
                reason=AssignmentReason.REMEDIAL,
                note=_("%(count)d low satisfaction scores on %(category)s tickets")
                % {"count": count, "category": label},
            )
            trigger.assignment = assignment
            trigger.save(update_fields=["assignment"])
            Notification.objects.bulk_create(
                staff_notification(
                    supervisor,
                    None,
                    subject=_("Remedial training for %(name)s") % {"name": holder_name(user)},
                    body=_(
                        "%(name)s had %(count)d low satisfaction scores on %(category)s tickets; "
                        "the course %(course)s was assigned, due on %(due)s."
                    )
                    % {
                        "name": holder_name(user),
                        "count": count,
                        "category": label,
                        "course": course.title,
                        "due": due_on.isoformat(),
                    },
                )
                for supervisor in supervisors_of(user)
            )
    except IntegrityError:
        # Another sweep recorded this trigger first.
        return False
    logger.info("remedial training %s for user %s (%s)", course.code, user.pk, category)
    return True
