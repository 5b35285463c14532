"""Retention: delete run history and inbound events older than ``RETENTION_DAYS``, in batches.

What goes: finished runs (and their steps) created before the cutoff; events received before it
that no remaining run references and that were already dispatched (an event still waiting for the
engine is never lost); rejected webhook deliveries. What stays: recipes and their versions,
connections, unfinished runs of any age. A kept replay that pointed at a pruned run loses only the
pointer. Each batch is its own short transaction (a run's steps and references go with it; every
delete reads an index, ``runs.replay_of_id`` included), so webhooks keep being stored while a long
prune runs: the write lock is held for one batch at a time, not for the whole prune.

SQLite does not give freed pages back to the file system on its own. Databases Ponte creates use
``auto_vacuum = INCREMENTAL`` (see ``app/db.py``), so after deleting, the free pages are returned a
few thousand at a time (``PRAGMA incremental_vacuum(N)``, each its own short write transaction),
never one long exclusive ``VACUUM``; then ``PRAGMA wal_checkpoint(TRUNCATE)`` empties the write-ahead
log. A database created before that (``auto_vacuum = NONE``) is switched over by one full ``VACUUM``
the first time it is compacted. PostgreSQL's autovacuum reclaims space on its own. Run
``flask --app wsgi runs prune`` from cron.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, exists, select, text
from sqlalchemy.orm import Session

from app.models import RUN_FINAL_STATUSES, Event, Run, RunReference, Step, WebhookDelivery, utcnow

DEFAULT_BATCH = 500
VACUUM_PAGES = 2000  # pages freed per incremental step (8 MB at 4 KB pages): a few ms of write lock
VACUUM_PAUSE = 0.05  # seconds between steps, for waiting writers (webhooks)
_INCREMENTAL = 2  # PRAGMA auto_vacuum value
_QUIET: dict[str, Any] = {"synchronize_session": False}


@dataclass
class PruneReport:
    """How many rows went, and the SQLite file size (main file + WAL) before and after, if any."""

    cutoff: datetime
    runs: int = 0
    steps: int = 0
    events: int = 0
    deliveries: int = 0
    size_before: int | None = None
    size_after: int | None = None

    @property
    def deleted(self) -> int:
        return self.runs + self.steps + self.events + self.deliveries


def sqlite_path(session: Session) -> str | None:
    """The database file of a file-backed SQLite session, else None."""
    url = session.get_bind().engine.url
    return url.database if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:") else None


def file_size(path: str) -> int:
    """Bytes on disk of a SQLite database: the file plus its write-ahead log."""
    return sum(os.path.getsize(p) for p in (path, f"{path}-wal") if os.path.exists(p))


def prune(session: Session, *, days: int, batch_size: int = DEFAULT_BATCH, now: datetime | None = None,
          compact: bool = True) -> PruneReport:
    """Delete what is older than ``days`` days, ``batch_size`` rows at a time; compact SQLite after."""
    if days < 1:
        raise ValueError("retention must be at least 1 day")
    report = PruneReport(cutoff=(now or utcnow()) - timedelta(days=days))
    path = sqlite_path(session)
    report.size_before = file_size(path) if path else None
    previous_cache = _widen_sqlite_cache(session) if path else None
    try:
        _prune_runs(session, report, batch_size)
        _prune_events(session, report, batch_size)
        _prune_deliveries(session, report, batch_size)
    finally:
        if previous_cache is not None:
            session.connection().exec_driver_sql(f"PRAGMA cache_size = {int(previous_cache)}")
            session.commit()
    if path:
        if compact and report.deleted:
            compact_sqlite(session)
        report.size_after = file_size(path)
    return report


PRUNE_CACHE_KIB = 262_144  # SQLite page cache while pruning: each batch touches every index of runs


def _widen_sqlite_cache(session: Session) -> int:
    """A bigger page cache for this connection while it prunes; returns the previous setting.

    SQLite's default cache is 2 MB. Deleting a batch touches pages all over each index of ``runs``,
    ``steps`` and ``run_references``; with 2 MB, at a million runs, most of them are read again from
    the OS for every batch, and a batch held the write lock for ~0.4 s instead of a few ms.
    """
    connection = session.connection()
    previous = int(connection.exec_driver_sql("PRAGMA cache_size").scalar() or -2000)
    connection.exec_driver_sql(f"PRAGMA cache_size = -{PRUNE_CACHE_KIB}")
    session.commit()
    return previous


def _batches(session: Session, query: Any, column: Any, batch_size: int) -> Any:
    """Ids of ``query`` in ascending batches, each starting after the last one (keyset, not OFFSET):
    every batch reads the primary key from where the previous stopped, so a million rows cost one
    pass instead of a sort of everything that is left per batch."""
    last = 0
    while ids := list(session.scalars(query.where(column > last).order_by(column).limit(batch_size))):
        last = ids[-1]
        yield ids


_UNLINK = "UPDATE runs SET replay_of_id = NULL WHERE replay_of_id IN :ids"
_UNLINK_SQLITE = "UPDATE runs INDEXED BY ix_runs_replay_of_id SET replay_of_id = NULL WHERE replay_of_id IN :ids"


def _unlink_replays(session: Session) -> Any:
    """``UPDATE runs SET replay_of_id = NULL WHERE replay_of_id IN :ids``, through its index.

    Almost every ``replay_of_id`` is NULL, so once SQLite has statistics (``ANALYZE``, ``PRAGMA
    optimize``) its planner judges the index useless and scans the table for every batch: a prune of a
    million runs crawled at ~1,000 runs/s. ``INDEXED BY`` keeps it on the index.
    """
    sql = _UNLINK_SQLITE if session.get_bind().dialect.name == "sqlite" else _UNLINK
    return text(sql).bindparams(bindparam("ids", expanding=True))


def _prune_runs(session: Session, report: PruneReport, batch_size: int) -> None:
    old = select(Run.id).where(Run.status.in_(RUN_FINAL_STATUSES), Run.created_at < report.cutoff)
    for ids in _batches(session, old, Run.id, batch_size):
        session.execute(_unlink_replays(session), {"ids": ids})
        report.steps += _count(session.execute(delete(Step).where(Step.run_id.in_(ids)).execution_options(**_QUIET)))
        session.execute(delete(RunReference).where(RunReference.run_id.in_(ids)).execution_options(**_QUIET))
        report.runs += _count(session.execute(delete(Run).where(Run.id.in_(ids)).execution_options(**_QUIET)))
        session.commit()


def _prune_events(session: Session, report: PruneReport, batch_size: int) -> None:
    old = select(Event.id).where(
        Event.received_at < report.cutoff, Event.dispatched_at.is_not(None), ~exists().where(Run.event_id == Event.id)
    )
    for ids in _batches(session, old, Event.id, batch_size):
        report.events += _count(session.execute(delete(Event).where(Event.id.in_(ids)).execution_options(**_QUIET)))
        session.commit()


def _prune_deliveries(session: Session, report: PruneReport, batch_size: int) -> None:
    old = select(WebhookDelivery.id).where(WebhookDelivery.received_at < report.cutoff)
    for ids in _batches(session, old, WebhookDelivery.id, batch_size):
        statement = delete(WebhookDelivery).where(WebhookDelivery.id.in_(ids)).execution_options(**_QUIET)
        report.deliveries += _count(session.execute(statement))
        session.commit()


def compact_sqlite(session: Session, pages: int = VACUUM_PAGES) -> None:
    """Give free pages back to the file system in short steps, then truncate the WAL.

    Each ``incremental_vacuum`` step is its own transaction; between steps other writers (the
    webhook path) get the lock. A database still on ``auto_vacuum = NONE`` is converted once.
    """
    engine = session.get_bind()
    session.close()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:  # type: ignore[union-attr]
        if connection.exec_driver_sql("PRAGMA auto_vacuum").scalar() != _INCREMENTAL:
            connection.exec_driver_sql(f"PRAGMA auto_vacuum = {_INCREMENTAL}")
            connection.exec_driver_sql("VACUUM")  # one time: only a VACUUM changes the mode of a used file
        raw = connection.connection.dbapi_connection
        while connection.exec_driver_sql("PRAGMA freelist_count").scalar():
            # executescript steps the pragma to the end; execute() would free one page per call
            raw.executescript(f"PRAGMA incremental_vacuum({int(pages)})")  # type: ignore[union-attr]
            # SQLite's lock is not fair: a writer waiting in its busy handler polls, and a loop that
            # takes the lock again at once starves it (bench/prune.py saw a 60 s wait). Pause.
            time.sleep(VACUUM_PAUSE)
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def _count(result: Any) -> int:
    return max(int(result.rowcount or 0), 0)
