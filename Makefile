# Two commands: `make run` serves the site with demo data, Celery worker and beat on the
# embedded defaults; `make test` runs ruff and pytest (honouring DATABASE_URL/CELERY_BROKER_URL).

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test test-fast install install-dev lint format messages screenshots clean

run: $(VENV)/.installed
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@echo "Serving http://127.0.0.1:8000 with a Celery worker and beat; Ctrl-C stops all."
	@# Ctrl-C is how this stops: honcho then exits 130, which is no error of make's.
	$(BIN)/honcho --procfile Procfile.dev start || [ $$? -eq 130 ]

test: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest

# The quick loop: no browser journeys and no real Celery workers (PYTEST_ARGS adds options).
# Not --reuse-db: the transactional tests flush the test database, the catalog rows loaded by
# the migrations with it, so a kept database would start the next run without them.
test-fast: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -m "not browser and not celery_worker" $(PYTEST_ARGS)

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.installed

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The browser journeys again, saving their screenshots where README shows them.
screenshots: $(VENV)/.installed-dev
	SCREENSHOT_DIR=docs/screenshots $(BIN)/pytest tests/browser -q

# Extract and compile translations (needs GNU gettext); the compiled .mo files are committed
# so that `make run` works on a machine without gettext.
messages: $(VENV)/.installed-dev
	$(BIN)/python manage.py makemessages --locale zh_Hans --locale en --ignore ".venv/*" --ignore "var/*"
	$(BIN)/python manage.py compilemessages --ignore ".venv/*"

clean:
	rm -rf var/ .pytest_cache .ruff_cache
