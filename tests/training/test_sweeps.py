"""Closing the loop: repeated low satisfaction assigns the category's course (once per trigger)
and tells the supervisor; overdue training is reminded, the supervisor told."""

import datetime

from django.utils import timezone

from complaints.choices import NotificationStatus, TicketKind, TicketStatus
from complaints.models import Notification, Survey
from complaints.services import assign_ticket, resolve_ticket, transition_ticket
from complaints.surveys import answer_survey
from complaints.tasks import send_survey
from portal.roles import Role
from tests.complaints.factories import make_ticket
from tests.crm.factories import MobileLineFactory
from tests.training.factories import ModuleFactory
from training.choices import AssignmentReason
from training.models import Assignment, Course, RemedialTrigger, Team, TeamMember
from training.services import assign_course
from training.sweeps import assign_remedial_training, remind_overdue_assignments


def scored_fault(personas, engineer, score: int, category: str = "mobile_signal"):
    """A fault the engineer resolved, whose survey the customer answered with ``score``."""
    ticket = make_ticket(
        personas[Role.SERVICE_SPECIALIST],
        TicketKind.FAULT,
        line=MobileLineFactory(),
        category=category,
    )
    ticket = assign_ticket(ticket, engineer, actor=engineer)
    ticket = transition_ticket(ticket, TicketStatus.IN_PROGRESS, actor=engineer)
    ticket = resolve_ticket(ticket, actor=engineer, resolution="已处理")
    survey = ticket.surveys.get()
    Survey.objects.filter(pk=survey.pk).update(send_after=timezone.now())
    assert send_survey(survey.pk)
    survey.refresh_from_db()
    # The real answer: a low score reopens the ticket to a coordinator.
    return answer_survey(survey, score=score, resolved=score > 2, comment="")


def messages_to(user) -> list[str]:
    return list(
        Notification.objects.filter(user=user).order_by("pk").values_list("subject", flat=True)
    )


def test_repeated_low_scores_assign_the_category_course_and_tell_the_supervisor(
    personas, engineer, supervisor
):
    for score in (1, 2, 2):
        scored_fault(personas, engineer, score)

    fired = assign_remedial_training()

    # The reference data maps signal faults to the tech-support must-know course.
    course = Course.objects.get(code="role-tech-support")
    assignment = Assignment.objects.get(user=engineer)
    trigger = RemedialTrigger.objects.get()
    assert fired == 1
    assert (assignment.course, assignment.reason, assignment.assigned_by) == (
        course,
        AssignmentReason.REMEDIAL,
        None,
    )
    assert assignment.due_on == timezone.localdate() + datetime.timedelta(days=14)
    assert (trigger.user, trigger.category, trigger.low_scores) == (engineer, "mobile_signal", 3)
    assert trigger.assignment == assignment
    assert messages_to(engineer)[-1] == f"新培训：{course.title}"
    assert messages_to(supervisor) == [f"员工 {engineer.get_full_name()} 需参加补强培训"]


def test_the_same_low_scores_trigger_once(personas, engineer, supervisor):
    for score in (1, 1, 2):
        scored_fault(personas, engineer, score)

    assert assign_remedial_training() == 1
    assert assign_remedial_training() == 0

    assert RemedialTrigger.objects.count() == 1
    assert Assignment.objects.filter(user=engineer).count() == 1
    assert len(messages_to(supervisor)) == 1


def test_new_low_scores_after_a_trigger_count_from_it(personas, engineer):
    for score in (1, 1, 1):
        scored_fault(personas, engineer, score)
    assign_remedial_training()

    for score in (2, 2):
        scored_fault(personas, engineer, score)
    assert assign_remedial_training() == 0

    scored_fault(personas, engineer, 1)
    assert assign_remedial_training() == 1
    assert RemedialTrigger.objects.order_by("pk").last().low_scores == 3


def test_scores_above_the_threshold_or_in_other_categories_do_not_add_up(personas, engineer):
    scored_fault(personas, engineer, 1, "mobile_signal")
    scored_fault(personas, engineer, 1, "broadband")
    scored_fault(personas, engineer, 3, "mobile_signal")
    scored_fault(personas, engineer, 2, "mobile_data")

    assert assign_remedial_training() == 0
    assert Assignment.objects.count() == 0


def test_the_threshold_is_configurable(personas, engineer, settings):
    settings.TRAINING_REMEDIAL_THRESHOLD = 2
    settings.TRAINING_REMEDIAL_LOW_SCORE = 3
    scored_fault(personas, engineer, 3)
    scored_fault(personas, engineer, 3)

    assert assign_remedial_training() == 1


def test_low_scores_count_for_who_resolved_not_who_holds_the_reopened_ticket(personas, engineer):
    for score in (1, 1, 1):
        survey = scored_fault(personas, engineer, score)
    survey.ticket.refresh_from_db()
    assert survey.ticket.assignee == personas[Role.COMPLAINT_COORDINATOR]

    assign_remedial_training()

    assert list(Assignment.objects.values_list("user", flat=True)) == [engineer.pk]


def test_the_team_supervisor_is_told_rather_than_every_supervisor(
    personas, engineer, supervisor, make_user
):
    other_supervisor = make_user(Role.SUPERVISOR, username="supervisor-2")
    team = Team.objects.create(name="装维一组", supervisor=other_supervisor)
    TeamMember.objects.create(team=team, user=engineer)
    for score in (1, 1, 1):
        scored_fault(personas, engineer, score)

    assign_remedial_training()

    assert len(messages_to(other_supervisor)) == 1
    assert messages_to(supervisor) == []


# --- Overdue reminders ----------------------------------------------------------------------


def overdue(personas, user, days: int = 3) -> Assignment:
    course = ModuleFactory().course
    assignment = assign_course(
        course,
        user,
        due_on=timezone.localdate() + datetime.timedelta(days=1),
        actor=personas[Role.SUPERVISOR],
        notify=False,
    )
    Assignment.objects.filter(pk=assignment.pk).update(
        due_on=timezone.localdate() - datetime.timedelta(days=days)
    )
    return assignment


def test_overdue_training_is_reminded_and_the_supervisor_told(personas, supervisor):
    specialist = personas[Role.SERVICE_SPECIALIST]
    assignment = overdue(personas, specialist)

    assert remind_overdue_assignments() == 1

    assignment.refresh_from_db()
    assert assignment.reminded_at is not None
    assert messages_to(specialist) == [f"培训已逾期：{assignment.course.title}"]
    assert messages_to(supervisor) == [f"员工 {specialist.get_full_name()} 的培训已逾期"]
    assert set(Notification.objects.values_list("status", flat=True)) == {
        NotificationStatus.PENDING
    }


def test_a_reminder_is_sent_once_until_the_repeat_interval(personas, settings):
    specialist = personas[Role.SERVICE_SPECIALIST]
    overdue(personas, specialist)
    remind_overdue_assignments()

    assert remind_overdue_assignments() == 0
    later = timezone.now() + datetime.timedelta(days=settings.TRAINING_REMINDER_REPEAT_DAYS + 1)
    assert remind_overdue_assignments(now=later) == 1
    assert len(messages_to(specialist)) == 2


def test_training_not_yet_due_or_completed_is_not_reminded(personas):
    specialist = personas[Role.SERVICE_SPECIALIST]
    done = overdue(personas, specialist)
    Assignment.objects.filter(pk=done.pk).update(completed_at=timezone.now())
    assign_course(
        ModuleFactory().course,
        specialist,
        due_on=timezone.localdate(),
        actor=personas[Role.SUPERVISOR],
        notify=False,
    )

    assert remind_overdue_assignments() == 0
    assert messages_to(specialist) == []
