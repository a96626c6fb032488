"""The training sweeps run as Celery tasks on a real worker, and beat knows their schedules."""

import datetime

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from portal.roles import Role
from portal.services import ensure_default_schedules
from tests.conftest import wait_for
from tests.training.factories import ModuleFactory
from training import tasks
from training.models import Assignment, StaffKpi
from training.services import assign_course


def test_beat_schedules_the_training_sweeps(db):
    ensure_default_schedules()

    scheduled = dict(
        PeriodicTask.objects.filter(name__startswith="training:").values_list("name", "task")
    )

    assert scheduled == {
        "training: overdue training reminders": "training.tasks.remind_overdue_training",
        "training: remedial training for low satisfaction": (
            "training.tasks.assign_remedial_training_task"
        ),
        "training: close attempts past their time limit": (
            "training.tasks.expire_overdue_attempts_task"
        ),
        "training: monthly staff KPIs": "training.tasks.compute_kpis_task",
    }


def test_the_kpi_task_computes_the_month_it_is_given(personas):
    written = tasks.compute_kpis_task("2026-10")

    assert written == 5
    assert set(StaffKpi.objects.values_list("month", flat=True)) == {datetime.date(2026, 10, 1)}


@pytest.mark.celery_worker
def test_the_reminder_sweep_runs_on_a_real_worker(celery_worker, personas):
    specialist = personas[Role.SERVICE_SPECIALIST]
    assignment = assign_course(
        ModuleFactory().course,
        specialist,
        due_on=timezone.localdate() + datetime.timedelta(days=1),
        actor=personas[Role.SUPERVISOR],
        notify=False,
    )
    Assignment.objects.filter(pk=assignment.pk).update(
        due_on=timezone.localdate() - datetime.timedelta(days=2)
    )

    tasks.remind_overdue_training.delay()

    reminded = wait_for(
        lambda: Assignment.objects.filter(pk=assignment.pk, reminded_at__isnull=False).exists(),
        timeout=30,
    )
    assert reminded, celery_worker.log()
    assert specialist.notifications.count() == 1
