"""Shared plumbing for benchmarks: Django set-up, a throw-away database, timing, output."""

import json
import os
import platform
import resource
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
# Request logging would dominate the timings and the output.
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402


@contextmanager
def benchmark_database() -> Iterator[None]:
    """Create a fresh test database (migrated), yield, then drop it."""
    old_config = setup_databases(verbosity=0, interactive=False)
    try:
        yield
    finally:
        teardown_databases(old_config, verbosity=0)


def database_url() -> str:
    """A DATABASE_URL pointing a child process (worker, command) at the benchmark database."""
    params = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{params['NAME']}"
    auth = params["USER"] or ""
    if params["PASSWORD"]:
        auth += f":{params['PASSWORD']}"
    host, port = params["HOST"] or "127.0.0.1", params["PORT"] or 5432
    return f"postgres://{auth}@{host}:{port}/{params['NAME']}"


def timings_ms(action: Callable[[], object], *, repeat: int, warmup: int = 5) -> dict:
    """Run ``action`` and return p50/p95/max in milliseconds."""
    for _ in range(warmup):
        action()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 2),
        "p95_ms": round(samples[int(len(samples) * 0.95) - 1], 2),
        "max_ms": round(samples[-1], 2),
        "n": repeat,
    }


def peak_memory_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def emit(name: str, **figures) -> None:
    """Print the one JSON line of a benchmark."""
    line = {
        "benchmark": name,
        "database": connection.vendor,
        "python": platform.python_version(),
        **figures,
    }
    sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
