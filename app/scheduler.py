"""The scheduler: fires polling triggers and housekeeping jobs in exactly one process at a time.

Every web worker (embedded, started by ``start_background_services``) and every
``flask --app wsgi scheduler run`` process runs an APScheduler ``BackgroundScheduler``, but a job
does its work only in the process that holds the lease in ``scheduler_locks``. The lease is taken
or renewed with one conditional UPDATE (``WHERE owner = me OR expires_at < now``) or, the first
time, an INSERT ... ON CONFLICT DO NOTHING, so two processes can never both think they hold it; a
process that is not the leader keeps trying and takes over once the leader's lease expires.

Jobs only store rows for the engine (events, alert counts) or prune old ones; the executor does the
work. Even if a leader stalls past its lease while another takes over, a polled item is stored once
(events are unique per recipe and dedupe key), so nothing is sent twice.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import get_db
from app.engine import locks
from app.engine.executor import process_alive as _alive
from app.models import SchedulerLock, utcnow

log = logging.getLogger("ponte.scheduler")

LOCK_NAME = "scheduler"


def try_acquire(session: Session, owner: str, lease_seconds: float, name: str = LOCK_NAME) -> bool:
    """Take or renew the scheduler's lease for ``owner``; True when ``owner`` holds it afterwards. Commits."""
    return locks.try_acquire(session, owner, lease_seconds, name)


def release(session: Session, owner: str, name: str = LOCK_NAME) -> None:
    """Give the lease up at shutdown so another process takes over at once."""
    locks.release(session, owner, name)


def release_dead_holder(session: Session, name: str = LOCK_NAME) -> bool:
    """At start: a lease held by a process of this host that no longer exists is freed at once."""
    lock = holder(session, name)
    host, _, rest = (lock.owner if lock is not None else "").partition(":")
    pid = rest.partition(":")[0]
    if lock is None or host != socket.gethostname() or not pid.isdigit() or _alive(int(pid)):
        return False
    release(session, lock.owner, name)
    log.info("scheduler lease of dead process %s released", lock.owner)
    return True


def holder(session: Session, name: str = LOCK_NAME) -> SchedulerLock | None:
    return session.scalar(select(SchedulerLock).where(SchedulerLock.name == name))


def poll_triggers(app: Flask, session: Session, *, clock: bool = False) -> None:
    """Store what every enabled polling recipe's trigger has new (``clock``: the clock triggers instead of
    the others), then wake the in-process executor."""
    from app.engine.polling import poll_all

    results = poll_all(session, clock=clock)
    executor = app.extensions.get("ponte_executor")
    if executor is not None and any(r.stored for r in results):
        executor.notify()


def fire_schedules(app: Flask, session: Session) -> None:
    """Poll the clock triggers (``schedule.cron``): they call nothing out, so every few seconds is cheap
    and a minute-level schedule fires within ``SCHEDULER_CLOCK_SECONDS`` of its time."""
    poll_triggers(app, session, clock=True)


def flush_alerts(app: Flask, session: Session) -> None:
    """Send alert emails still owed: a first message that could not go out, and closed windows' counts."""
    from app.notifications import flush

    flush(app, session)


def prune_history(app: Flask, session: Session) -> None:
    """Retention (app/retention.py): delete run history older than RETENTION_DAYS."""
    from app.retention import prune

    report = prune(session, days=int(app.config["RETENTION_DAYS"]))
    log.info("retention: deleted %d row(s) older than %s", report.deleted, report.cutoff.date())


Job = Callable[[Flask, Session], None]


def default_jobs(app: Flask) -> dict[str, tuple[Job, float]]:
    """Job name → (function, interval in seconds)."""
    jobs: dict[str, tuple[Job, float]] = {
        "poll_triggers": (poll_triggers, float(app.config.get("SCHEDULER_POLL_SECONDS", 300))),
        "fire_schedules": (fire_schedules, float(app.config.get("SCHEDULER_CLOCK_SECONDS", 15))),
        "flush_alerts": (flush_alerts, 60.0),
    }
    if int(app.config.get("RETENTION_DAYS") or 0) > 0:
        jobs["prune_history"] = (prune_history, 24 * 3600.0)
    return jobs


class Scheduler:
    """APScheduler jobs guarded by the database lease; ``run_job`` is also callable inline (tests)."""

    def __init__(self, app: Flask, *, owner: str | None = None, lease_seconds: float | None = None,
                 jobs: dict[str, tuple[Job, float]] | None = None) -> None:
        self.app = app
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.lease_seconds = float(lease_seconds or app.config.get("SCHEDULER_LEASE_SECONDS", 60))
        self.jobs = jobs if jobs is not None else default_jobs(app)
        self._lock = threading.Lock()
        self._scheduler: Any = None

    def is_leader(self) -> bool:
        """Take or renew the lease now; True when this process may fire jobs."""
        session = get_db(self.app).session_factory()
        try:
            return try_acquire(session, self.owner, self.lease_seconds)
        finally:
            session.close()

    def run_job(self, name: str) -> bool:
        """Run job ``name`` if this process holds the lease; True when it ran. Never raises."""
        function, _ = self.jobs[name]
        with self._lock:  # one job at a time per process: jobs share nothing but keep it simple
            try:
                if not self.is_leader():
                    return False
                with self.app.app_context():
                    session = get_db(self.app).session_factory()
                    try:
                        function(self.app, session)
                    finally:
                        session.close()
                return True
            except Exception:  # noqa: BLE001 - the scheduler thread must survive a failed job
                log.exception("scheduler job %s failed", name)
                return False

    def start(self) -> None:
        """Start the background scheduler: a heartbeat that keeps the lease, and every job."""
        from apscheduler.schedulers.background import BackgroundScheduler

        session = get_db(self.app).session_factory()
        try:
            release_dead_holder(session)
        finally:
            session.close()
        scheduler = BackgroundScheduler(timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1})
        heartbeat = max(1.0, self.lease_seconds / 3)
        scheduler.add_job(self.is_leader, "interval", seconds=heartbeat, id="lease", next_run_time=utcnow())
        for name, (_, seconds) in self.jobs.items():
            first = utcnow() + timedelta(seconds=min(seconds, 5.0))
            scheduler.add_job(self.run_job, "interval", args=[name], seconds=seconds, id=name,
                              next_run_time=first, misfire_grace_time=max(1, int(seconds)))
        scheduler.start()
        self._scheduler = scheduler
        log.info("scheduler started (%s): %s", self.owner, ", ".join(self.jobs))

    def stop(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=True)
            self._scheduler = None
        session = get_db(self.app).session_factory()
        try:
            release(session, self.owner)
        except Exception:  # noqa: BLE001 - at exit, the lease simply expires
            log.warning("could not release the scheduler lease; it will expire")
        finally:
            session.close()
