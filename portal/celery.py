"""The Celery application: configuration comes from Django settings (``CELERY_*``)."""

import logging
import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.setup_logging.connect
def log_through_django_settings(loglevel=None, **kwargs) -> None:
    """Worker and beat log through ``settings.LOGGING``, like the web, at their ``--loglevel``.

    Left to itself Celery replaces the root handler with its own, which has neither the PII
    filter nor the one-line rules, and turns everything written to stdout into WARNING records
    (``celery.redirected``). Answering this signal keeps the site's handler and stdout as is.
    """
    from django.conf import settings
    from django.utils.log import configure_logging

    configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)
    if loglevel:
        logging.getLogger().setLevel(loglevel)
