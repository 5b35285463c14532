"""Waking workers in other processes when work is stored: PostgreSQL ``LISTEN/NOTIFY``.

A web process that stores an event (or queues a replay) calls ``executor.notify()``. The embedded
executor in the same process wakes at once; workers in *other* processes (``flask worker run`` on
another host, with ``EMBEDDED_WORKER=false`` on the web servers) would otherwise only see it at their
next poll (``EXECUTOR_POLL_SECONDS``). On PostgreSQL the notifier sends ``NOTIFY ponte_work`` and each
worker keeps one connection ``LISTEN``-ing, so the run starts within milliseconds in every process.
SQLite has no such channel: there the web server and its embedded worker share one process anyway.
The poll stays as the safety net (a NOTIFY sent while a listener reconnects is lost, by design).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy import Engine, text

log = logging.getLogger("ponte.engine.wakeup")

CHANNEL = "ponte_work"


def announce(engine: Engine) -> None:
    """``NOTIFY ponte_work`` on PostgreSQL (nothing elsewhere); never raises: the poll covers a miss."""
    if engine.dialect.name != "postgresql":
        return
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})
            connection.commit()
    except Exception:  # noqa: BLE001 - waking is an optimisation; the stored row is what counts
        log.warning("could not NOTIFY %s; workers will see the work at their next poll", CHANNEL)


class Notifier:
    """The ``executor`` of a web process that runs no worker: it only announces stored work."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def start(self) -> None:
        """Nothing to start: the workers are other processes."""

    def stop(self) -> None:
        """Nothing to stop."""

    def notify(self) -> None:
        announce(self.engine)


class Listener:
    """A daemon thread that calls ``wake()`` for each ``NOTIFY ponte_work`` (PostgreSQL only)."""

    def __init__(self, engine: Engine, wake: Callable[[], None]) -> None:
        self.engine = engine
        self.wake = wake
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> bool:
        """Start listening; False (and no thread) when the database has no LISTEN."""
        if self.engine.dialect.name != "postgresql":
            return False
        self._thread = threading.Thread(target=self._loop, name="ponte-listen", daemon=True)
        self._thread.start()
        return True

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=3)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._listen()
            except Exception:  # noqa: BLE001 - the database went away: retry, the poll covers the gap
                log.warning("LISTEN %s lost; reconnecting in 2 s", CHANNEL)
                self._stop.wait(2.0)

    def _listen(self) -> None:
        import psycopg

        url = self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(url, autocommit=True, connect_timeout=5) as connection:
            connection.execute(f"LISTEN {CHANNEL}")
            self.wake()  # anything stored while we were not listening
            while not self._stop.is_set():
                for _ in connection.notifies(timeout=1.0, stop_after=1):
                    self.wake()
