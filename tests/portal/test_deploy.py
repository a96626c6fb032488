"""The production recipe's parts agree: README's recipe, deploy/env.example, the systemd units.

`.ci/run production` runs them for real (as root, with CI's systemctl stand-in); these checks
are the fast contract that keeps them from drifting apart between runs.
"""

import importlib.util
import re
from pathlib import Path

import pytest

from tests.conftest import BASE_DIR

UNITS = {
    name: BASE_DIR / "deploy" / "systemd" / f"telecom-crm-{name}.service"
    for name in ("web", "worker", "beat")
}


def load_stand_in():
    spec = importlib.util.spec_from_file_location(
        "systemd_stand_in", BASE_DIR / ".ci" / "systemd_stand_in.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


stand_in = load_stand_in()


def readme_recipe() -> str:
    readme = (BASE_DIR / "README.md").read_text()
    blocks = re.findall(
        r"^<!-- production-recipe.*?-->\n```sh\n(.*?)^```\n<!-- /production-recipe -->",
        readme,
        flags=re.MULTILINE | re.DOTALL,
    )
    assert len(blocks) == 1
    return blocks[0]


def example_environment() -> dict[str, str]:
    return stand_in.read_environment_file(BASE_DIR / "deploy" / "env.example")


def test_readme_recipe_installs_migrates_checks_and_starts_the_three_units():
    recipe = readme_recipe()

    for step in (
        "python3.11 -m venv /srv/telecom-crm/venv",
        "/srv/telecom-crm/venv/bin/pip install --quiet .",
        "manage migrate --noinput",
        "manage collectstatic --noinput",
        "manage check --deploy --fail-level WARNING",
        "manage createsuperuser --noinput",
        "systemctl enable --now",
    ):
        assert step in recipe
    started = re.findall(r"/srv/telecom-crm/app/(deploy/systemd/[\w-]+\.service)", recipe)
    assert sorted(started) == sorted(str(path.relative_to(BASE_DIR)) for path in UNITS.values())


@pytest.mark.parametrize("name", sorted(UNITS))
def test_every_unit_restarts_always_as_the_service_user_with_the_environment_file(name):
    unit = stand_in.read_unit(UNITS[name])

    assert unit.get("Restart") == "always"
    assert unit.get("RestartSec") == "5"
    assert unit.get("User") == unit.get("Group") == "telecom-crm"
    assert unit.service["EnvironmentFile"] == ["/etc/telecom-crm/env"]
    assert unit.get("WorkingDirectory") == "/srv/telecom-crm/app"
    assert unit.service["Environment"] == ["PYTHONPATH=/srv/telecom-crm/app"]


def test_units_run_gunicorn_a_worker_of_every_queue_and_beat():
    env = example_environment()

    argv = {
        name: stand_in.command_line(stand_in.read_unit(path), env) for name, path in UNITS.items()
    }

    assert argv == {
        "web": [
            "/srv/telecom-crm/venv/bin/gunicorn",
            "portal.wsgi",
            "--bind",
            "127.0.0.1:8000",
            "--workers",
            "4",
        ],
        "worker": [
            "/srv/telecom-crm/venv/bin/celery",
            "-A",
            "portal",
            "worker",
            "--loglevel",
            "INFO",
        ],
        "beat": ["/srv/telecom-crm/venv/bin/celery", "-A", "portal", "beat", "--loglevel", "INFO"],
    }


def test_the_worker_stops_with_celerys_warm_shutdown_sent_to_its_main_process_only():
    unit = stand_in.read_unit(UNITS["worker"])

    assert (unit.get("KillSignal"), unit.get("KillMode")) == ("SIGTERM", "mixed")
    assert unit.seconds("TimeoutStopSec", 90) == 300


def test_the_example_environment_file_names_every_production_requirement():
    env = example_environment()

    assert env["DJANGO_ENV"] == "production"
    assert env["BEHIND_TLS_PROXY"] == "true"
    # Left empty on purpose: the site refuses to start until the operator sets one.
    assert env["SECRET_KEY"] == ""
    for name in ("ALLOWED_HOSTS", "DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "WEB_BIND"):
        assert env[name]


@pytest.mark.parametrize(
    "line",
    ['SECRET_KEY="quoted"', "ALLOWED_HOSTS=a b", "DATABASE_URL=$OTHER", "export DJANGO_ENV=x"],
)
def test_environment_file_lines_the_shell_and_systemd_read_differently_are_refused(tmp_path, line):
    env_file = tmp_path / "env"
    env_file.write_text(f"DJANGO_ENV=production\n{line}\n")

    with pytest.raises(stand_in.StandInError, match=r"env:2: not KEY=value"):
        stand_in.read_environment_file(env_file)


def test_exec_start_expands_braced_variables_as_one_word_and_bare_ones_split(tmp_path):
    unit_file = tmp_path / "demo.service"
    unit_file.write_text(
        "[Service]\nExecStart=/bin/prog --bind ${BIND} $FLAGS \\\n  --name=${NAME}x\n"
    )
    env = {"BIND": "127.0.0.1:8201", "FLAGS": "-a -b", "NAME": "two words"}

    argv = stand_in.command_line(stand_in.read_unit(unit_file), env)

    assert argv == ["/bin/prog", "--bind", "127.0.0.1:8201", "-a", "-b", "--name=two wordsx"]


def test_every_source_map_a_static_file_names_is_in_the_repository():
    # The manifest storage of collectstatic fails on a sourceMappingURL it cannot find.
    named = {}
    for path in (BASE_DIR / "static").rglob("*"):
        if path.suffix in {".js", ".css"}:
            for target in re.findall(r"sourceMappingURL=([^\s*]+)", path.read_text()):
                named[path.relative_to(BASE_DIR)] = (path.parent / target).is_file()

    assert named == {Path("static/vendor/chartjs/chart.umd.js"): True}
