"""The Celery application: configuration comes from Django settings (``CELERY_*``)."""

import os

from celery import Celery

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
