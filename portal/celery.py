"""The Celery application: configuration comes from Django settings (``CELERY_*``)."""

import logging
import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Tasks that do not run on the default queue, by lane (see CELERY_TASK_QUEUES).
TASK_LANES = {
    "complaints.tasks.deliver_pending_notifications": "messages",
    "complaints.tasks.dispatch_due_surveys": "messages",
    "complaints.tasks.send_survey": "messages",
    "crm.tasks.deliver_pending_notices_task": "bulk",
}


def route_task(name, args, kwargs, options, task=None, **kw):
    """The queue of a task's lane, named after the default queue at the moment of sending (so
    a test that gives its worker a private default queue gets private lanes too)."""
    lane = TASK_LANES.get(name)
    if lane is None:
        return None
    return {"queue": f"{app.conf.task_default_queue}.{lane}"}


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
