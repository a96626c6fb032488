"""Site package: settings, URLs, the Celery app, users and roles, and the role portal views."""

from portal.celery import app as celery_app

__all__ = ["celery_app"]
