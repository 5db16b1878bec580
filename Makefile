# Momentum — two commands matter: `make run` and `make test` (see README).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
export MOMENTUM_ENV ?= development

.PHONY: run test install install-dev lint bench migrate demo clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip==25.3

$(VENV)/.installed: $(BIN)/python requirements/base.lock pyproject.toml
	$(BIN)/pip install --quiet -r requirements/base.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements/dev.lock
	$(BIN)/pip install --quiet -r requirements/dev.lock
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## Install, migrate, seed the demo account on an empty database, serve on 127.0.0.1:8000
run: install
	$(BIN)/momentum db upgrade
	$(BIN)/momentum demo --if-empty
	$(BIN)/momentum serve --host 127.0.0.1 --port 8000

## Install what the tests need, lint (ruff, mypy --strict), run the whole suite (on SQLite + memory cache; again on
## PostgreSQL + Redis when MOMENTUM_TEST_DATABASE_URL and MOMENTUM_TEST_CACHE_URL are set)
test: install-dev
	$(BIN)/ruff check app tests benchmarks
	$(BIN)/mypy app
	$(BIN)/python tests/prepare_browser.py
	env -u MOMENTUM_TEST_DATABASE_URL -u MOMENTUM_TEST_CACHE_URL $(BIN)/python -m pytest -n 2 -p no:cacheprovider tests/unit tests/integration
	@# Browser tests drive a real server process of their own (SQLite); Playwright's sync API
	@# keeps an event loop in the test thread, so they run in a pytest run of their own (each
	@# worker with its own server and browser; a fresh browser context and account per test).
	env -u MOMENTUM_TEST_DATABASE_URL -u MOMENTUM_TEST_CACHE_URL $(BIN)/python -m pytest -n 2 -p no:cacheprovider tests/e2e
	@# The second run collects only what can depend on the database and cache: tests marked
	@# own_servers and unit tests that use no database fixture ran, identically, above (tests/conftest.py).
	@if [ -n "$$MOMENTUM_TEST_DATABASE_URL" ]; then \
	  echo "== again on $$MOMENTUM_TEST_DATABASE_URL + $${MOMENTUM_TEST_CACHE_URL:-mem://}"; \
	  MOMENTUM_TEST_BACKEND_PASS=1 $(BIN)/python -m pytest -n 2 -p no:cacheprovider tests/unit tests/integration; \
	fi

lint: install-dev
	$(BIN)/ruff check app tests benchmarks
	$(BIN)/mypy app

bench: install-dev
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

clean:
	rm -rf $(VENV) momentum.db
