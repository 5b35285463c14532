"""Settings from the environment (12-factor), one class per mode.

Every setting Ponte reads lives here, with its default. ``load_config(environ, mode)`` returns the
flat dict that ``create_app`` puts into ``app.config``. The testing mode reads no environment
variable at all, so a developer's shell (say, a production ``DATABASE_URL``) never leaks into tests.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

KEY_HELP = (
    "generate one with: flask --app wsgi keys generate "
    '(or: python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())")'
)


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message says what to set."""


class Config:
    """Defaults shared by every mode."""

    PONTE_ENV = "development"
    TESTING = False
    DATABASE_URL: str | None = None  # None: SQLite at instance/ponte.db
    # PostgreSQL connections per process: kept open, and extra under a burst (docs/scaling.md).
    DATABASE_POOL_SIZE = 5
    DATABASE_MAX_OVERFLOW = 10
    SECRET_KEY: str | None = None  # None: instance/secret_key, created on first start
    PONTE_VAULT_KEYS: str | None = None  # None: instance/vault.key, created on first start
    PUBLIC_BASE_URL = "http://127.0.0.1:5000"
    LOG_LEVEL = "INFO"
    # The business's zone: what "today" is in filters, how dates are formatted and shown.
    PONTE_TIMEZONE = "America/Sao_Paulo"
    SMTP_HOST = ""
    SMTP_PORT = 587
    SMTP_USERNAME = ""
    SMTP_PASSWORD = ""
    SMTP_SECURITY = "starttls"  # starttls | ssl | none
    SMTP_FROM = ""
    EMBEDDED_WORKER = True
    EMBEDDED_SCHEDULER = True  # the scheduler runs in the server too (one process fires, by lease)
    SCHEDULER_POLL_SECONDS = 300  # how often polling triggers (the collection rule) ask Asaas
    SCHEDULER_CLOCK_SECONDS = 15  # how often schedule.cron recipes are checked (keep well under a minute)
    SCHEDULER_LEASE_SECONDS = 60
    WEBHOOK_MAX_BYTES = 256 * 1024
    # Webhooks set up by API (app/webhook_setup.py), watched and caught up (app/webhook_watch.py,
    # app/catchup.py); docs/webhooks.md explains each setting.
    WEBHOOK_AUTO_REGISTER = True  # register on connection create and test
    # Ask the service before saving a connection from the pages or the API (app/connection_check.py).
    CONNECTION_TEST_ON_SAVE = True
    WEBHOOK_ALERT_EMAIL = ""  # where Asaas sends its own failure notices; empty: the first admin
    WEBHOOK_HEALTH_SECONDS = 600  # how often each webhook queue is read
    CATCHUP_INTERVAL_SECONDS = 3600  # how often the catch-up lists what changed in the services
    CATCHUP_WINDOW_HOURS = 72  # how far back a catch-up may look (first run, long outages)
    CATCHUP_OVERLAP_MINUTES = 15  # each catch-up re-reads this much before the last one's end
    CATCHUP_DRY_RUN = False  # list what would be recovered (logs) and store nothing
    LOGIN_MAX_FAILURES_ACCOUNT = 5  # failed logins per e-mail in the window before it is locked
    LOGIN_MAX_FAILURES_ADDRESS = 20  # failed logins per client address in the window before it is locked
    LOGIN_WINDOW_SECONDS = 900
    LOGIN_LOCK_SECONDS = 900
    RETENTION_DAYS = 30
    COLLECTION_DASHBOARD_TTL = 600  # seconds the collection dashboard keeps the Asaas payments it read
    EXECUTOR_WORKERS = 4
    EXECUTOR_POLL_SECONDS = 1.0
    RETRY_DELAY_SCALE = 1.0  # < 1 shortens retry waits (the demo, end-to-end tests)
    # How long a worker's claim on a run lasts between renewals (renewed every third of it while a
    # call is in flight); a run whose worker died is taken over after at most this long.
    RUN_LEASE_SECONDS = 300
    # Calls in flight to one connection per worker process; None: EXECUTOR_WORKERS - 1 (at least 1),
    # so one slow service always leaves a thread for the other recipes.
    DESTINATION_CONCURRENCY: int | None = None
    # Who executes runs (docs/scaling.md): "embedded" (threads in this process, or `flask worker run`
    # processes) or "celery" (Celery workers on CELERY_BROKER_URL; the web processes only announce).
    EXECUTOR = "embedded"
    CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
    # How long the broker keeps a message a worker took but never acknowledged (it died) before
    # handing it to another worker; the sweep re-enqueues such runs sooner anyway.
    CELERY_VISIBILITY_TIMEOUT = 600
    CELERY_SWEEP_SECONDS = 1.0  # how often the sweep leader looks for ready runs nobody holds
    # /metrics: with a token, `Authorization: Bearer <token>` is required from anywhere; without
    # one, only loopback clients (a Prometheus agent on the same host) are answered.
    METRICS_TOKEN = ""
    # A Celery worker's own metrics endpoint (its host's step latency, attempts, lease recoveries);
    # 0: none (on a host that also runs gunicorn with the same PROMETHEUS_MULTIPROC_DIR, the web's
    # /metrics already includes them).
    CELERY_METRICS_PORT = 0
    CELERY_METRICS_ADDRESS = "127.0.0.1"
    RECIPES_DIR = "recipes"
    MAPPINGS_DIR = "mappings"
    APPLY_RECIPE_FILES_ON_START = True
    MAX_CONTENT_LENGTH = 1024 * 1024
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    JSON_SORT_KEYS = False
    # Files created on first start may only be generated outside production.
    GENERATE_MISSING_KEYS = True


class DevelopmentConfig(Config):
    """``make run`` on a laptop: SQLite, keys generated under instance/."""


class ProductionConfig(Config):
    """Keys must come from the environment: a lost instance/ folder must not silently rotate them."""

    PONTE_ENV = "production"
    GENERATE_MISSING_KEYS = False
    SESSION_COOKIE_SECURE = True


class TestingConfig(Config):
    """Pytest: everything explicit, no background services, no files generated."""

    PONTE_ENV = "testing"
    TESTING = True
    EMBEDDED_WORKER = False
    GENERATE_MISSING_KEYS = False
    DATABASE_URL = "sqlite://"
    SECRET_KEY = "testing-secret-key"  # noqa: S105 (tests only)
    WTF_CSRF_ENABLED = False
    WEBHOOK_AUTO_REGISTER = False  # tests that exercise it turn it on
    CONNECTION_TEST_ON_SAVE = False  # likewise (tests/web/test_connection_test_on_save.py)


MODES: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "production": ProductionConfig,
    "testing": TestingConfig,
}


def _str(name: str, raw: str) -> str:
    return raw.strip()


def _int(name: str, raw: str) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value < 0:
        raise ConfigError(f"{name} must not be negative, got {raw!r}")
    return value


def _bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def _choice(*choices: str) -> Callable[[str, str], str]:
    def parse(name: str, raw: str) -> str:
        value = raw.strip().lower()
        if value not in choices:
            raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {raw!r}")
        return value

    return parse


def _url(name: str, raw: str) -> str:
    return raw.strip().rstrip("/")


def _zone(name: str, raw: str) -> str:
    value = raw.strip()
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{name} must be an IANA time zone such as America/Sao_Paulo, got {raw!r}") from None
    return value


def _level(name: str, raw: str) -> str:
    return _choice("debug", "info", "warning", "error", "critical")(name, raw).upper()


ENV_VARS: dict[str, Callable[[str, str], Any]] = {
    "DATABASE_URL": _str,
    "DATABASE_POOL_SIZE": _int,
    "DATABASE_MAX_OVERFLOW": _int,
    "SECRET_KEY": _str,
    "PONTE_VAULT_KEYS": _str,
    "PUBLIC_BASE_URL": _url,
    "LOG_LEVEL": _level,
    "PONTE_TIMEZONE": _zone,
    "SMTP_HOST": _str,
    "SMTP_PORT": _int,
    "SMTP_USERNAME": _str,
    "SMTP_PASSWORD": _str,
    "SMTP_SECURITY": _choice("starttls", "ssl", "none"),
    "SMTP_FROM": _str,
    "EMBEDDED_WORKER": _bool,
    "EMBEDDED_SCHEDULER": _bool,
    "SCHEDULER_POLL_SECONDS": _int,
    "SCHEDULER_CLOCK_SECONDS": _int,
    "SCHEDULER_LEASE_SECONDS": _int,
    "WEBHOOK_MAX_BYTES": _int,
    "WEBHOOK_AUTO_REGISTER": _bool,
    "CONNECTION_TEST_ON_SAVE": _bool,
    "WEBHOOK_ALERT_EMAIL": _str,
    "WEBHOOK_HEALTH_SECONDS": _int,
    "CATCHUP_INTERVAL_SECONDS": _int,
    "CATCHUP_WINDOW_HOURS": _int,
    "CATCHUP_OVERLAP_MINUTES": _int,
    "CATCHUP_DRY_RUN": _bool,
    "LOGIN_MAX_FAILURES_ACCOUNT": _int,
    "LOGIN_MAX_FAILURES_ADDRESS": _int,
    "LOGIN_WINDOW_SECONDS": _int,
    "LOGIN_LOCK_SECONDS": _int,
    "RETENTION_DAYS": _int,
    "COLLECTION_DASHBOARD_TTL": _int,
    "EXECUTOR_WORKERS": _int,
    "RETRY_DELAY_SCALE": lambda name, value: float(value),
    "RUN_LEASE_SECONDS": _int,
    "DESTINATION_CONCURRENCY": _int,
    "EXECUTOR": _choice("embedded", "celery"),
    "CELERY_BROKER_URL": _str,
    "CELERY_VISIBILITY_TIMEOUT": _int,
    "CELERY_SWEEP_SECONDS": lambda name, value: float(value),
    "METRICS_TOKEN": _str,
    "CELERY_METRICS_PORT": _int,
    "CELERY_METRICS_ADDRESS": _str,
    "EXECUTOR_POLL_SECONDS": lambda name, value: float(value),
    "RECIPES_DIR": _str,
    "MAPPINGS_DIR": _str,
    "APPLY_RECIPE_FILES_ON_START": _bool,
}


def mode_from_env(environ: Mapping[str, str]) -> str:
    """The mode named by PONTE_ENV (development when unset)."""
    mode = (environ.get("PONTE_ENV") or "development").strip().lower()
    if mode not in ("development", "production"):
        raise ConfigError(f"PONTE_ENV must be production or development, got {mode!r}")
    return mode


def load_config(environ: Mapping[str, str], mode: str) -> dict[str, Any]:
    """The mode's defaults overridden by the environment (testing ignores the environment)."""
    cls = MODES[mode]
    values = {name: getattr(cls, name) for name in dir(cls) if name.isupper()}
    if mode == "testing":
        return values
    for name, parse in ENV_VARS.items():
        raw = environ.get(name)
        if raw is not None and raw.strip() != "":
            values[name] = parse(name, raw)
    return values


def require_production_keys(config: Mapping[str, Any]) -> None:
    """Refuse to start in production without explicit SECRET_KEY and PONTE_VAULT_KEYS."""
    missing = [name for name in ("SECRET_KEY", "PONTE_VAULT_KEYS") if not config.get(name)]
    if missing:
        raise ConfigError(
            f"PONTE_ENV=production needs {' and '.join(missing)} in the environment. "
            "SECRET_KEY signs sessions: any long random string "
            '(python -c "import secrets; print(secrets.token_urlsafe(48))"). '
            "PONTE_VAULT_KEYS encrypts credentials: comma-separated Fernet keys, newest first; "
            + KEY_HELP
            + ". Keep both safe: losing the vault key makes stored credentials unreadable."
        )
