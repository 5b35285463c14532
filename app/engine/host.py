"""Where the engine gets its database session: a Flask app, or a plain :class:`~app.database.Database`.

The executor and the runner need only a session per unit of work. A web process (or a test) hands
them its Flask app, and each unit runs in an app context, as the rest of the app expects; a queue
worker without Flask hands them a Database, and each unit gets its thread's session, removed after.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol

from sqlalchemy.orm import Session

from app.database import Database
from app.engine.settings import EngineSettings
from app.engine.settings import current as current_settings


class Host(Protocol):
    def session(self) -> AbstractContextManager[Session]:
        """A session for one unit of work (a tick, a run), cleaned up after."""

    @property
    def settings(self) -> EngineSettings: ...


class FlaskHost:
    """Units of work inside the app's context; settings from the app's config as it is now."""

    def __init__(self, app: Any) -> None:
        self.app = app

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self.app.app_context():
            from app.db import get_session  # Flask is this host's own business

            yield get_session()

    @property
    def settings(self) -> EngineSettings:
        return EngineSettings.from_mapping(self.app.config)


class DatabaseHost:
    """Units of work on a plain Database: the thread's session, removed when the unit ends."""

    def __init__(self, database: Database, settings: EngineSettings | None = None) -> None:
        self.database = database
        self._settings = settings

    @contextmanager
    def session(self) -> Iterator[Session]:
        try:
            yield self.database.sessions()
        finally:
            self.database.sessions.remove()

    @property
    def settings(self) -> EngineSettings:
        return self._settings or current_settings()


def host_for(target: Any) -> Host:
    """A Host for a Flask app, a Database, or a Host already."""
    if isinstance(target, (FlaskHost, DatabaseHost)):
        return target
    if isinstance(target, Database):
        return DatabaseHost(target)
    if hasattr(target, "app_context"):
        return FlaskHost(target)
    raise TypeError(f"the engine runs on a Flask app or a Database, not {type(target).__name__}")
