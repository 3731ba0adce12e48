# Fedisocial developer tasks. `make run` serves a complete instance at http://localhost:$(PORT);
# `make test` is what CI runs (.ci/run adds PostgreSQL and Redis).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# Every command started from here (serve, migrate, shell...) sees the same PORT, hence the same
# default LOCAL_DOMAIN and task queue.
export PORT

# Installation is redone only when pyproject.toml changes.
PYPROJECT_HASH := $(shell (sha256sum pyproject.toml 2>/dev/null || shasum -a 256 pyproject.toml) | cut -c1-16)
STAMP := $(VENV)/.installed-$(PYPROJECT_HASH)

# The interpreter a new virtualenv is made with: .python-version's (through pyenv), else the
# newest python3.13 / python3.12 on PATH.
BOOTSTRAP_PYTHON ?= $(shell pyenv which python 2>/dev/null || command -v python3.13 || command -v python3.12)

.PHONY: help install run test lint fmt worker beat bench

help:
	@echo "make install  create $(VENV) and install the pinned dependencies (dev group included)"
	@echo "make run      migrate, then serve web + worker + beat in one process on PORT (default 8000)"
	@echo "make test     ruff check, ruff format --check, then the whole pytest suite"
	@echo "make lint     ruff check and ruff format --check"
	@echo "make fmt      ruff format and ruff check --fix"
	@echo "make worker   a separate Celery worker (when web is served by gunicorn/uvicorn)"
	@echo "make beat     a separate Celery beat (exactly one per instance)"
	@echo "make bench    the benchmark: own PostgreSQL database and processes, wrk load;"
	@echo "              prints a table and writes bench-results.json (docs/benchmarks.md)"

install: $(STAMP)

$(STAMP): pyproject.toml .ci/requirements.py
	@if [ ! -x "$(PY)" ]; then \
		if [ -z "$(BOOTSTRAP_PYTHON)" ]; then \
			echo "No Python found: install the version in .python-version with pyenv, or python3.13" >&2; \
			exit 1; \
		fi; \
		echo "Creating $(VENV) with $(BOOTSTRAP_PYTHON)"; \
		"$(BOOTSTRAP_PYTHON)" -m venv "$(VENV)"; \
	fi
	@$(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))' \
		|| { echo "$(VENV) runs $$($(PY) --version); Fedisocial needs Python 3.12+" >&2; exit 1; }
	$(PY) .ci/requirements.py --group dev > $(VENV)/requirements.txt
	$(PY) -m pip install --disable-pip-version-check --quiet --requirement $(VENV)/requirements.txt
	@rm -f $(VENV)/.installed-*
	@touch $@

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	exec $(PY) manage.py serve --port $(PORT)

test: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

fmt: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

worker: install
	exec $(VENV)/bin/celery -A fedisocial worker --loglevel INFO --pool threads \
		--concurrency $${CELERY_CONCURRENCY:-8}

beat: install
	exec $(VENV)/bin/celery -A fedisocial beat --loglevel INFO

# Starts its own PostgreSQL database, Redis namespace, gunicorn, worker and beat under .bench/.
bench: install
	$(PY) -m fedisocial.bench
