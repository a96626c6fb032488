"""Tasks really run: a real worker process on the configured broker, and beat's schedules."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from portal.models import WorkerHeartbeat
from portal.tasks import record_heartbeat
from tests.conftest import start_beat, wait_for


@pytest.mark.celery_worker
def test_a_queued_task_runs_on_a_real_worker(celery_worker):
    record_heartbeat.delay()

    heartbeat = wait_for(lambda: WorkerHeartbeat.objects.first(), timeout=30)

    assert heartbeat is not None, celery_worker.log()
    assert heartbeat.worker.startswith(f"test-{celery_worker.queue}@")
    assert heartbeat.beats == 1


@pytest.mark.celery_worker
def test_beat_sends_the_scheduled_heartbeat_to_the_worker(celery_worker, tmp_path):
    # Last run an hour ago: the every-minute heartbeat is due as soon as beat starts.
    PeriodicTask.objects.filter(name="portal: worker heartbeat").update(
        last_run_at=timezone.now() - timedelta(hours=1)
    )
    log_path = tmp_path / "beat.log"
    beat = start_beat(log_path, celery_worker.queue)
    try:
        heartbeat = wait_for(lambda: WorkerHeartbeat.objects.first(), timeout=45)
    finally:
        beat.terminate()
        beat.wait(timeout=15)

    assert heartbeat is not None, log_path.read_text() + celery_worker.log()
    assert "Sending due task portal: worker heartbeat" in log_path.read_text()
