"""Who executes runs. The engine talks to an :class:`Executor`; backends plug in behind it.

The embedded backend (this module) runs inside the server process: one loop thread dispatches
stored events and claims due runs with a lease; a thread pool executes them. A run is claimed by a
conditional UPDATE (status and lease checked in the WHERE clause), so two loops, threads or
processes never execute the same run at once, on SQLite or PostgreSQL. A worker that dies leaves
its lease to expire; the next loop reclaims the run, and the runner resumes it from its last
succeeded step. A distributed backend (Celery on PostgreSQL + Redis) can implement the same
interface without the engine changing.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Protocol

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app.engine.dispatch import dispatch_pending
from app.engine.runner import LeaseLost, RunSettings, execute_run, fail_run
from app.models import Run, utcnow

log = logging.getLogger("ponte.engine.executor")

DUE = ("queued", "retrying")


class Executor(Protocol):
    def start(self) -> None: ...
    def stop(self) -> None: ...
    def notify(self) -> None:
        """New work was stored: look now instead of at the next poll."""


def claimable(now):  # noqa: ANN001, ANN201 - SQL expression
    """Due runs, and runs whose worker's lease has expired (the worker died)."""
    return or_(
        and_(Run.status.in_(DUE), or_(Run.next_attempt_at.is_(None), Run.next_attempt_at <= now)),
        and_(Run.status == "running", Run.lease_expires_at < now),
    )


def claim_runs(session: Session, owner: str, limit: int, lease_seconds: float) -> list[int]:
    """Claim up to ``limit`` due runs for ``owner``; each claim is one conditional UPDATE."""
    now = utcnow()
    candidates = session.scalars(
        select(Run.id).where(claimable(now)).order_by(Run.next_attempt_at, Run.id).limit(limit)
    ).all()
    claimed = []
    for run_id in candidates:
        result = session.execute(
            update(Run)
            .where(Run.id == run_id, claimable(now))
            .values(
                status="running", lease_owner=owner,
                lease_expires_at=now + timedelta(seconds=lease_seconds), attempt=Run.attempt + 1,
            )
        )
        session.commit()
        if result.rowcount == 1:
            claimed.append(run_id)
    return claimed


def release_dead_leases(session: Session) -> int:
    """At startup: runs leased by processes of this host that no longer exist become claimable now."""
    host = socket.gethostname()
    rows = session.execute(
        select(Run.id, Run.lease_owner).where(
            Run.status == "running", Run.lease_owner.startswith(f"{host}:", autoescape=True))
    ).all()
    dead = [run_id for run_id, owner in rows if not _owner_alive(owner)]
    if dead:
        session.execute(update(Run).where(Run.id.in_(dead)).values(lease_expires_at=utcnow()))
        session.commit()
        log.info("recovered %d run(s) left running by a dead process", len(dead))
    return len(dead)


def _owner_alive(owner: str) -> bool:
    """``owner`` is ``host:pid:nonce``; anything unreadable counts as alive (its lease will expire)."""
    pid = owner.split(":")[1] if owner.count(":") >= 2 else ""
    return not pid.isdigit() or process_alive(int(pid))


def process_alive(pid: int) -> bool:
    """Whether a process of this host with ``pid`` still exists (lease recovery)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class EmbeddedExecutor:
    """Thread-pool backend inside the web process (``make run``); also usable inline in tests."""

    def __init__(self, app, *, workers: int = 4, poll_interval: float = 1.0, lease_seconds: float = 300) -> None:  # noqa: ANN001
        self.app = app
        self.workers = workers
        self.poll_interval = poll_interval
        self.lease_seconds = lease_seconds
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.settings = RunSettings(retry_scale=float(app.config.get("RETRY_DELAY_SCALE", 1.0)),
                                    owner=self.owner, lease_seconds=lease_seconds)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._inflight = threading.Semaphore(workers)
        self._pool: ThreadPoolExecutor | None = None
        self._loop: threading.Thread | None = None

    def start(self) -> None:
        with self.app.app_context():
            from app.db import get_session

            release_dead_leases(get_session())
        self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="ponte-run")
        self._loop = threading.Thread(target=self._run_loop, name="ponte-executor", daemon=True)
        self._loop.start()
        log.info("embedded executor started with %d workers (%s)", self.workers, self.owner)

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._loop is not None:
            self._loop.join(timeout=10)
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def notify(self) -> None:
        self._wake.set()

    def _run_loop(self) -> None:
        while not self._stop.is_set():
            try:
                busy = self.tick()
            except Exception:  # noqa: BLE001 - the loop must survive a database hiccup
                log.exception("executor tick failed; retrying in %.1f s", self.poll_interval)
                busy = False
            if not busy:
                self._wake.wait(self.poll_interval)
                self._wake.clear()

    def tick(self) -> bool:
        """Dispatch new events and hand due runs to the pool; True when there was work."""
        with self.app.app_context():
            from app.db import get_session

            session = get_session()
            dispatched = dispatch_pending(session)
            free = self._free_slots()
            claimed = claim_runs(session, self.owner, free, self.lease_seconds) if free else []
        for run_id in claimed:
            self._inflight.acquire()
            assert self._pool is not None
            self._pool.submit(self._execute, run_id)
        return bool(dispatched or claimed)

    def _free_slots(self) -> int:
        free = 0
        while self._inflight.acquire(blocking=False):
            free += 1
        for _ in range(free):
            self._inflight.release()
        return free

    def _execute(self, run_id: int) -> None:
        try:
            execute_one(self.app, run_id, self.settings)
        finally:
            self._inflight.release()
            self._wake.set()

    def run_until_idle(self, max_rounds: int = 100) -> int:
        """Inline, no threads: dispatch and execute everything due now. For tests and the CLI."""
        executed = 0
        for _ in range(max_rounds):
            with self.app.app_context():
                from app.db import get_session

                session = get_session()
                dispatch_pending(session)
                claimed = claim_runs(session, self.owner, self.workers, self.lease_seconds)
            if not claimed:
                return executed
            for run_id in claimed:
                execute_one(self.app, run_id, self.settings)
                executed += 1
        return executed


def execute_one(app, run_id: int, settings: RunSettings) -> str:  # noqa: ANN001
    with app.app_context():
        from app.db import get_session

        session = get_session()
        attempt = session.scalar(select(Run.attempt).where(Run.id == run_id))  # this claim's number
        session.commit()
        try:
            return execute_run(session, run_id, settings, attempt)
        except LeaseLost as lost:
            # This worker stalled past its lease and another one owns the run now: stand aside.
            log.warning("%s", lost)
            session.rollback()
            return "lease lost"
        except OperationalError:
            # The database went away mid-run: the lease expires and the run resumes later.
            log.exception("run %s interrupted by a database error; it will be resumed", run_id)
            session.rollback()
            return "interrupted"
        except Exception as exc:  # noqa: BLE001 - a bug must fail the run visibly, not loop forever
            log.exception("run %s crashed the runner", run_id)
            session.rollback()
            return fail_run(session, run_id, f"internal error: {exc.__class__.__name__}: {exc}", settings, attempt)
