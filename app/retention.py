"""Retention: delete run history and inbound events older than ``RETENTION_DAYS``, in batches.

What goes: finished runs (and their steps) created before the cutoff; events received before it
that no remaining run references and that were already dispatched (an event still waiting for the
engine is never lost); rejected webhook deliveries. What stays: recipes and their versions,
connections, unfinished runs of any age. A kept replay that pointed at a pruned run loses only the
pointer. Each batch is its own short transaction (a run's steps and references go with it; every
delete reads an index, ``runs.replay_of_id`` included), so webhooks keep being stored while a long
prune runs: the write lock is held for one batch at a time, not for the whole prune.

SQLite does not give freed pages back to the file system on its own. Databases Ponte creates use
``auto_vacuum = INCREMENTAL`` (see ``app/database.py``), so after each batch the pages it freed are
returned (``PRAGMA incremental_vacuum(N)``, its own short write transaction; see
:func:`_between_batches`), never one long exclusive ``VACUUM``; what is left at the end goes the same
way, then ``PRAGMA wal_checkpoint(TRUNCATE)`` empties the write-ahead log. A database created
before that (``auto_vacuum = NONE``) is switched over by one full ``VACUUM`` the first time it is
compacted. PostgreSQL's autovacuum reclaims space on its own. Run
``flask --app wsgi runs prune`` from cron.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, delete, exists, select, text
from sqlalchemy.orm import Session

from app.models import RUN_FINAL_STATUSES, Event, Run, UTCDateTime, WebhookDelivery, utcnow

DEFAULT_BATCH = 500
VACUUM_PAGES = 2000  # pages freed per incremental step (8 MB at 4 KB pages): a few ms of write lock
VACUUM_PAUSE = 0.05  # seconds between steps, for waiting writers (webhooks)
BATCH_PAUSE = 0.02  # seconds between delete batches, for the same reason
_INCREMENTAL = 2  # PRAGMA auto_vacuum value


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
    """Delete what is older than ``days`` days, ``batch_size`` rows at a time; compact SQLite after.

    Everything goes through one connection of the session's engine (its SQLite settings must hold for
    the whole prune, and a pooled session could hand out another connection after a commit).
    """
    if days < 1:
        raise ValueError("retention must be at least 1 day")
    report = PruneReport(cutoff=(now or utcnow()) - timedelta(days=days))
    path = sqlite_path(session)
    report.size_before = file_size(path) if path else None
    engine = session.get_bind()
    session.close()
    with engine.connect() as connection, _sqlite_settings(connection, compact) if path else nullcontext():  # type: ignore[union-attr]
        _prune_runs(connection, report, batch_size)
        _prune_events(connection, report, batch_size)
        _prune_deliveries(connection, report, batch_size)
    if path:
        if compact and report.deleted:
            compact_sqlite(session)
        report.size_after = file_size(path)
    return report


PRUNE_CACHE_KIB = 262_144  # SQLite page cache while pruning: each batch touches every index of runs
CHECKPOINT_BATCHES = 8  # batches between the prune's own checkpoints (bounds the WAL: ~100 MB at 1M runs)


@contextmanager
def _sqlite_settings(connection: Connection, compact: bool) -> Iterator[None]:
    """A bigger page cache and no automatic checkpoints on the pruning connection, for the prune.

    SQLite's default cache is 2 MB. Deleting a batch touches pages all over each index of ``runs``,
    ``steps`` and ``run_references``; with 2 MB, at a million runs, most of them are read again from
    the OS for every batch, and a batch held the write lock for ~0.4 s instead of a few ms.

    Checkpoints: ``ix_run_references_value_run_id`` is in search-key order, so the ~3,000 keys of a
    batch of 500 runs land on ~2,000 different pages of it, and the next batch dirties most of the
    same pages again. With SQLite's automatic checkpoint (every 1,000 WAL pages) each commit copied
    its ~8 MB back into the database file and synced it: ~60 ms of a ~100 ms batch. The prune checkpoints
    every ``CHECKPOINT_BATCHES`` batches instead (see :func:`_between_batches`), so a page dirtied by
    several batches is copied once. The WAL stays bounded by those batches, and the last checkpoint of
    the prune truncates it.

    ``synchronous = NORMAL`` on this connection only: its commits are not synced one by one (the
    checkpoint syncs the WAL before copying it). A power cut can undo the last batches of a prune,
    which the next prune deletes again; it cannot undo anything another connection committed with
    ``FULL`` (that sync covers every frame before it) nor corrupt the file.
    """
    names = ("cache_size", "wal_autocheckpoint", "synchronous")
    previous = [connection.exec_driver_sql(f"PRAGMA {name}").scalar() for name in names]
    connection.exec_driver_sql(f"PRAGMA cache_size = -{PRUNE_CACHE_KIB}")
    connection.exec_driver_sql("PRAGMA wal_autocheckpoint = 0")
    connection.exec_driver_sql("PRAGMA synchronous = NORMAL")
    connection.info["ponte_incremental"] = compact and (  # --no-compact: no space given back, as before
        connection.exec_driver_sql("PRAGMA auto_vacuum").scalar() == _INCREMENTAL)
    connection.commit()
    try:
        yield
    finally:
        connection.info.pop("ponte_incremental", None)
        connection.rollback()
        connection.exec_driver_sql(f"PRAGMA cache_size = {int(previous[0] or -2000)}")
        connection.exec_driver_sql(f"PRAGMA wal_autocheckpoint = {int(previous[1] or 1000)}")
        connection.exec_driver_sql(f"PRAGMA synchronous = {int(previous[2] if previous[2] is not None else 2)}")
        connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
        connection.commit()


def _between_batches(connection: Connection, batch: int) -> None:
    """SQLite, after each committed batch: give its free pages back, checkpoint now and then, pause.

    Space goes back while deleting, not all at the end: ``incremental_vacuum`` removes each page it
    truncates from the free list by searching that list, so with the ~600,000 free pages a million
    runs leave it freed ~1,000 pages/s and got slower as it went (quadratic); right after a batch the
    list holds only what the batch freed, and a step takes a few ms. The pause: SQLite's lock is not
    fair, a writer waiting in its busy handler polls (every 100 ms once it has waited a while), and a
    loop that takes the lock again at once starved the webhook path for seconds.
    """
    if connection.dialect.name != "sqlite":
        return
    if connection.info.get("ponte_incremental"):
        raw = connection.connection.dbapi_connection
        # executescript steps the pragma to the end; execute() would free one page per call
        raw.executescript(f"PRAGMA incremental_vacuum({VACUUM_PAGES})")  # type: ignore[union-attr]
    if batch % CHECKPOINT_BATCHES == 0:
        # PASSIVE copies what the last batches wrote without blocking anyone; RESTART then copies the
        # little written meanwhile (blocking writers for that long only) and makes the next writer
        # start the WAL from its beginning. Without it the WAL never restarted while the prune kept
        # appending (a PASSIVE checkpoint never catches up with a busy writer): 5 GB at a million runs.
        connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
        connection.exec_driver_sql("PRAGMA wal_checkpoint(RESTART)")
        connection.commit()
    time.sleep(BATCH_PAUSE)


#: The runs one batch deletes: finished, created before the cutoff, ids in ``(lo, hi]``. Evaluated again
#: by every statement of the batch, inside its write transaction, so a run that is not finished at
#: that moment (being executed, retried) is never touched, whatever it was when ``hi`` was read.
_NEXT_HI = ("SELECT max(id) FROM (SELECT id FROM runs WHERE id > :lo AND status IN :final AND created_at < :cutoff "
            "ORDER BY id LIMIT :n) AS batch")
_RUN_BATCH = {
    # A kept replay of a pruned run loses only the pointer. Almost every replay_of_id is NULL, so once
    # SQLite has statistics its planner judges the index useless and scanned runs for every batch
    # (~1,000 runs/s at a million): INDEXED BY keeps it on the index (SQLite only: the other text).
    "unlink": ("UPDATE runs INDEXED BY ix_runs_replay_of_id SET replay_of_id = NULL WHERE replay_of_id IN "
               "(SELECT id FROM runs WHERE id > :lo AND id <= :hi AND status IN :final AND created_at < :cutoff)",
               "UPDATE runs SET replay_of_id = NULL WHERE replay_of_id IN "
               "(SELECT id FROM runs WHERE id > :lo AND id <= :hi AND status IN :final AND created_at < :cutoff)"),
    "steps": ("DELETE FROM steps WHERE run_id IN "
              "(SELECT id FROM runs WHERE id > :lo AND id <= :hi AND status IN :final AND created_at < :cutoff)",),
    "references": ("DELETE FROM run_references WHERE run_id IN "
                   "(SELECT id FROM runs WHERE id > :lo AND id <= :hi AND status IN :final AND created_at < :cutoff)",),
    "runs": ("DELETE FROM runs WHERE id IN "
             "(SELECT id FROM runs WHERE id > :lo AND id <= :hi AND status IN :final AND created_at < :cutoff)",),
}


def _statement(sql: str) -> Any:
    return text(sql).bindparams(bindparam("cutoff", type_=UTCDateTime()), bindparam("final", expanding=True))


def _prune_runs(connection: Connection, report: PruneReport, batch_size: int) -> None:
    """Keyset batches over ``runs.id``: each reads the primary key from where the previous stopped."""
    sqlite = connection.dialect.name == "sqlite"
    statements = {name: _statement(sql[0] if sqlite else sql[-1]) for name, sql in _RUN_BATCH.items()}
    next_hi, final = _statement(_NEXT_HI), list(RUN_FINAL_STATUSES)
    lo, batch = 0, 0
    while hi := connection.execute(next_hi, {"lo": lo, "final": final, "cutoff": report.cutoff, "n": batch_size}
                                   ).scalar():
        params = {"lo": lo, "hi": hi, "final": final, "cutoff": report.cutoff}
        connection.execute(statements["unlink"], params)
        report.steps += _count(connection.execute(statements["steps"], params))
        connection.execute(statements["references"], params)
        report.runs += _count(connection.execute(statements["runs"], params))
        connection.commit()
        lo, batch = hi, batch + 1
        _between_batches(connection, batch)


def _prune_events(connection: Connection, report: PruneReport, batch_size: int) -> None:
    old = select(Event.id).where(
        Event.received_at < report.cutoff, Event.dispatched_at.is_not(None), ~exists().where(Run.event_id == Event.id)
    )
    for batch, ids in enumerate(_batches(connection, old, Event.id, batch_size), 1):
        report.events += _count(connection.execute(delete(Event).where(Event.id.in_(ids))))
        connection.commit()
        _between_batches(connection, batch)


def _prune_deliveries(connection: Connection, report: PruneReport, batch_size: int) -> None:
    old = select(WebhookDelivery.id).where(WebhookDelivery.received_at < report.cutoff)
    for ids in _batches(connection, old, WebhookDelivery.id, batch_size):
        report.deliveries += _count(connection.execute(delete(WebhookDelivery).where(WebhookDelivery.id.in_(ids))))
        connection.commit()


def _batches(connection: Connection, query: Any, column: Any, batch_size: int) -> Any:
    """Ids of ``query`` in ascending batches, each starting after the last one (keyset, not OFFSET):
    every batch reads the primary key from where the previous stopped, so a million rows cost one
    pass instead of a sort of everything that is left per batch."""
    last = 0
    while ids := list(connection.scalars(query.where(column > last).order_by(column).limit(batch_size))):
        last = ids[-1]
        yield ids


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
