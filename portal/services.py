"""Writes owned by the site package: role groups, default schedules, the worker heartbeat."""

import logging

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from portal.models import WorkerHeartbeat
from portal.roles import ROLE_PERMISSIONS
from portal.schedules import DEFAULT_PERIODIC_TASKS

logger = logging.getLogger(__name__)


@transaction.atomic
def sync_role_groups() -> None:
    """Create one group per role and give it exactly the permissions ``ROLE_PERMISSIONS`` lists.

    Idempotent; runs after every migrate so that new permissions of new models reach their
    roles without a hand-written data migration per issue.
    """
    for role, permission_names in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role.value)
        permissions = []
        for name in permission_names:
            app_label, codename = name.split(".", 1)
            try:
                permissions.append(
                    Permission.objects.get(content_type__app_label=app_label, codename=codename)
                )
            except Permission.DoesNotExist as exc:
                raise LookupError(f"Role {role.value!r} names unknown permission {name!r}") from exc
        group.permissions.set(permissions)


@transaction.atomic
def ensure_default_schedules() -> int:
    """Create the periodic tasks the platform needs, leaving existing ones as the admin left them.

    Returns how many were created. Schedules live in the database (django-celery-beat), so that
    operators can change a time or disable a job in the admin without a deploy.
    """
    from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

    created = 0
    for spec in DEFAULT_PERIODIC_TASKS:
        schedule_kwargs = {}
        if spec.every_seconds is not None:
            schedule_kwargs["interval"], _ = IntervalSchedule.objects.get_or_create(
                every=spec.every_seconds, period=IntervalSchedule.SECONDS
            )
        else:
            minute, hour, day_of_month, month_of_year, day_of_week = spec.crontab.split()
            schedule_kwargs["crontab"], _ = CrontabSchedule.objects.get_or_create(
                minute=minute,
                hour=hour,
                day_of_month=day_of_month,
                month_of_year=month_of_year,
                day_of_week=day_of_week,
                timezone=timezone.get_default_timezone_name(),
            )
        _task, was_created = PeriodicTask.objects.get_or_create(
            name=spec.name,
            defaults={"task": spec.task, "description": str(spec.description), **schedule_kwargs},
        )
        created += was_created
    return created


def record_worker_heartbeat(*, worker: str) -> WorkerHeartbeat:
    """Note that ``worker`` ran the scheduled heartbeat now (a counter bump, never lost)."""
    now = timezone.now()
    with transaction.atomic():
        heartbeat, created = WorkerHeartbeat.objects.get_or_create(
            worker=worker, defaults={"last_seen_at": now, "beats": 1}
        )
        if not created:
            WorkerHeartbeat.objects.filter(pk=heartbeat.pk).update(
                last_seen_at=now, beats=F("beats") + 1
            )
            heartbeat.refresh_from_db()
    logger.info("worker heartbeat from %s (%d beats)", worker, heartbeat.beats)
    return heartbeat
