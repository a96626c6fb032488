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
        """The roles this user holds: each role's group carries its own section permission
        (``RoleSpec.permission``, granted by group only), so the roles come from the permission
        set every page loads anyway. A superuser holds every permission: ask the groups."""
        if self.is_superuser:
            names = set(self.groups.values_list("name", flat=True))
            return frozenset(role for role in Role if role.value in names)
        return frozenset(spec.role for spec in ROLES if self.has_perm(spec.permission))

    def has_role(self, role: Role) -> bool:
        return role in self.roles

    def get_full_name(self) -> str:
        # Chinese names are written family name first, without a space: 刘洋, not "洋 刘".
        if any("\u4e00" <= char <= "\u9fff" for char in self.first_name + self.last_name):
            return f"{self.last_name}{self.first_name}".strip()
        return super().get_full_name()


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


class NumberSequence(models.Model):
    """Per-day counters behind the numbers customers are told (interactions, orders, tickets).

    Allocation bumps ``last_value`` with an ``UPDATE ... SET last_value = last_value + 1`` under
    the row lock, so concurrent allocations never hand out the same number.
    """

    prefix = models.CharField(_("prefix"), max_length=8)
    day = models.DateField(_("day"))
    last_value = models.PositiveBigIntegerField(_("last value"), default=0)

    class Meta:
        verbose_name = _("number sequence")
        verbose_name_plural = _("number sequences")
        constraints = [
            models.UniqueConstraint(fields=["prefix", "day"], name="uniq_number_sequence_day")
        ]

    def __str__(self) -> str:
        return f"{self.prefix}{self.day:%Y%m%d}"


class OutboundSms(models.Model):
    """An SMS handed to the gateway (``portal.sms``); the default gateway only stores it here.

    One row per message whatever the number of attempts: outbox deliveries find theirs again by
    ``idempotency_key`` (the outbox row's key), a direct text uses ``sms-<id>``.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the gateway")
        SENT = "sent", _("Accepted by the gateway")
        FAILED = "failed", _("Refused or unreachable gateway")

    msisdn = models.CharField(_("mobile number"), max_length=11, db_index=True)
    body = models.TextField(_("text"))
    # Verification codes and similar secrets are stored masked; the real text went to the phone.
    sensitive = models.BooleanField(_("contains a secret"), default=False)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.PENDING
    )
    idempotency_key = models.CharField(
        _("idempotency key"), max_length=80, unique=True, null=True, blank=True, editable=False
    )
    error = models.CharField(_("last error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbound SMS")
        verbose_name_plural = _("SMS outbox")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.msisdn} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def gateway_key(self) -> str:
        return self.idempotency_key or f"sms-{self.pk}"


class DeliveryRetry(models.Model):
    """Append-only: a staff member sent failed or delayed messages again (``portal.outbox``)."""

    class Outbox(models.TextChoices):
        NOTIFICATIONS = "notifications", _("Messages to customers and staff")
        NOTICES = "notices", _("Notices by SMS")

    actor = models.ForeignKey(
        "portal.User", verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    outbox = models.CharField(_("outbox"), max_length=16, choices=Outbox.choices)
    scope = models.CharField(_("what"), max_length=200)
    row_count = models.PositiveIntegerField(_("messages"))
    created_at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("delivery retry")
        verbose_name_plural = _("delivery retries")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_outbox_display()}: {self.row_count}"
