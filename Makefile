# Gateway: `make run` starts the product, `make test` runs the tests.
# Both set themselves up on a machine with only Python 3.11+.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 4000
HOST ?= 127.0.0.1
# The settings file `make run` writes and the app reads (tests point it elsewhere).
ENV_FILE ?= .env
export PORT HOST ENV_FILE

.PHONY: run test lint audit format migrate clean help bench

help:
	@echo "make run   - start Gateway on port $(PORT) (HTTP + WebSocket; worker and beat with REDIS_URL)"
	@echo "make test  - run the test suite"
	@echo "make lint  - ruff check and format check, mypy, import contracts"
	@echo "make bench - start the service as in production, measure it, print one table"

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Stamp files: reinstall only when a requirements file changes.
$(VENV)/.runtime: $(VENV)/bin/activate requirements.txt constraints.txt
	$(PY) -m pip install --quiet -r requirements.txt -c constraints.txt
	@touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt -c constraints.txt
	@touch $@

var:
	mkdir -p var

$(ENV_FILE):
	$(PY) scripts/write_env.py $(ENV_FILE)

migrate: $(VENV)/.runtime $(ENV_FILE) var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_plans
	$(PY) manage.py collectstatic --noinput --verbosity 0

run: migrate
	@$(PY) scripts/announce_ready.py & \
	if [ -n "$$REDIS_URL" ] || grep -q '^REDIS_URL=.' $(ENV_FILE); then \
		PATH="$(CURDIR)/$(VENV)/bin:$$PATH" exec $(VENV)/bin/honcho start --env /dev/null --procfile Procfile --port $(PORT) web worker beat; \
	else \
		PATH="$(CURDIR)/$(VENV)/bin:$$PATH" exec scripts/serve; \
	fi

# The test database is kept between runs (dj-stripe's migrations take about a minute or two);
# `make test PYTEST_DB=--create-db` rebuilds it, as CI does.
PYTEST_DB ?= --reuse-db

test: $(VENV)/.dev
	$(PY) -m pytest $(PYTEST_DB)

lint: $(VENV)/.dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	DEBUG=true $(PY) -m mypy
	$(VENV)/bin/lint-imports

# Every pinned package against PyPI's advisories; needs PyPI's JSON API (not reachable in CI).
audit: $(VENV)/.dev
	$(VENV)/bin/pip-audit --requirement constraints.txt --no-deps --disable-pip --strict

# The benchmark (README "Performance"): PostgreSQL and Redis on this machine by default.
# `make bench ONLY=api,queue` runs some sections; `make bench SMOKE=1` a short check run.
BENCH_DATABASE_URL ?= $(or $(DATABASE_URL),postgres://postgres@127.0.0.1:5432/gateway_bench)
BENCH_REDIS_URL ?= $(or $(REDIS_URL),redis://127.0.0.1:6379/15)

bench: $(VENV)/.dev var
	@command -v wrk >/dev/null || { echo "make bench needs wrk (Debian: apt-get install wrk)"; exit 1; }
	DATABASE_URL="$(BENCH_DATABASE_URL)" REDIS_URL="$(BENCH_REDIS_URL)" \
		$(PY) -m bench.run $(if $(ONLY),--only $(ONLY)) $(if $(SMOKE),--smoke)

format: $(VENV)/.dev
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache
