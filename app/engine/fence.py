"""The runner's writes, fenced by the run's lease: a worker that lost its claim changes nothing.

A run is executed by the worker that claimed it (``runs.lease_owner``, claim number
``runs.attempt``). Every write the runner makes goes in one transaction with a conditional UPDATE
that renews the lease only while this claim still holds the run, and a heartbeat renews it during
a long connector call. A worker whose lease expired (it stalled, the run was reclaimed) stops at its
next write with :class:`LeaseLost`; the worker that owns the run now carries on.

The outcome of a connector call is the one write that must not be lost to a database hiccup (the
call may have created a contract): :func:`commit_outcome` re-applies and retries it while the
database is unreachable, for as long as the lease could still be ours.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app.engine import locks
from app.engine.store import affected
from app.models import Run, utcnow

log = logging.getLogger("ponte.engine.fence")

DEFAULT_LEASE_SECONDS = 300.0


@dataclass
class RunSettings:
    """Knobs the executor passes in.

    ``owner`` is the lease holder's name (None: no lease, e.g. a direct call in a test);
    ``lease_seconds`` how long each renewal lasts (``RUN_LEASE_SECONDS``). ``retry_scale`` shrinks
    every wait (``RETRY_DELAY_SCALE``: the demo and tests against local doubles, never the real
    services). ``defer_limit_seconds`` is how long a run may keep being deferred (rate limited, an
    inconclusive search) before it fails for a person. ``destination_limit`` is how many calls to
    one connection this process makes at once (None: no limit).
    """

    retry_scale: float = 1.0
    sleep: Callable[[float], None] | None = None
    owner: str | None = None
    lease_seconds: float = DEFAULT_LEASE_SECONDS
    defer_limit_seconds: float = 24 * 3600.0
    destination_limit: int | None = None


class LeaseLost(Exception):
    """This worker no longer owns the run (its lease expired and another worker took it)."""


def renew(session: Session, run_id: int, attempt: int, settings: RunSettings) -> bool:
    """Extend the lease while this claim (owner and attempt) still holds it; False once it does not."""
    with session.no_autoflush:  # the check must see the stored row, before this write's changes
        result = session.execute(
            update(Run)
            .where(Run.id == run_id, Run.lease_owner == settings.owner, Run.attempt == attempt,
                   Run.status == "running")
            .values(lease_expires_at=utcnow() + timedelta(seconds=settings.lease_seconds))
            .execution_options(synchronize_session=False)
        )
    return affected(result) == 1


def commit(session: Session, run: Run, settings: RunSettings) -> None:
    """Commit the runner's pending writes, fenced by the lease (see the module docstring)."""
    if settings.owner is not None and not renew(session, run.id, run.attempt, settings):
        session.rollback()
        raise LeaseLost(f"run {run.id}: lease of {settings.owner} lost; another worker owns the run")
    session.commit()


def commit_outcome(session: Session, run: Run, settings: RunSettings, apply: Callable[[], None],
                   *, pause: Callable[[float], None] = time.sleep) -> None:
    """``apply()`` the outcome of a call and commit it, fenced; retried while the database is away.

    After a failed commit the session is rolled back (its objects expire), so ``apply`` sets the
    values again before each try. The retries stop once the lease would have expired: by then another
    worker may own the run, and the fence would refuse the write anyway; that worker's attempt looks
    for the earlier result by idempotency key.
    """
    deadline = time.monotonic() + (settings.lease_seconds if settings.owner is not None else 30.0)
    wait = 0.25
    while True:
        try:
            apply()
            commit(session, run, settings)
            return
        except OperationalError:
            session.rollback()
            if time.monotonic() + wait > deadline:
                raise
            log.warning("run %s: the database is unreachable; keeping this step's outcome and retrying "
                        "in %.1f s", run.id, wait)
            pause(wait)
            wait = min(wait * 2, 5.0)


@contextmanager
def heartbeat(session: Session, run_id: int, attempt: int, settings: RunSettings) -> Iterator[None]:
    """Renew the lease every third of its length while a connector call is in flight."""
    if settings.owner is None:
        yield
        return
    bind = session.get_bind()
    assert isinstance(bind, Engine), "the runner's session is bound to an engine"
    with locks.renewing(bind, lambda own: renew(own, run_id, attempt, settings),
                        settings.lease_seconds / 3, f"run {run_id}'s lease"):
        yield


def release_claim(session: Session, run_id: int, attempt: int, owner: str, *, delay_seconds: float = 0.0) -> bool:
    """Hand a run this claim holds back to the queue (a clean stop, an interrupted run): True if it did.

    The run goes back to ``retrying``, due after ``delay_seconds``, its lease cleared, so any worker
    can take it at once instead of waiting for the lease to expire. Fenced like every runner write:
    a claim that was lost meanwhile releases nothing. Commits.
    """
    result = session.execute(
        update(Run)
        .where(Run.id == run_id, Run.lease_owner == owner, Run.attempt == attempt, Run.status == "running")
        .values(status="retrying", lease_owner=None, lease_expires_at=None, deferrals=Run.deferrals + 1,
                next_attempt_at=utcnow() + timedelta(seconds=delay_seconds))
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return affected(result) == 1
