"""Retention: delete run history and inbound events older than ``RETENTION_DAYS``, in batches.

What goes: finished runs (and their steps) created before the cutoff; events received before it
that no remaining run references and that were already dispatched (an event still waiting for the
engine is never lost); rejected webhook deliveries. What stays: recipes and their versions,
connections, unfinished runs of any age. A kept replay that pointed at a pruned run loses only the
pointer. Each batch is its own transaction, so a long prune never holds a long lock.

SQLite does not give freed pages back to the file system, so after deleting anything the file is
compacted (``VACUUM``, then ``PRAGMA wal_checkpoint(TRUNCATE)`` to empty the write-ahead log);
PostgreSQL's autovacuum reclaims space on its own. Run ``flask --app wsgi runs prune`` from cron.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, exists, select, update
from sqlalchemy.orm import Session

from app.models import RUN_FINAL_STATUSES, Event, Run, Step, WebhookDelivery, utcnow

DEFAULT_BATCH = 500
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
    _prune_runs(session, report, batch_size)
    _prune_events(session, report, batch_size)
    _prune_deliveries(session, report, batch_size)
    if path:
        if compact and report.deleted:
            compact_sqlite(session)
        report.size_after = file_size(path)
    return report


def _prune_runs(session: Session, report: PruneReport, batch_size: int) -> None:
    old = select(Run.id).where(Run.status.in_(RUN_FINAL_STATUSES), Run.created_at < report.cutoff)
    while ids := list(session.scalars(old.order_by(Run.id).limit(batch_size))):
        session.execute(update(Run).where(Run.replay_of_id.in_(ids)).values(replay_of_id=None)
                        .execution_options(**_QUIET))
        report.steps += _count(session.execute(delete(Step).where(Step.run_id.in_(ids)).execution_options(**_QUIET)))
        report.runs += _count(session.execute(delete(Run).where(Run.id.in_(ids)).execution_options(**_QUIET)))
        session.commit()


def _prune_events(session: Session, report: PruneReport, batch_size: int) -> None:
    old = select(Event.id).where(
        Event.received_at < report.cutoff, Event.dispatched_at.is_not(None), ~exists().where(Run.event_id == Event.id)
    )
    while ids := list(session.scalars(old.order_by(Event.id).limit(batch_size))):
        report.events += _count(session.execute(delete(Event).where(Event.id.in_(ids)).execution_options(**_QUIET)))
        session.commit()


def _prune_deliveries(session: Session, report: PruneReport, batch_size: int) -> None:
    old = select(WebhookDelivery.id).where(WebhookDelivery.received_at < report.cutoff)
    while ids := list(session.scalars(old.order_by(WebhookDelivery.id).limit(batch_size))):
        statement = delete(WebhookDelivery).where(WebhookDelivery.id.in_(ids)).execution_options(**_QUIET)
        report.deliveries += _count(session.execute(statement))
        session.commit()


def compact_sqlite(session: Session) -> None:
    """VACUUM (outside any transaction), then move the WAL into the file and truncate it."""
    engine = session.get_bind()
    session.close()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:  # type: ignore[union-attr]
        connection.exec_driver_sql("VACUUM")
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def _count(result: Any) -> int:
    return max(int(result.rowcount or 0), 0)
