# Ponte: `make run` to start, `make test` to test. Everything installs into .venv.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
HOST   ?= 127.0.0.1
# Shown in webhook URLs and the first-start message; set it to the public address behind a proxy.
export PUBLIC_BASE_URL ?= http://$(HOST):$(PORT)

.PHONY: run test lint migrate demo worker help catalogs

help:
	@echo "make run    install, migrate and serve on http://$(HOST):$(PORT) (PORT=... to change)"
	@echo "make test   install dev requirements and run the test suite"
	@echo "make demo   Ponte + local Asaas/ZapSign doubles + demo recipes (offline), on its own database"
	@echo "make lint   ruff check, and every connector's translation catalog complete and compiled"
	@echo "make catalogs  add new connector texts to their .po files and compile the .mo files"

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

test: $(VENV)/.requirements-dev.stamp
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.requirements-dev.stamp
	$(BIN)/ruff check .
	$(BIN)/python -m connectors.sdk.catalogs check

# Each connector's labels: new texts go into its .po (translate them), then every .mo is compiled.
catalogs: $(VENV)/.requirements.stamp
	$(BIN)/python -m connectors.sdk.catalogs update
	$(BIN)/pybabel compile -d app/translations
