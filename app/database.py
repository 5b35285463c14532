"""The database without Flask: an engine and a session registry, for any process.

:mod:`app.db` wires it into a Flask app (one session per app context); a plain worker makes a
:class:`Database` itself and gets one session per thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, scoped_session, sessionmaker

__all__ = ["Database", "create_db_engine", "normalize_url"]

# Connections one process keeps open (DATABASE_POOL_SIZE) and may open beyond that under a burst
# (DATABASE_MAX_OVERFLOW); docs/scaling.md sizes them per process type against max_connections.
POOL_SIZE = 5
POOL_OVERFLOW = 10


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


class Database:
    """The engine and the session registry of one app or worker process.

    ``scopefunc`` says what shares a session: one per thread by default; the Flask integration
    passes one session per app context.
    """

    def __init__(self, url: str, *, scopefunc: Callable[[], Hashable] = threading.get_ident,
                 pool_size: int | None = None, max_overflow: int | None = None) -> None:
        self.url = normalize_url(url)
        pool: dict[str, int] = {}
        if make_url(self.url).get_backend_name() == "postgresql":  # SQLite keeps SQLAlchemy's own pools
            pool = {"pool_size": pool_size or POOL_SIZE, "max_overflow": POOL_OVERFLOW if max_overflow is None
                    else max_overflow}
        self.engine = create_db_engine(self.url, **pool)  # type: ignore[arg-type]  # pool sizes, not the flag
        self.session_factory = sessionmaker(bind=self.engine, expire_on_commit=False)
        self.sessions = scoped_session(self.session_factory, scopefunc=scopefunc)

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    def session(self) -> Session:
        """The session of the current scope (thread, or app context under Flask)."""
        return self.sessions()

    def remove(self) -> None:
        self.sessions.remove()

    def dispose(self) -> None:
        self.sessions.remove()
        self.engine.dispose()
