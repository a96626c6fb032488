from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SelfServiceConfig(AppConfig):
    name = "portal.selfservice"
    label = "selfservice"
    verbose_name = _("Customer self-service")
