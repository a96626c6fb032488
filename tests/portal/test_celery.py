"""Tasks really run: a real worker process on the configured broker, and beat's schedules."""

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from portal.models import WorkerHeartbeat
from portal.tasks import record_heartbeat
from tests.conftest import BASE_DIR, database_url_for_subprocess, wait_for


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
    env = {
        **os.environ,
        "DATABASE_URL": database_url_for_subprocess(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_DEFAULT_QUEUE": celery_worker.queue,
    }
    log_path = tmp_path / "beat.log"
    with log_path.open("w") as log:
        beat = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "portal",
                "beat",
                "--pidfile=",
                "--max-interval",
                "1",
                "--loglevel",
                "INFO",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            heartbeat = wait_for(lambda: WorkerHeartbeat.objects.first(), timeout=45)
        finally:
            beat.terminate()
            beat.wait(timeout=15)

    assert heartbeat is not None, log_path.read_text() + celery_worker.log()
    assert "Sending due task portal: worker heartbeat" in log_path.read_text()
