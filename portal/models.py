"""Users of every portal and the scheduler's heartbeat."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from portal.roles import ROLES, Role


class User(AbstractUser):
    """Anyone who signs in: staff (roles are groups) and customers (linked to a crm record).

    Custom from the first migration so that later fields (a customer's login by phone number,
    a staff member's team) never need a swap of the user model.
    """

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]
        # One permission per portal section: roles get them through their groups, and the
        # navigation and the workspace views ask for nothing else.
        permissions = [(spec.permission_codename, spec.permission_name) for spec in ROLES]

    @cached_property
    def roles(self) -> frozenset[Role]:
        """The roles this user holds, from group membership (one query, then cached)."""
        names = set(self.groups.values_list("name", flat=True))
        return frozenset(role for role in Role if role.value in names)

    def has_role(self, role: Role) -> bool:
        return role in self.roles


class WorkerHeartbeat(models.Model):
    """Last time each Celery worker ran the beat-scheduled heartbeat.

    One row per worker: it proves that beat schedules and the worker both run, and /healthz
    reports its age.
    """

    worker = models.CharField(_("worker"), max_length=200, unique=True)
    beats = models.PositiveBigIntegerField(_("beats"), default=0)
    last_seen_at = models.DateTimeField(_("last seen at"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")
        ordering = ["-last_seen_at"]

    def __str__(self) -> str:
        return self.worker
