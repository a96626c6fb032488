"""`/api/schema/`: the first (cold) request of each format, then warm requests from the cache.

python -m bench.schema [--repeat 200]

In-process with ``django.test.Client`` (``DEBUG=false``), anonymous as the URL allows. For YAML
(the default) and JSON (``?format=json``, what Swagger UI reads): the cold request, which
generates and renders the schema (``portal.api.schema_view``), its size and the queries of a
warm request, then p50/p95 over ``--repeat`` warm requests, and a revalidation with the ETag
(304). Target: warm p95 < 50 ms.
"""

import argparse
import os
import time

os.environ.setdefault("DEBUG", "false")

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bench.harness import benchmark_database, emit, peak_memory_mb, timings_ms

FORMATS = {"yaml": "", "json": "?format=json"}


def measure(client: Client, url: str, *, repeat: int) -> dict:
    """The cold request of ``url`` (this process's first), then warm ones and revalidations."""
    started = time.perf_counter()
    cold = client.get(url)
    cold_ms = (time.perf_counter() - started) * 1000
    if cold.status_code != 200:
        raise SystemExit(f"{url} answered {cold.status_code}")
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    etag = cold["ETag"]
    return {
        "cold_ms": round(cold_ms, 1),
        "bytes": len(cold.content),
        "queries": len(queries),
        "warm": timings_ms(lambda: client.get(url), repeat=repeat),
        "not_modified": timings_ms(lambda: client.get(url, HTTP_IF_NONE_MATCH=etag), repeat=repeat),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()

    with benchmark_database():
        client = Client()
        figures = {
            name: measure(client, reverse("api-schema") + query, repeat=args.repeat)
            for name, query in FORMATS.items()
        }
    emit("schema", schema=figures, peak_rss_mb=peak_memory_mb())


if __name__ == "__main__":
    main()
