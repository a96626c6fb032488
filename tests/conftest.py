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
from django.conf import settings
from django.db import connection
from rest_framework.test import APIClient

from portal.roles import Role
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


class WorkerProcess:
    """A real ``celery worker`` child process consuming one private queue of the real broker."""

    def __init__(self, queue: str, log_path: Path):
        self.queue = queue
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        env = {
            **os.environ,
            "DATABASE_URL": database_url_for_subprocess(),
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "CELERY_DEFAULT_QUEUE": self.queue,
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
                "solo",
                "--loglevel",
                "INFO",
                "--without-gossip",
                "--without-mingle",
                "--queues",
                self.queue,
                "--hostname",
                f"test-{self.queue}@%h",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited early:\n{self.log()}")
            if " ready." in self.log():
                return
            time.sleep(0.2)
        raise RuntimeError(f"worker did not become ready in 30 s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
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
    app.conf.task_default_queue = queue
    worker = WorkerProcess(queue, tmp_path / "worker.log")
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()
        app.conf.task_default_queue = previous_queue


def redis_up(url: str) -> bool:
    try:
        return redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


class PrivateRedis:
    """A throw-away redis-server a test may stop, start, pause and resume (not the shared one)."""

    def __init__(self, tmp_path):
        self.port = free_port()
        self.dir = tmp_path
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

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
        if not wait_for(lambda: redis_up(self.url), 10):
            raise RuntimeError("private redis-server did not start")

    def pause(self) -> None:
        """SIGSTOP: the port still accepts connections, nothing answers on them."""
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.resume()
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def private_redis(tmp_path):
    require_service("redis-server", shutil.which("redis-server") is not None, "binary not found")
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()
