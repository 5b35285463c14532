"""The database: one engine and one session registry per app (plain SQLAlchemy 2, no Flask-SQLAlchemy).

Use :func:`get_session` in a request, a CLI command or any code running in an app context; the
session is removed when the app context ends. A worker thread without an app context uses
:func:`session_scope`, which commits, rolls back on error and always removes its session.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, current_app, has_app_context
from flask.globals import app_ctx
from sqlalchemy.orm import Session

from app.database import Database, create_db_engine, normalize_url

__all__ = ["Database", "create_db_engine", "get_db", "get_session", "init_app", "normalize_url", "session_scope"]

EXTENSION = "ponte_db"


def _scope() -> Any:
    """One session per app context, or per thread outside one (worker threads)."""
    if has_app_context():
        return ("ctx", id(app_ctx._get_current_object()))  # type: ignore[attr-defined]  # a LocalProxy
    return ("thread", threading.get_ident())


def init_app(app: Flask) -> Database:
    """Create the app's Database and remove the context's session at app-context teardown."""
    db = Database(app.config["DATABASE_URL"], scopefunc=_scope, pool_size=app.config.get("DATABASE_POOL_SIZE"),
                  max_overflow=app.config.get("DATABASE_MAX_OVERFLOW"))
    app.extensions[EXTENSION] = db

    @app.teardown_appcontext
    def _remove_session(_exc: BaseException | None) -> None:
        db.remove()

    return db


def get_db(app: Flask | None = None) -> Database:
    """The Database of ``app`` (default: the current app)."""
    database: Database = (app or current_app).extensions[EXTENSION]
    return database


def get_session(app: Flask | None = None) -> Session:
    """The session of the current app context (or thread). Thread-safe; do not share across threads."""
    return get_db(app).sessions()


@contextmanager
def session_scope(app: Flask) -> Iterator[Session]:
    """A session for a worker thread: commit on success, roll back on error, always removed."""
    db = get_db(app)
    session = db.sessions()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        db.sessions.remove()
