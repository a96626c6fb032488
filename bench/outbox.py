"""Outbox delivery against a slow SMS gateway: one worker, then two.

python -m bench.outbox [--messages 200] [--delay 0.1] [--max-workers 2]

Writes ``--messages`` SMS notifications (fixture rows), then for 1, 2, ... ``--max-workers``
real ``celery worker`` processes (solo pool, on the configured broker and a private queue) sends
each worker one notification sweep (``complaints.tasks.deliver_pending_notifications``) and
times how long until every row is sent. The gateway is ``tests.gateways.RecordingSmsGateway``
taking ``--delay`` seconds per message, as a slow SMS centre does; its log proves each key was
delivered once. The rows are written afresh before each run.

Target: two workers deliver about twice as fast as one (claims with SKIP LOCKED never wait on
each other), and no message is delivered twice.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from bench.harness import benchmark_database, database_url, emit

BASE_DIR = Path(__file__).resolve().parent.parent


def write_messages(count: int) -> list[int]:
    from complaints.models import Notification

    Notification.objects.all().delete()
    rows = Notification.objects.bulk_create(
        Notification(
            channel="sms",
            address=f"189{n:08d}",
            subject="余额提醒",
            body="您的账户余额不足 10 元，请及时充值。",
        )
        for n in range(count)
    )
    return [row.pk for row in rows]


def start_workers(count: int, queue: str, gateway_dir: Path, log_dir: Path) -> list:
    from django.conf import settings

    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_DEFAULT_QUEUE": queue,
        "SMS_BACKEND": "tests.gateways.RecordingSmsGateway",
        "TEST_SMS_GATEWAY_DIR": str(gateway_dir),
        "OUTBOX_SWEEP_SECONDS": "3600",
        "LOG_LEVEL": "INFO",  # the worker says " ready." at INFO
    }
    workers = []
    for index in range(count):
        log = (log_dir / f"worker-{index}.log").open("w")
        workers.append(
            subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "portal",
                    "worker",
                    "--pool",
                    "solo",
                    "--loglevel",
                    "INFO",
                    "--without-gossip",
                    "--without-mingle",
                    "--queues",
                    f"{queue}.messages",
                    "--hostname",
                    f"bench-{index}-{queue}@%h",
                ],
                cwd=BASE_DIR,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    deadline = time.monotonic() + 60
    for index in range(count):
        path = log_dir / f"worker-{index}.log"
        while " ready." not in path.read_text(errors="replace"):
            if time.monotonic() > deadline:
                raise RuntimeError(path.read_text(errors="replace"))
            time.sleep(0.2)
    return workers


def run(workers: int, messages: int, delay: float, log_dir: Path) -> dict:
    from complaints import tasks
    from complaints.models import Notification
    from tests.gateways import RecordingSmsGateway

    gateway_dir = Path(tempfile.mkdtemp(dir=log_dir))
    gateway = RecordingSmsGateway(gateway_dir)
    gateway.set_delay(delay)
    ids = write_messages(messages)
    queue = f"bench-outbox-{uuid.uuid4().hex[:8]}"
    processes = start_workers(workers, queue, gateway_dir, log_dir)
    try:
        started = time.monotonic()
        for _ in range(workers):
            tasks.deliver_pending_notifications.apply_async(queue=f"{queue}.messages")
        while Notification.objects.filter(pk__in=ids).exclude(status="sent").exists():
            time.sleep(0.1)
        took = time.monotonic() - started
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
    per_key = gateway.deliveries_per_key()
    per_worker = {}
    for call in gateway.calls():
        per_worker[call.get("pid")] = per_worker.get(call.get("pid"), 0) + 1
    return {
        "workers": workers,
        "seconds": round(took, 2),
        "messages_per_s": round(messages / took, 1),
        "delivered_once": len(per_key) == messages and set(per_key.values()) == {1},
        "per_worker": sorted(per_worker.values()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--delay", type=float, default=0.1)
    parser.add_argument("--max-workers", type=int, default=2)
    args = parser.parse_args()
    with benchmark_database(), tempfile.TemporaryDirectory() as folder:
        runs = [
            run(workers, args.messages, args.delay, Path(folder))
            for workers in range(1, args.max_workers + 1)
        ]
    emit(
        "outbox",
        messages=args.messages,
        gateway_delay_s=args.delay,
        runs=runs,
        speedup=round(runs[0]["seconds"] / runs[-1]["seconds"], 2),
    )


if __name__ == "__main__":
    main()
