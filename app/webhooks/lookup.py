"""The connection behind a webhook URL, cached per process and checked against the row on every delivery.

Looking a connection up through the ORM and decrypting its credentials (Fernet) was about a fifth of
each delivery's time (`bench/ingest.py`). Each process keeps the decrypted config of the connections
it has seen, keyed by what decides it: the row's ``updated_at`` and its ciphertext. Every delivery
still reads those two columns (one precompiled ``SELECT`` by the unique ``uid``), so a connection
edited, rotated or deleted by any process (the web UI, the CLI, another gunicorn worker) is seen by
the very next delivery: a different ciphertext or timestamp is a miss, a missing row is a 404.
Nothing is trusted for longer than one query.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import g
from sqlalchemy import Connection as DbConnection
from sqlalchemy import bindparam, select

from app.db import get_db
from app.models import Connection

MAX_ENTRIES = 1024  # connections per process; past that the cache starts over (it only saves work)

_TABLE = Connection.__table__.c  # Core columns: no ORM result machinery for a two-column check
_ROW = select(_TABLE.id, _TABLE.name, _TABLE.connector_key, _TABLE.settings, _TABLE.updated_at,
              _TABLE.credentials_encrypted).where(_TABLE.uid == bindparam("uid"))


@dataclass(frozen=True)
class WebhookConnection:
    """What the webhook path needs of a connection: who it is and its config (secrets decrypted)."""

    id: int
    name: str
    connector_key: str
    settings_and_secrets: dict[str, Any]

    def config(self) -> dict[str, Any]:
        """A copy, so a connector that changes what it gets cannot change the cache."""
        return dict(self.settings_and_secrets)


_cache: dict[str, tuple[tuple[datetime | None, str | None], WebhookConnection]] = {}
_lock = threading.Lock()


def database() -> DbConnection:
    """The request's Core connection for the webhook path (closed at teardown, see ``close``).

    The path is one read and one short write transaction; going through Core rather than the ORM
    session skips the session's bookkeeping on every delivery. pysqlite opens the transaction at the
    INSERT, not at the read, so the read never holds a snapshot that a write would have to upgrade.
    """
    connection = g.get("_ponte_webhook_db")
    if connection is None:
        connection = g._ponte_webhook_db = get_db().engine.connect()
    return connection


def close(_exc: BaseException | None = None) -> None:
    connection = g.pop("_ponte_webhook_db", None)
    if connection is not None:
        connection.close()


def find_connection(db: DbConnection, uid: str) -> WebhookConnection | None:
    """The connection whose webhook URL ends in ``uid``, or None; VaultError if it cannot be decrypted.

    SQLAlchemyError propagates (the caller answers 503).
    """
    row = db.execute(_ROW, {"uid": uid}).first()
    if row is None:
        _cache.pop(uid, None)
        return None
    version = (row.updated_at, row.credentials_encrypted)
    cached = _cache.get(uid)
    if cached is not None and cached[0] == version:
        return cached[1]
    # A detached Connection, only to reuse its decryption (and the redactor registration of secrets).
    detached = Connection(name=row.name, settings=row.settings, credentials_encrypted=row.credentials_encrypted)
    found = WebhookConnection(row.id, row.name, row.connector_key, detached.config())
    with _lock:
        if len(_cache) >= MAX_ENTRIES:
            _cache.clear()
        _cache[uid] = (version, found)
    return found


def clear() -> None:
    """Forget every cached connection (tests)."""
    with _lock:
        _cache.clear()
