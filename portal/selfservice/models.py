"""Records of the customer self-service portal: password-reset codes sent by SMS, and what the
customer chose about marketing and notice channels (with the history of every change)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.selfservice.choices import PreferenceField


class PasswordResetRequest(models.Model):
    """One "forgot my password" request.

    A row is written for every request, whether or not the number belongs to a login, so the
    rate limits and the answer are the same either way. The number is kept only as a keyed
    digest (``portal.selfservice.services.phone_digest``); the code only as a hash.
    """

    phone_digest = models.CharField(_("number (keyed digest)"), max_length=64, db_index=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("login"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when the number belongs to no login: no code was sent."),
    )
    code_hash = models.CharField(_("code (hashed)"), max_length=128, blank=True)
    expires_at = models.DateTimeField(_("expires at"))
    failed_attempts = models.PositiveSmallIntegerField(_("wrong codes typed"), default=0)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("password reset request")
        verbose_name_plural = _("password reset requests")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=True, code_hash="")
                | (Q(user__isnull=False) & ~Q(code_hash="")),
                name="reset_code_only_for_a_login",
            ),
        ]
        indexes = [models.Index(fields=["ip_address", "created_at"], name="reset_ip_idx")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S}"


class ContactPreference(models.Model):
    """What the customer agreed to receive, and on which channels.

    No row means the defaults: no marketing (consent is opt-in), service notices by SMS, and
    e-mail copies of account and ticket messages when an address is on file.
    """

    customer = models.OneToOneField(
        "crm.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="contact_preference",
    )
    marketing_sms = models.BooleanField(
        _("marketing SMS"),
        default=False,
        help_text=_("Offers and promotions by SMS; only with the customer's consent."),
    )
    notices_by_sms = models.BooleanField(
        _("service notices by SMS"),
        default=True,
        help_text=_("Fraud warnings, planned maintenance and announcements."),
    )
    messages_by_email = models.BooleanField(
        _("messages by e-mail"),
        default=True,
        help_text=_("E-mail copies of account and ticket messages (SMS is always sent)."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("contact preference")
        verbose_name_plural = _("contact preferences")

    def __str__(self) -> str:
        return str(self.customer_id)


class ConsentChange(models.Model):
    """Append-only history of a customer's choices: what changed, when, and through which login."""

    customer = models.ForeignKey(
        "crm.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="consent_changes",
    )
    field = models.CharField(_("setting"), max_length=32, choices=PreferenceField.choices)
    old_value = models.BooleanField(_("before"))
    new_value = models.BooleanField(_("after"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("consent change")
        verbose_name_plural = _("consent changes")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.field} {self.old_value}→{self.new_value}"
