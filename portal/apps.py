from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _bootstrap_after_migrate(sender, using, **kwargs):
    # Configuration, not business logic: role groups and default schedules must exist on every
    # database (including each test database) as soon as its tables do.
    from portal.services import ensure_default_schedules, sync_role_groups

    sync_role_groups()
    ensure_default_schedules()


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal and users")

    def ready(self):
        post_migrate.connect(_bootstrap_after_migrate, sender=self)
