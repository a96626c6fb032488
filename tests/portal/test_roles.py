"""Role groups, their permissions, django-guardian wiring and the default schedules."""

from django.contrib.auth.models import Group, Permission
from django_celery_beat.models import PeriodicTask
from guardian.shortcuts import assign_perm, get_objects_for_user, remove_perm

from portal.roles import ROLE_PERMISSIONS, Role
from portal.services import ensure_default_schedules, sync_role_groups


def group_permissions(role: Role) -> set[str]:
    group = Group.objects.get(name=role.value)
    return {
        f"{app}.{codename}"
        for app, codename in group.permissions.values_list("content_type__app_label", "codename")
    }


def test_every_role_has_a_group_with_exactly_its_permissions(db):
    assert {role: group_permissions(role) for role in Role} == {
        role: set(names) for role, names in ROLE_PERMISSIONS.items()
    }


def test_sync_role_groups_restores_a_removed_permission(db):
    group = Group.objects.get(name=Role.SUPERVISOR.value)
    group.permissions.clear()
    group.permissions.add(Permission.objects.get(codename="delete_user"))

    sync_role_groups()

    assert group_permissions(Role.SUPERVISOR) == set(ROLE_PERMISSIONS[Role.SUPERVISOR])


def test_guardian_grants_and_revokes_a_permission_on_one_object(make_user):
    supervisor = make_user(Role.SUPERVISOR)
    customer, other_customer = make_user(Role.CUSTOMER), make_user(Role.CUSTOMER)

    assign_perm("portal.change_user", supervisor, customer)
    granted = (
        supervisor.has_perm("portal.change_user", customer),
        supervisor.has_perm("portal.change_user", other_customer),
        supervisor.has_perm("portal.change_user"),
        list(get_objects_for_user(supervisor, "portal.change_user")),
    )
    remove_perm("portal.change_user", supervisor, customer)
    supervisor = type(supervisor).objects.get(pk=supervisor.pk)

    assert granted == (True, False, False, [customer])
    assert supervisor.has_perm("portal.change_user", customer) is False


def test_default_schedules_exist_after_migrate_and_admin_edits_survive(db):
    heartbeat = PeriodicTask.objects.get(name="portal: worker heartbeat")
    heartbeat.enabled = False
    heartbeat.save()

    created = ensure_default_schedules()

    heartbeat.refresh_from_db()
    assert created == 0
    assert heartbeat.task == "portal.tasks.record_heartbeat"
    assert heartbeat.interval.every == 60
    assert heartbeat.enabled is False
