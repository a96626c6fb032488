"""Benchmarks: ``python -m bench.NAME`` prints one JSON line of figures.

Each benchmark builds its own throw-away database (``harness.benchmark_database``) on whatever
``DATABASE_URL`` points at, so it never touches real or demo data. Results are recorded in
docs/PERFORMANCE.md with the date, the machine and the database.
"""
