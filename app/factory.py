"""The app factory. Nothing starts at import; ``create_app`` wires everything.

``create_app(test_config)`` reads settings (app/config.py), fills what development may generate
(SQLite at instance/ponte.db, instance/secret_key, instance/vault.key, all 0600), then sets up
logging, the database, the vault, login, the blueprints and the CLI. Background services (the
embedded worker) start only when serving, never in tests, CLI commands or at import.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path
from typing import Any

import click
from flask import Flask

from app.config import ConfigError, load_config, mode_from_env, require_production_keys

__all__ = ["ConfigError", "create_app", "start_background_services"]


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app. ``test_config`` selects the testing mode unless it names another PONTE_ENV."""
    mode = test_config.get("PONTE_ENV", "testing") if test_config is not None else mode_from_env(os.environ)
    instance_path = (test_config or {}).get("INSTANCE_PATH") or os.environ.get("PONTE_INSTANCE_PATH")
    instance_path = os.path.abspath(instance_path) if instance_path else None
    app = Flask(__name__, instance_relative_config=True, instance_path=instance_path)
    app.config.update(load_config(os.environ, mode))
    if test_config:
        app.config.update(test_config)
    _fill_generated_settings(app)

    from app import auth, cli, db, health, inputs, logs, metrics_http, notifications, vault, web, webhooks
    from app.api import init_app as init_api
    from app.engine import settings as engine_settings

    logs.configure_logging(app)
    logs.init_request_id(app)
    inputs.init_app(app)  # before any route: the bounded <int:...> converter
    db.init_app(app)
    vault.init_app(app)
    engine_settings.init_app(app)
    vault.REDACTOR.add(*vault.parse_keys(app.config["PONTE_VAULT_KEYS"]))
    auth.init_app(app)
    health.init_app(app)
    metrics_http.init_app(app)
    init_api(app)
    webhooks.init_app(app)
    web.init_app(app)
    cli.init_app(app)
    notifications.init_app(app)

    if app.config.get("EXECUTOR") == "celery":
        # Celery workers execute the runs; this process only announces stored work to the broker.
        from app.engine.celery_executor import CeleryExecutor, make_celery

        app.extensions["ponte_executor"] = CeleryExecutor(make_celery(app.config))
    if _should_start_background_services(app):
        start_background_services(app)
    elif "ponte_executor" not in app.extensions and not app.testing:
        # No worker here (web with EMBEDDED_WORKER=false, `flask scheduler run`, a replay from the
        # shell): stored work wakes `flask worker run` processes elsewhere (PostgreSQL NOTIFY).
        from app.db import get_db
        from app.engine.wakeup import Notifier

        app.extensions["ponte_executor"] = Notifier(get_db(app).engine)
    return app


def start_background_services(app: Flask) -> None:
    """Apply the recipe files, then start the embedded worker (``app.extensions["ponte_executor"]``)
    and, unless EMBEDDED_SCHEDULER is false, the scheduler (``app.extensions["ponte_scheduler"]``;
    one process at a time fires its jobs, see app/scheduler.py).

    Called by ``create_app`` only when ``EMBEDDED_WORKER`` is true, not testing, and the process is
    going to serve requests (gunicorn, ``flask run``), never for other CLI commands.
    """
    import atexit
    import logging

    from app.db import get_session
    from app.engine.executor import EmbeddedExecutor
    from app.engine.recipes import sync_files
    from app.engine.waiting import describe as describe_waiting

    log = logging.getLogger("ponte")
    if app.config.get("APPLY_RECIPE_FILES_ON_START"):
        with app.app_context():
            report = sync_files(get_session(), app.config["RECIPES_DIR"], app.config["MAPPINGS_DIR"])
        for problem in report.errors:
            log.warning("recipe file not applied: %s", problem)
        for waiting in report.waiting:
            log.warning("%s: applied as soon as it is created (listed on the home page and by "
                        "`flask recipes plan`)", describe_waiting(waiting))
        if report.created or report.updated:
            log.info("recipes applied from files: %s", ", ".join(report.created + report.updated))
    if app.config.get("EXECUTOR") != "celery":
        executor = EmbeddedExecutor(app)
        app.extensions["ponte_executor"] = executor
        executor.start()
        atexit.register(executor.stop)
    if app.config.get("EMBEDDED_SCHEDULER"):
        from app.scheduler import Scheduler

        scheduler = Scheduler(app)
        app.extensions["ponte_scheduler"] = scheduler
        scheduler.start()
        atexit.register(scheduler.stop)


def _should_start_background_services(app: Flask) -> bool:
    """Serving, not testing, and EMBEDDED_WORKER (under EXECUTOR=celery: the scheduler only)."""
    if app.testing or not app.config.get("EMBEDDED_WORKER"):
        return False
    return _serving()


def _serving() -> bool:
    """Whether this process is going to serve requests (gunicorn, ``flask run``), not a CLI command."""
    ctx = click.get_current_context(silent=True)
    if ctx is None:  # gunicorn or a plain import of wsgi: serving
        return True
    if ctx.command.name != "run":  # flask db upgrade, flask users ...: not serving
        return False
    # `flask run --debug`: the reloader's parent process only watches files.
    return not ctx.params.get("reload") or os.environ.get("WERKZEUG_RUN_MAIN") == "true"


def _fill_generated_settings(app: Flask) -> None:
    """Defaults that live under instance/; production must set keys explicitly."""
    config = app.config
    if config["PONTE_ENV"] == "production":
        require_production_keys(config)
    instance = Path(app.instance_path)
    if not config.get("DATABASE_URL"):
        _ensure_dir(instance)
        config["DATABASE_URL"] = f"sqlite:///{instance / 'ponte.db'}"
    if config.get("GENERATE_MISSING_KEYS"):
        if not config.get("SECRET_KEY"):
            config["SECRET_KEY"] = _read_or_create(instance / "secret_key", lambda: secrets.token_urlsafe(48))
        if not config.get("PONTE_VAULT_KEYS"):
            from app.vault import generate_key

            config["PONTE_VAULT_KEYS"] = _read_or_create(instance / "vault.key", generate_key)
    elif config.get("TESTING") and not config.get("PONTE_VAULT_KEYS"):
        from app.vault import generate_key

        config["PONTE_VAULT_KEYS"] = generate_key()
    if not config.get("SECRET_KEY") or not config.get("PONTE_VAULT_KEYS"):
        raise ConfigError("SECRET_KEY and PONTE_VAULT_KEYS must be set")


def _ensure_dir(path: Path) -> None:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)


def _read_or_create(path: Path, make: Any) -> str:
    """The content of ``path``, created 0600 with ``make()`` on first use (safe against races)."""
    _ensure_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # another worker may be writing it right now
            value = path.read_text(encoding="utf-8").strip()
            if value:
                return value
            time.sleep(0.02)
        raise ConfigError(f"{path} is empty; delete it to generate a new one") from None
    value = str(make())
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value + "\n")
    return value
