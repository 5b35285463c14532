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
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, scoped_session, sessionmaker

EXTENSION = "ponte_db"


def normalize_url(url: str) -> str:
    """Map ``postgres://`` and ``postgresql://`` (Heroku style) to the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def create_db_engine(url: str, *, sqlite_foreign_keys: bool = True, **kwargs: Any) -> Engine:
    """An engine for ``url``. SQLite gets WAL, foreign keys and a 30 s busy timeout on every connection,
    and a new database file ``auto_vacuum = INCREMENTAL`` (it only takes effect before the first table
    exists), so pruning can give space back in short steps (``app/retention.py``).

    Migrations pass ``sqlite_foreign_keys=False``: Alembic's batch mode copies tables, which
    foreign keys would block.
    """
    url = normalize_url(url)
    backend = make_url(url).get_backend_name()
    if backend == "postgresql":
        kwargs.setdefault("connect_args", {"connect_timeout": 5})
        kwargs.setdefault("pool_pre_ping", True)
    engine = create_engine(url, **kwargs)
    if backend == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA busy_timeout = 30000")
            cursor.execute("PRAGMA auto_vacuum = INCREMENTAL")  # a no-op on a file that has tables
            if make_url(url).database not in (None, "", ":memory:"):
                cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute(f"PRAGMA foreign_keys = {'ON' if sqlite_foreign_keys else 'OFF'}")
            cursor.close()

    return engine


def _scope() -> Any:
    """One session per app context, or per thread outside one (worker threads)."""
    if has_app_context():
        return ("ctx", id(app_ctx._get_current_object()))
    return ("thread", threading.get_ident())


class Database:
    """The engine and the session registry of one app."""

    def __init__(self, url: str) -> None:
        self.url = normalize_url(url)
        self.engine = create_db_engine(self.url)
        self.session_factory = sessionmaker(bind=self.engine, expire_on_commit=False)
        self.sessions = scoped_session(self.session_factory, scopefunc=_scope)

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    def remove(self) -> None:
        self.sessions.remove()

    def dispose(self) -> None:
        self.sessions.remove()
        self.engine.dispose()


def init_app(app: Flask) -> Database:
    """Create the app's Database and remove the context's session at app-context teardown."""
    db = Database(app.config["DATABASE_URL"])
    app.extensions[EXTENSION] = db

    @app.teardown_appcontext
    def _remove_session(_exc: BaseException | None) -> None:
        db.remove()

    return db


def get_db(app: Flask | None = None) -> Database:
    """The Database of ``app`` (default: the current app)."""
    return (app or current_app).extensions[EXTENSION]


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
