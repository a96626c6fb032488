"""Settings are driven by the environment and fail loudly; production passes check --deploy."""

import os
import subprocess
import sys

from django.conf import settings

from tests.conftest import BASE_DIR

PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "x7#kq!vz-production-test-key-9f3b1c0e8d2a4f6b7c5e1d3a9b8c7d6e5f4",
    "ALLOWED_HOSTS": "crm.example.cn",
}
SERVICE_VARIABLES = (
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "DJANGO_ENV",
    "SECRET_KEY",
    "DEBUG",
    "VAR_DIR",
    "CACHE_URL",
)


def run_manage(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    child_env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARIABLES}
    child_env.update(env or {})
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=child_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_reports_no_issues_in_production():
    result = run_manage("check", "--deploy", "--fail-level", "DEBUG", env=PRODUCTION_ENV)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."


def test_production_refuses_to_start_without_secret_key():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}

    result = run_manage("check", env=env)

    assert result.returncode == 1
    assert "SECRET_KEY must be set when DJANGO_ENV=production." in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "ALLOWED_HOSTS"}

    result = run_manage("check", env=env)

    assert result.returncode == 1
    assert "ALLOWED_HOSTS must be set when DJANGO_ENV=production." in result.stderr


def test_production_refuses_debug():
    result = run_manage("check", env={**PRODUCTION_ENV, "DEBUG": "true"})

    assert result.returncode == 1
    assert "DEBUG must stay off when DJANGO_ENV=production." in result.stderr


def test_unknown_environment_name_is_refused():
    result = run_manage("check", env={"DJANGO_ENV": "staging"})

    assert result.returncode == 1
    assert "DJANGO_ENV must be 'development' or 'production', not 'staging'." in result.stderr


def test_malformed_number_in_environment_is_refused():
    result = run_manage("check", env={"AXES_FAILURE_LIMIT": "five"})

    assert result.returncode == 1
    assert "invalid literal for int() with base 10: 'five'" in result.stderr


def test_defaults_are_sqlite_under_var_and_the_embedded_broker():
    code = (
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE']);"
        "print(s.DATABASES['default']['NAME']);"
        "print(s.CELERY_BROKER_URL)"
    )

    result = run_manage("shell", "-v", "0", "-c", code)

    assert result.returncode == 0, result.stderr
    engine, name, broker = result.stdout.split()
    assert engine == "django.db.backends.sqlite3"
    assert name == str(BASE_DIR / "var" / "db.sqlite3")
    assert broker == "filesystem://"


def test_database_and_broker_urls_select_postgresql_and_redis():
    code = (
        "from django.conf import settings as s;"
        "d = s.DATABASES['default'];"
        "print(d['ENGINE'], d['NAME'], d['HOST'], d['PORT']);"
        "print(s.CELERY_BROKER_URL)"
    )
    env = {
        "DATABASE_URL": "postgres://crm@db.internal:5433/crm_prod",
        "CELERY_BROKER_URL": "redis://cache.internal:6379/2",
    }

    result = run_manage("shell", "-v", "0", "-c", code, env=env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "django.db.backends.postgresql crm_prod db.internal 5433",
        "redis://cache.internal:6379/2",
    ]


def test_locale_and_time_zone():
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert [code for code, _name in settings.LANGUAGES] == ["zh-hans", "en"]
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.USE_TZ is True
    assert settings.CURRENCY == "CNY"
    assert "django.middleware.locale.LocaleMiddleware" in settings.MIDDLEWARE


def test_production_needs_no_cache_url_and_keeps_sessions_in_the_database():
    # No page may depend on the cache: it holds only what may be lost.
    code = (
        "from django.conf import settings as s;"
        "print(s.SESSION_ENGINE);"
        "print(s.CACHES['default']['BACKEND'])"
    )

    result = run_manage("shell", "-v", "0", "-c", code, env=PRODUCTION_ENV)

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "django.contrib.sessions.backends.db",
        "django.core.cache.backends.locmem.LocMemCache",
    ]


def test_a_redis_cache_gets_short_socket_timeouts_unless_its_url_sets_them():
    code = "from django.conf import settings as s;print(s.CACHES['default'])"

    default = run_manage("shell", "-v", "0", "-c", code, env={"CACHE_URL": "redis://r:6379/1"})
    chosen = run_manage(
        "shell", "-v", "0", "-c", code, env={"CACHE_URL": "redis://r:6379/1?socket_timeout=2"}
    )

    assert default.returncode == 0, default.stderr
    assert default.stdout.strip() == str(
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://r:6379/1",
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
        }
    )
    assert chosen.returncode == 0, chosen.stderr
    assert chosen.stdout.strip() == str(
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://r:6379/1",
            "OPTIONS": {"socket_timeout": 2, "socket_connect_timeout": 0.25},
        }
    )
