"""Celery tasks of the site package."""

from celery import shared_task

from portal.services import record_worker_heartbeat


@shared_task(bind=True, ignore_result=True)
def record_heartbeat(self) -> int:
    """Scheduled every minute by beat; returns the worker's beat count."""
    heartbeat = record_worker_heartbeat(worker=self.request.hostname or "unknown")
    return heartbeat.beats
