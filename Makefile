# The two commands of README's Quick start: `make run` and `make test`.
# Each sets itself up on a fresh machine (virtual environment, pinned dependencies, browser).
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3
PG_URL ?= postgres://postgres@127.0.0.1:5432/gonghui
REDIS_URL ?= redis://127.0.0.1:6379/15
PORT ?=

.PHONY: run test test-postgres test-redis lint bench setup browser fonts clean

$(BIN)/gonghui: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

setup: $(BIN)/gonghui

## The CJK font the certificates embed (and the screenshots need).
fonts:
	bash scripts/install-fonts.sh

browser: var/.browser-ready
var/.browser-ready: scripts/install-browser.sh scripts/install-fonts.sh
	bash scripts/install-browser.sh
	mkdir -p var && touch $@

## Run the platform on SQLite with demo data at http://127.0.0.1:8000 (with the task worker);
## another port: `make run PORT=8001`, another address: GONGHUI_BIND=0.0.0.0:8001 make run.
## The demo is made once; later runs keep the data and print the logins again.
## It serves as production does (debug off: friendly error pages, no tracebacks, static
## files by whitenoise); only the keys are made locally, cookies go over plain http, and it
## is declared the demo (GONGHUI_DEMO: its accounts keep the published password).
RUN_ENV := GONGHUI_DEBUG=false GONGHUI_LOCAL_KEYS=true GONGHUI_SECURE_COOKIES=false GONGHUI_DEMO=true
run: setup fonts
	$(RUN_ENV) $(BIN)/gonghui migrate --no-input -v0
	$(RUN_ENV) $(BIN)/gonghui demo
	$(RUN_ENV) $(BIN)/gonghui worker & trap 'kill %1' EXIT; \
	$(RUN_ENV) $(BIN)/gonghui serve $(if $(PORT),--bind 127.0.0.1:$(PORT))

## The whole test suite on SQLite (services' own legs: test-postgres, test-redis).
test: setup browser
	GONGHUI_DEBUG=true $(BIN)/pytest -m "not postgres and not redis"

test-postgres: setup browser
	GONGHUI_DEBUG=true GONGHUI_DATABASE_URL=$(PG_URL) $(BIN)/pytest -m "not browser and not redis"

test-redis: setup
	GONGHUI_DEBUG=true GONGHUI_REDIS_URL=$(REDIS_URL) $(BIN)/pytest -m "not browser and not postgres"

lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

bench: setup
	GONGHUI_DEBUG=true $(BIN)/python bench/run.py foundation --scale small

clean:
	rm -rf $(VENV) var
