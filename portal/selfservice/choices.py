"""Choices of the self-service portal."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PreferenceField(models.TextChoices):
    """What a customer controls on their privacy page; each change is a ``ConsentChange`` row."""

    MARKETING_SMS = "marketing_sms", _("Marketing SMS")
    NOTICES_BY_SMS = "notices_by_sms", _("Service notices by SMS")
    MESSAGES_BY_EMAIL = "messages_by_email", _("Account and ticket messages by e-mail")
