# Ponte: `make run` to start, `make test` to test. Everything installs into .venv.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
HOST   ?= 127.0.0.1
# Shown in webhook URLs and the first-start message; set it to the public address behind a proxy.
export PUBLIC_BASE_URL ?= http://$(HOST):$(PORT)

.PHONY: run test lint migrate demo worker help catalogs web celery-worker scheduler

help:
	@echo "make run    install, migrate and serve on http://$(HOST):$(PORT) (PORT=... to change)"
	@echo "make test   install dev requirements and run the test suite"
	@echo "make demo   Ponte + local Asaas/ZapSign doubles + demo recipes (offline), on its own database"
	@echo "make lint   ruff, mypy (strict on connectors/ and app/engine/), every connector's catalog complete and compiled"
	@echo "make catalogs  add new connector texts to their .po files and compile the .mo files"
	@echo "make web / celery-worker / scheduler   the parts of a scaled-out Ponte (docs/scaling.md)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Stamps: reinstall only when the requirements file is newer than the last install.
$(VENV)/.requirements.stamp: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

$(VENV)/.requirements-dev.stamp: requirements-dev.txt $(VENV)/.requirements.stamp
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

migrate: $(VENV)/.requirements.stamp
	$(BIN)/flask --app wsgi db upgrade

# One gunicorn worker process (threads for concurrency): the embedded worker runs inside it.
run: migrate
	$(BIN)/gunicorn --bind $(HOST):$(PORT) --workers 1 --threads 8 --timeout 60 \
		--access-logfile - wsgi:app

# The demo keeps its own database so its sandbox connections never mix with real ones.
DEMO_DB ?= sqlite:///$(CURDIR)/instance/demo.db
demo: $(VENV)/.requirements.stamp
	DATABASE_URL=$(DEMO_DB) $(BIN)/flask --app wsgi db upgrade --no-first-admin
	DATABASE_URL=$(DEMO_DB) $(BIN)/python -m sandbox.demo --port $(PORT)

# A separate worker process (set EMBEDDED_WORKER=false on the web servers when you run these).
worker: migrate
	$(BIN)/flask --app wsgi worker run

# Scaled out (docs/scaling.md): set DATABASE_URL (PostgreSQL), PONTE_ENV=production, the keys and
# EXECUTOR=celery in the environment of every part. The web processes then execute nothing (their
# scheduler leads by lease); Celery workers execute. `make scheduler` runs the scheduler on its own.
WEB_WORKERS ?= 2
CONCURRENCY ?= 4
web: migrate
	$(BIN)/gunicorn -c deploy/gunicorn.conf.py --bind $(HOST):$(PORT) \
		--workers $(WEB_WORKERS) --threads 8 wsgi:app

celery-worker: $(VENV)/.requirements.stamp
	EXECUTOR=celery CELERY_CONCURRENCY=$(CONCURRENCY) $(BIN)/celery -A celery_app worker --pool threads \
		--concurrency $(CONCURRENCY) --queues ponte --without-gossip --without-mingle

scheduler: migrate
	$(BIN)/flask --app wsgi scheduler run

test: $(VENV)/.requirements-dev.stamp
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.requirements-dev.stamp
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m connectors.sdk.catalogs check

# Each connector's labels: new texts go into its .po (translate them), then every .mo is compiled.
catalogs: $(VENV)/.requirements.stamp
	$(BIN)/python -m connectors.sdk.catalogs update
	$(BIN)/pybabel compile -d app/translations
