"""The engine's settings, made once per process from the configuration and passed in explicitly.

A web process builds them from its Flask config in the app factory (:func:`init_app`); a plain
worker (no Flask) builds them from the environment with :meth:`EngineSettings.from_mapping` and
:func:`install`. Engine code reads :func:`current`: the settings of the active Flask app when there
is one (tests run several apps in one process), else the process's installed ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.hostctx import current_flask_app

EXTENSION = "ponte_engine_settings"
DEFAULT_TIMEZONE = "America/Sao_Paulo"


@dataclass(frozen=True)
class EngineSettings:
    """What the engine needs from the configuration (see app/config.py for each setting)."""

    timezone: str = DEFAULT_TIMEZONE
    retry_scale: float = 1.0
    lease_seconds: float = 300.0
    destination_limit: int | None = None
    workers: int = 4
    poll_interval: float = 1.0

    @classmethod
    def from_mapping(cls, config: Mapping[str, Any]) -> EngineSettings:
        """From a config mapping (a Flask config, or ``app.config.load_config``'s result)."""
        workers = int(config.get("EXECUTOR_WORKERS") or cls.workers)
        limit = config.get("DESTINATION_CONCURRENCY")
        return cls(
            timezone=str(config.get("PONTE_TIMEZONE") or DEFAULT_TIMEZONE),
            retry_scale=float(config.get("RETRY_DELAY_SCALE", 1.0)),
            lease_seconds=float(config.get("RUN_LEASE_SECONDS") or cls.lease_seconds),
            destination_limit=int(limit) if limit else None,  # None: the executor's workers - 1
            workers=workers,
            poll_interval=float(config.get("EXECUTOR_POLL_SECONDS") or cls.poll_interval),
        )


_installed = EngineSettings()


def install(settings: EngineSettings) -> None:
    """Make ``settings`` this process's (a worker without Flask calls this once at start)."""
    global _installed
    _installed = settings


def current() -> EngineSettings:
    """The active Flask app's settings (made by its factory), else this process's installed ones."""
    app = current_flask_app()
    if app is not None and EXTENSION in app.extensions:
        found: EngineSettings = app.extensions[EXTENSION]
        return found
    return _installed


def init_app(app: Any) -> EngineSettings:
    """Made once by the app factory from the app's config (the engine reads it inside the app's context)."""
    settings = EngineSettings.from_mapping(app.config)
    app.extensions[EXTENSION] = settings
    return settings
