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
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app import metrics
from app.engine.claims import DUE, claim_run, claim_runs, claimable
from app.engine.dispatch import dispatch_pending
from app.engine.fence import release_claim
from app.engine.host import host_for
from app.engine.runner import LeaseLost, RunSettings, execute_run, fail_run
from app.engine.wakeup import Listener, announce
from app.models import Run, utcnow

log = logging.getLogger("ponte.engine.executor")

__all__ = ["DUE", "EmbeddedExecutor", "Executor", "claim_run", "claim_runs", "claimable", "execute_one",
           "release_dead_leases"]

class Executor(Protocol):
    def start(self) -> None: ...
    def stop(self) -> None: ...
    def notify(self) -> None:
        """New work was stored: look now instead of at the next poll."""


def release_dead_leases(session: Session) -> int:
    """At startup: runs leased by processes of this host that no longer exist become claimable now."""
    host = socket.gethostname()
    rows = session.execute(
        select(Run.id, Run.lease_owner).where(
            Run.status == "running", Run.lease_owner.startswith(f"{host}:", autoescape=True))
    ).all()
    dead = [run_id for run_id, owner in rows if not _owner_alive(owner or "")]
    if dead:
        session.execute(update(Run).where(Run.id.in_(dead)).values(lease_expires_at=utcnow()))
        session.commit()
        metrics.LEASE_RECOVERIES.inc(len(dead))
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
    """Thread-pool backend inside the web process (``make run``); also usable inline in tests.

    A clean :meth:`stop` executes nothing new: runs it claimed but had not started, and runs a
    database outage interrupted, are handed back to the queue (:func:`release_claim`) instead of
    waiting out their lease under an owner that is gone.
    """

    def __init__(self, host: Any, *, workers: int | None = None, poll_interval: float | None = None,
                 lease_seconds: float | None = None, destination_limit: int | None = None) -> None:
        self.host = host_for(host)
        config = self.host.settings  # read once: the executor's settings are made here
        self.workers = workers or config.workers
        self.poll_interval = poll_interval if poll_interval is not None else config.poll_interval
        self.lease_seconds = float(lease_seconds or config.lease_seconds)
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        limit = destination_limit or config.destination_limit or max(1, self.workers - 1)
        self.settings = RunSettings(retry_scale=config.retry_scale, owner=self.owner,
                                    lease_seconds=self.lease_seconds, destination_limit=int(limit))
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._inflight = threading.Semaphore(self.workers)
        self._pool: ThreadPoolExecutor | None = None
        self._loop: threading.Thread | None = None
        self._to_release: set[tuple[int, int]] = set()  # (run id, claim) to hand back to the queue
        self._release_lock = threading.Lock()
        self._listener: Listener | None = None
        self._engine = None  # set at start: where NOTIFY goes

    def start(self) -> None:
        with self.host.session() as session:
            release_dead_leases(session)
        self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="ponte-run")
        self._loop = threading.Thread(target=self._run_loop, name="ponte-executor", daemon=True)
        self._loop.start()
        self._engine = bind = self._bind()
        if bind is not None:  # PostgreSQL: other processes' NOTIFY wakes this loop (app/engine/wakeup.py)
            self._listener = Listener(bind, self._wake.set)
            if not self._listener.start():
                self._listener = None
        log.info("embedded executor started with %d workers (%s)", self.workers, self.owner)

    def stop(self, timeout: float = 30.0) -> None:
        """Stop claiming, let running runs finish (up to ``timeout``), hand back what was not started."""
        self._stop.set()
        self._wake.set()
        if self._listener is not None:
            self._listener.stop()
        if self._loop is not None:
            self._loop.join(timeout=timeout)
            if self._loop.is_alive():
                log.warning("executor loop still busy after %.0f s; it will claim nothing more", timeout)
        if self._pool is not None:
            self._pool.shutdown(wait=True)  # queued runs see the stop and hand their claim back
        self._release_pending()

    def notify(self) -> None:
        """Wake this loop now, and (PostgreSQL) the workers of other processes through NOTIFY."""
        self._wake.set()
        if self._engine is not None:
            announce(self._engine)

    def _bind(self) -> Any:  # the Engine, or None where no session can be had
        try:
            with self.host.session() as session:
                return session.get_bind()
        except Exception:  # noqa: BLE001 - waking is best effort
            return None

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
        self._release_pending()
        if self._stop.is_set() or self._pool is None:  # stopping, or never started: claim nothing
            return False
        with self.host.session() as session:
            dispatched = dispatch_pending(session)
            free = self._free_slots()
            claimed = claim_runs(session, self.owner, free, self.lease_seconds) if free else []
            attempts: dict[int, int] = {}
            if claimed:
                attempts = {rid: n for rid, n in session.execute(
                    select(Run.id, Run.attempt).where(Run.id.in_(claimed))).all()}
                session.commit()
        for run_id in claimed:
            self._inflight.acquire()
            try:
                if self._stop.is_set() or self._pool is None:
                    raise RuntimeError("executor stopping")
                self._pool.submit(self._execute, run_id, attempts.get(run_id))
            except RuntimeError:  # stopping, or the pool shut down: hand the claim back, never strand it
                self._inflight.release()
                self._remember_release(run_id, attempts.get(run_id))
        if self._stop.is_set():
            self._release_pending()
        return bool(dispatched or claimed)

    def _free_slots(self) -> int:
        free = 0
        while self._inflight.acquire(blocking=False):
            free += 1
        for _ in range(free):
            self._inflight.release()
        return free

    def _execute(self, run_id: int, attempt: int | None) -> None:
        try:
            if self._stop.is_set():
                self._remember_release(run_id, attempt)  # claimed, never started: back to the queue
                return
            if execute_one(self.host, run_id, self.settings, attempt) == "interrupted":
                self._remember_release(run_id, attempt)
        finally:
            self._inflight.release()
            self._wake.set()

    def _remember_release(self, run_id: int, attempt: int | None) -> None:
        if attempt is not None:
            with self._release_lock:
                self._to_release.add((run_id, attempt))

    def _release_pending(self) -> None:
        """Hand back every claim remembered for release; what the database refuses now waits a tick."""
        with self._release_lock:
            pending, self._to_release = self._to_release, set()
        if not pending:
            return
        left: set[tuple[int, int]] = set()
        try:
            with self.host.session() as session:
                for run_id, attempt in sorted(pending):
                    try:
                        release_claim(session, run_id, attempt, self.owner)
                    except OperationalError:
                        session.rollback()
                        left.add((run_id, attempt))
        except OperationalError:
            left = pending
        if left:
            with self._release_lock:
                self._to_release |= left

    def run_until_idle(self, max_rounds: int = 100) -> int:
        """Inline, no threads: dispatch and execute everything due now. For tests and the CLI."""
        executed = 0
        for _ in range(max_rounds):
            with self.host.session() as session:
                dispatch_pending(session)
                claimed = claim_runs(session, self.owner, self.workers, self.lease_seconds)
            if not claimed:
                return executed
            for run_id in claimed:
                execute_one(self.host, run_id, self.settings)
                executed += 1
        return executed


def execute_one(host: Any, run_id: int, settings: RunSettings, attempt: int | None = None) -> str:
    """Execute one claimed run; "interrupted" when the database went away (the caller may release it).

    ``host`` is a Flask app, a :class:`~app.database.Database` or a :class:`~app.engine.host.Host`.
    """
    with host_for(host).session() as session:
        if attempt is None:
            attempt = session.scalar(select(Run.attempt).where(Run.id == run_id))  # this claim's number
            session.commit()
        started = utcnow()
        try:
            status = execute_run(session, run_id, settings, attempt)
            _count(session, run_id, status, started)
            return status
        except LeaseLost as lost:
            # This worker stalled past its lease and another one owns the run now: stand aside.
            log.warning("%s", lost)
            session.rollback()
            return "lease lost"
        except OperationalError:
            # The database went away mid-run: the claim is handed back once it answers again (or,
            # if this process dies first, the lease expires) and the run resumes from its last step.
            log.exception("run %s interrupted by a database error; it will be resumed", run_id)
            session.rollback()
            return "interrupted"
        except Exception as exc:  # noqa: BLE001 - a bug must fail the run visibly, not loop forever
            log.exception("run %s crashed the runner", run_id)
            session.rollback()
            return fail_run(session, run_id, f"internal error: {exc.__class__.__name__}: {exc}", settings, attempt)


def _count(session: Session, run_id: int, status: str, started: Any) -> None:
    """Metrics of one claim: how it ended, and its step attempts (never fails the run)."""
    try:
        metrics.RUNS_FINISHED.labels(status).inc()
        metrics.observe_steps(session, run_id, started)
        session.commit()
    except Exception:  # noqa: BLE001 - metrics are best effort
        session.rollback()
        log.debug("metrics of run %s not recorded", run_id, exc_info=True)
