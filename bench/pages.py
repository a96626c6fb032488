"""Site shell: in-process latency and query count of each role's landing page and /healthz.

python -m bench.pages [--repeat 200]
"""

import argparse

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bench.harness import benchmark_database, emit, peak_memory_mb, timings_ms
from portal.roles import ROLES
from tests.portal.factories import UserFactory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()

    figures = {}
    with benchmark_database():
        from django.contrib.auth.models import Group

        for spec in ROLES:
            user = UserFactory(username=f"bench-{spec.role.value}")
            user.groups.add(Group.objects.get(name=spec.role.value))
            client = Client()
            client.force_login(user)
            url = reverse(spec.url_name)
            # Counted on the request after a warm-up one, as in the other benchmarks: the
            # supervisor's first dashboard of the day rolls up the days never rolled up.
            client.get(url)
            with CaptureQueriesContext(connection) as queries:
                status = client.get(url).status_code
            # Counted now: later requests reset the connection's query log.
            query_count = len(queries)
            if status != 200:
                raise SystemExit(f"{url} answered {status} for {spec.role.value}")
            figures[spec.role.value] = {
                **timings_ms(lambda client=client, url=url: client.get(url), repeat=args.repeat),
                "queries": query_count,
            }
        anonymous = Client()
        figures["healthz"] = timings_ms(lambda: anonymous.get("/healthz"), repeat=args.repeat)
    emit("pages", pages=figures, peak_rss_mb=peak_memory_mb())


if __name__ == "__main__":
    main()
