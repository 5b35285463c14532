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

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from app.models import Connection

MAX_ENTRIES = 1024  # connections per process; past that the cache starts over (it only saves work)

_TABLE = Connection.__table__.c  # Core columns: no ORM result machinery for a two-column check
_ROW = select(_TABLE.id, _TABLE.updated_at, _TABLE.credentials_encrypted).where(_TABLE.uid == bindparam("uid"))


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


def find_connection(session: Session, uid: str) -> WebhookConnection | None:
    """The connection whose webhook URL ends in ``uid``, or None; VaultError if it cannot be decrypted.

    SQLAlchemyError propagates (the caller answers 503).
    """
    row = session.connection().execute(_ROW, {"uid": uid}).first()
    if row is None:
        _cache.pop(uid, None)
        return None
    version = (row.updated_at, row.credentials_encrypted)
    cached = _cache.get(uid)
    if cached is not None and cached[0] == version:
        return cached[1]
    connection = session.get(Connection, row.id)
    if connection is None:  # deleted between the two reads
        return None
    found = WebhookConnection(connection.id, connection.name, connection.connector_key, connection.config())
    with _lock:
        if len(_cache) >= MAX_ENTRIES:
            _cache.clear()
        _cache[uid] = ((connection.updated_at, connection.credentials_encrypted), found)
    return found


def clear() -> None:
    """Forget every cached connection (tests)."""
    with _lock:
        _cache.clear()
