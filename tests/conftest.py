"""Shared fixtures: a user per role (the personas), API clients, real services and workers."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from contextlib import closing
from pathlib import Path

import pytest
import redis
import yaml
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import TestCase
from kombu import Connection
from rest_framework.test import APIClient

from portal.roles import Role
from tests.demo_snapshot import seed_demo
from tests.portal.factories import UserFactory

BASE_DIR = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Hashing strength is not under test; PBKDF2 would make every persona cost 0.2 s.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def make_user(db):
    def make(role: Role | None = None, **kwargs):
        user = UserFactory(**kwargs)
        if role is not None:
            user.groups.add(role_group(role))
        return user

    return make


def role_group(role: Role):
    from django.contrib.auth.models import Group

    return Group.objects.get(name=role.value)


@pytest.fixture
def personas(make_user):
    """One user per role plus an outsider with no role at all."""
    users = {role: make_user(role, username=f"persona-{role.value}") for role in Role}
    users["outsider"] = make_user(None, username="persona-outsider")
    return users


# The persona of one role, under the name the tests use for it. A module or folder that needs
# another user for a role (its own username, presence, ...) overrides the fixture locally.


@pytest.fixture
def specialist(personas):
    return personas[Role.SERVICE_SPECIALIST]


@pytest.fixture
def engineer(personas):
    return personas[Role.TECH_SUPPORT]


@pytest.fixture
def coordinator(personas):
    return personas[Role.COMPLAINT_COORDINATOR]


@pytest.fixture
def sales(personas):
    return personas[Role.SALES_ADVISOR]


@pytest.fixture
def supervisor(personas):
    return personas[Role.SUPERVISOR]


@pytest.fixture
def customer_user(personas):
    return personas[Role.CUSTOMER]


@pytest.fixture
def media_in_tmp(settings, tmp_path):
    """MEDIA_ROOT under the test's own tmp_path, so that stored files never reach the real one.
    Modules that store files use it for every test:
    ``pytestmark = pytest.mark.usefixtures("media_in_tmp")``."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def sms_gateway(tmp_path, settings, monkeypatch):
    """The SMS centre of this test (``tests.gateways.RecordingSmsGateway``), for the test's own
    process and for the workers it starts (they inherit the environment)."""
    from tests.gateways import RecordingSmsGateway

    folder = tmp_path / "sms-gateway"
    folder.mkdir()
    monkeypatch.setenv("TEST_SMS_GATEWAY_DIR", str(folder))
    monkeypatch.setenv("SMS_BACKEND", "tests.gateways.RecordingSmsGateway")
    settings.SMS_BACKEND = "tests.gateways.RecordingSmsGateway"
    return RecordingSmsGateway(folder)


@pytest.fixture
def api_client():
    return APIClient()


def require_service(name: str, available: bool, detail: str = "") -> None:
    """Skip a test whose service is missing, except in CI where a missing service is a failure."""
    if available:
        return
    message = f"{name} is not available{': ' + detail if detail else ''}"
    if IN_CI:
        pytest.fail(f"CI=true and {message}", pytrace=False)
    pytest.skip(message)


def texts_handed_over():
    """A context in which texts reach the gateway as after a real commit. ``portal.sms.send_sms``
    hands a text over once the request's transaction commits, a moment that never comes inside
    a test's own transaction: this runs those callbacks when the block ends."""
    return TestCase.captureOnCommitCallbacks(execute=True)


def wait_for(predicate, timeout: float = 30):
    """Poll ``predicate`` until it returns something truthy (returned) or the time is up."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.25)
    return predicate()


def free_port() -> int:
    """A TCP port on 127.0.0.1 nothing listens on now, for a private server of one test."""
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url_for_subprocess() -> str:
    """A DATABASE_URL that points a child process at the current test database."""
    params = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{params['NAME']}"
    if connection.vendor == "postgresql":
        auth = params["USER"] or ""
        if params["PASSWORD"]:
            auth += f":{params['PASSWORD']}"
        host = params["HOST"] or "127.0.0.1"
        port = params["PORT"] or 5432
        return f"postgres://{auth}@{host}:{port}/{params['NAME']}"
    raise NotImplementedError(connection.vendor)


def start_beat(log_path: Path, queue: str) -> subprocess.Popen:
    """A real ``celery beat`` on the test database and broker, checking its schedule every second.

    It publishes to ``queue``; the caller terminates it.
    """
    env = {
        **os.environ,
        "DATABASE_URL": database_url_for_subprocess(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_DEFAULT_QUEUE": queue,
    }
    with log_path.open("w") as log:
        return subprocess.Popen(
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


def redis_up(url: str) -> bool:
    try:
        return redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


def publish(url: str, task, *args, queue: str) -> None:
    """Send a task over its own short-timeout connection (as beat would), no retries."""
    options = {"socket_connect_timeout": 2, "socket_timeout": 2}
    with Connection(url, connect_timeout=2, transport_options=options) as connection:
        task.apply_async(args=args, connection=connection, queue=queue, retry=False)


class PrivateRedis:
    """A throw-away redis-server a test may stop, start again on the same port, or pause
    (SIGSTOP: connections are accepted and never answered); the shared one stays up."""

    def __init__(self, folder: Path):
        self.port = free_port()
        self.dir = folder
        self.process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server"),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if not wait_for(lambda: redis_up(self.url()), 10):
            raise RuntimeError("private redis-server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.resume()
            self.process.terminate()
            self.process.wait(timeout=10)

    def pause(self) -> None:
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)


@pytest.fixture
def private_redis(tmp_path):
    require_service("redis-server", shutil.which("redis-server") is not None, "binary not found")
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


class WorkerProcess:
    """A real ``celery worker`` child process consuming one private queue (and its lanes) of the
    real broker. ``pool`` "solo" runs tasks in the worker process itself; "prefork" is what
    production runs (``--concurrency`` children). ``env`` adds settings for this worker."""

    def __init__(
        self,
        queue: str,
        log_path: Path,
        *,
        pool: str = "solo",
        concurrency: int = 1,
        env: dict | None = None,
    ):
        self.queue = queue
        self.log_path = log_path
        self.pool = pool
        self.concurrency = concurrency
        self.env = env or {}
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        env = {
            **os.environ,
            "DATABASE_URL": database_url_for_subprocess(),
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "CELERY_DEFAULT_QUEUE": self.queue,
            **self.env,
        }
        self.log_file = self.log_path.open("w")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "portal",
                "worker",
                "--pool",
                self.pool,
                "--concurrency",
                str(self.concurrency),
                "--loglevel",
                "INFO",
                "--without-gossip",
                "--without-mingle",
                "--queues",
                # The private default queue and its lanes (portal.celery.route_task).
                f"{self.queue},{self.queue}.messages,{self.queue}.bulk",
                "--hostname",
                f"test-{self.queue}@%h",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            # Its own process group: a test may kill the worker with its pool children.
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited early:\n{self.log()}")
            if " ready." in self.log():
                return
            time.sleep(0.2)
        raise RuntimeError(f"worker did not become ready in 30 s:\n{self.log()}")

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """``kill -9`` of the worker and its pool children, as a crash or an OOM kill does."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        self.log_file.close()


@pytest.fixture
def celery_worker(django_db_serialized_rollback, transactional_db, tmp_path):
    """Start a real worker on the configured broker; tasks sent by the test go to its queue.

    The worker shares the test database (committed data only, hence transactional_db; with
    serialized rollback so that data loaded by migrations, such as the catalog, survives).
    """
    from portal.celery import app
    from portal.health import check_broker

    broker = check_broker()
    require_service(
        "the Celery broker", broker.ok, f"{settings.CELERY_BROKER_URL} ({broker.error})"
    )
    queue = f"test-{uuid.uuid4().hex[:12]}"
    previous_queue = app.conf.task_default_queue
    # The prefixed key: Celery reads it before the plain one (config from Django settings).
    app.conf["CELERY_TASK_DEFAULT_QUEUE"] = queue
    worker = WorkerProcess(queue, tmp_path / "worker.log")
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()
        app.conf["CELERY_TASK_DEFAULT_QUEUE"] = previous_queue


@pytest.fixture
def demo_seeded(db):
    """The database as ``seed_demo`` leaves it, and what the command printed. Seeded for real
    once per session; later tests get a copy of that seed (tests/demo_snapshot.py)."""
    return seed_demo()


@pytest.fixture(scope="session")
def _openapi_schema_text(django_db_blocker, tmp_path_factory) -> str:
    target = tmp_path_factory.mktemp("openapi") / "schema.yaml"
    with django_db_blocker.unblock():
        call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    return target.read_text()


@pytest.fixture
def openapi_schema(_openapi_schema_text) -> dict:
    """The OpenAPI schema as ``manage.py spectacular --validate --fail-on-warn`` writes it: the
    command fails on any error or warning. It walks every view and serializer and validates the
    result, so it runs once per session."""
    return yaml.safe_load(_openapi_schema_text)
