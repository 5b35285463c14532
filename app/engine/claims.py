"""Claiming runs: the one way any executor (embedded thread, ``flask worker run``, Celery) takes a run.

A claim sets ``status=running``, the lease owner and expiry, and ``attempt + 1`` (the claim number
the fence checks, :mod:`app.engine.fence`). It is one conditional UPDATE whose WHERE clause says
"still claimable", so two claimers never both win, on SQLite or PostgreSQL. On PostgreSQL a batch
claim also locks its candidates with ``FOR UPDATE SKIP LOCKED``: many workers polling at once take
different rows instead of queueing behind each other's row locks and then losing the race.

Order: new runs (``queued``) before due retries, then by due time. A burst of failures that all
come due together does not make fresh events wait behind them; retries are never starved either,
because a retry is claimed as soon as no queued run is left, and queued runs drain at full speed.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, or_, select, update
from sqlalchemy.orm import Session

from app import metrics
from app.engine.store import affected
from app.models import Run, utcnow

log = logging.getLogger("ponte.engine.claims")

DUE = ("queued", "retrying")


def claimable(now: datetime) -> ColumnElement[bool]:
    """Due runs, and runs whose worker's lease has expired (the worker died)."""
    return or_(
        and_(Run.status.in_(DUE), or_(Run.next_attempt_at.is_(None), Run.next_attempt_at <= now)),
        and_(Run.status == "running", Run.lease_expires_at < now),
    )


def claim_order() -> tuple[Any, ...]:
    """Queued runs first, then by due time (a NULL due time, an old row, counts as due first), then id."""
    return (case((Run.status == "queued", 0), else_=1), Run.next_attempt_at.asc().nulls_first(), Run.id)


def _claim_values(owner: str, now: datetime, lease_seconds: float) -> dict[str, Any]:
    return {"status": "running", "lease_owner": owner,
            "lease_expires_at": now + timedelta(seconds=lease_seconds), "attempt": Run.attempt + 1}


def claim_runs(session: Session, owner: str, limit: int, lease_seconds: float) -> list[int]:
    """Claim up to ``limit`` due runs for ``owner``; returns their ids. Commits."""
    if limit <= 0:
        return []
    now = utcnow()
    if session.get_bind().dialect.name == "postgresql":
        return _claim_skip_locked(session, owner, limit, lease_seconds, now)
    candidates = session.execute(
        select(Run.id, Run.status).where(claimable(now)).order_by(*claim_order()).limit(limit)
    ).all()
    claimed = []
    for run_id, status in candidates:
        result = session.execute(
            update(Run).where(Run.id == run_id, claimable(now)).values(**_claim_values(owner, now, lease_seconds))
            .execution_options(synchronize_session=False)
        )
        session.commit()
        if affected(result) == 1:
            claimed.append(run_id)
            if status == "running":
                metrics.LEASE_RECOVERIES.inc()
    return claimed


def _claim_skip_locked(session: Session, owner: str, limit: int, lease_seconds: float,
                       now: datetime) -> list[int]:
    """PostgreSQL: one statement, ``UPDATE runs FROM (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING``."""
    locked = (
        select(Run.id.label("id"), Run.status.label("was"))
        .where(claimable(now)).order_by(*claim_order()).limit(limit)
        .with_for_update(skip_locked=True, of=Run)
        .cte("locked")
    )
    rows = session.execute(
        update(Run).where(Run.id == locked.c.id, claimable(now))
        .values(**_claim_values(owner, now, lease_seconds))
        .returning(Run.id, locked.c.was)
        .execution_options(synchronize_session=False)
    ).all()
    session.commit()
    recovered = sum(1 for _, was in rows if was == "running")
    if recovered:
        metrics.LEASE_RECOVERIES.inc(recovered)
    return sorted(run_id for run_id, _ in rows)


def claim_run(session: Session, run_id: int, owner: str, lease_seconds: float) -> int | None:
    """Claim the single run ``run_id`` if it is claimable now: its claim number, or None. Commits.

    What a queue worker does with a "run N is ready" message: a duplicate message, one for a run
    another worker holds, or one that arrived before the run's retry is due claims nothing.
    """
    now = utcnow()
    was = session.scalar(select(Run.status).where(Run.id == run_id))
    attempt = session.execute(
        update(Run).where(Run.id == run_id, claimable(now)).values(**_claim_values(owner, now, lease_seconds))
        .returning(Run.attempt)
        .execution_options(synchronize_session=False)
    ).scalar()
    session.commit()
    if attempt is not None and was == "running":
        metrics.LEASE_RECOVERIES.inc()
    return attempt


def ready_runs(session: Session, limit: int) -> list[tuple[int, str, int]]:
    """(id, status, attempt) of up to ``limit`` runs claimable now, in claim order (the sweep's view)."""
    now = utcnow()
    rows = session.execute(
        select(Run.id, Run.status, Run.attempt).where(claimable(now)).order_by(*claim_order()).limit(limit)
    ).all()
    session.commit()
    return [(run_id, status, attempt) for run_id, status, attempt in rows]
