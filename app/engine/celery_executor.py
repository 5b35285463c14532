"""The Celery backend (``EXECUTOR=celery``): Celery workers on a broker (Redis) execute the runs.

The database stays the source of truth; the broker only carries "look now" messages:

- ``ponte.dispatch``: sent by a web process after it stored events (``notify``). A worker turns the
  stored events into queued runs (:mod:`app.engine.dispatch`, unique per recipe and event) and sends
  one ``ponte.run`` per new run.
- ``ponte.run(run_id)``: the worker claims that one run with the same fenced lease as every other
  executor (:func:`app.engine.claims.claim_run`) and executes it. A message delivered twice, or one
  for a run another worker holds or whose retry is not due yet, claims nothing and is dropped.

Messages are acknowledged only after the task ends (``acks_late``); a worker killed mid-run leaves
its message unacknowledged (the broker hands it out again after the visibility timeout) and its
run's lease to expire. Neither is needed for correctness: a **sweep** (one leader across all workers,
by a database lease) re-enqueues every run that is ready and nobody holds: retries that came due
(they wait in ``runs.next_attempt_at``, never in broker countdowns that vanish with Redis), runs of
dead workers, runs whose message was lost with the broker. The idempotency keys of the steps make a
second execution of an interrupted step find its first effect instead of doubling it.

Workers run the engine without Flask: a :class:`~app.database.Database`, the vault installed from
``PONTE_VAULT_KEYS``, :class:`~app.engine.settings.EngineSettings` from the environment.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Mapping
from typing import Any

from celery import Celery

log = logging.getLogger("ponte.engine.celery")

QUEUE = "ponte"
TASK_RUN = "ponte.run"
TASK_DISPATCH = "ponte.dispatch"
SWEEP_LOCK = "celery-sweep"
SWEEP_BATCH = 500


def make_celery(config: Mapping[str, Any]) -> Celery:
    """A Celery app for Ponte's tasks on ``CELERY_BROKER_URL`` (used by web processes and workers)."""
    celery = Celery("ponte", broker=str(config.get("CELERY_BROKER_URL") or "redis://127.0.0.1:6379/0"))
    celery.conf.update(
        task_default_queue=QUEUE,
        task_acks_late=True,  # a message is done when its run is, not when a worker took it
        task_reject_on_worker_lost=True,  # a pool child killed mid-task: the message goes back at once
        worker_prefetch_multiplier=1,  # a busy worker does not sit on messages another could run
        task_ignore_result=True,  # outcomes are rows in the database, not broker results
        task_serializer="json", accept_content=["json"],
        broker_transport_options={"visibility_timeout": int(config.get("CELERY_VISIBILITY_TIMEOUT") or 600)},
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
    )
    return celery


class CeleryExecutor:
    """The executor of a web process under ``EXECUTOR=celery``: it runs nothing, it announces work.

    ``notify`` must never fail or hold a request for long: the events are already stored, so a
    broker that is down only delays them until the sweep (or the next notify) sends the message.
    """

    def __init__(self, celery: Celery) -> None:
        self.celery = celery

    def start(self) -> None:
        """The workers are Celery processes; nothing starts here."""

    def stop(self) -> None:
        """Nothing to stop."""

    def notify(self) -> None:
        try:
            self.celery.send_task(TASK_DISPATCH, queue=QUEUE, retry=True, retry_policy={
                "max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2})
        except Exception:  # noqa: BLE001 - the broker being away must not fail a stored delivery
            log.warning("could not announce stored work to the broker; the sweep will pick it up")


class WorkerRuntime:
    """What a worker process needs to execute runs, made once per process (after a fork, anew)."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        from app import vault
        from app.database import Database
        from app.engine import settings
        from app.engine.host import DatabaseHost
        from app.engine.runner import RunSettings

        if not config.get("DATABASE_URL"):
            raise RuntimeError("a Celery worker needs DATABASE_URL (the database the web processes use)")
        if not config.get("PONTE_VAULT_KEYS"):
            raise RuntimeError("a Celery worker needs PONTE_VAULT_KEYS (the web processes' keys)")
        keys = vault.parse_keys(str(config["PONTE_VAULT_KEYS"]))
        vault.install(vault.Vault(keys))
        vault.REDACTOR.add(*keys)
        engine_settings = settings.EngineSettings.from_mapping(config)
        settings.install(engine_settings)
        self.pid = os.getpid()
        self.database = Database(str(config["DATABASE_URL"]), pool_size=config.get("DATABASE_POOL_SIZE"),
                                 max_overflow=config.get("DATABASE_MAX_OVERFLOW"))
        self.host = DatabaseHost(self.database, engine_settings)
        self.owner = f"{socket.gethostname()}:{self.pid}:{uuid.uuid4().hex[:8]}"
        self.lease_seconds = float(engine_settings.lease_seconds)
        limit = engine_settings.destination_limit or max(1, int(config.get("CELERY_CONCURRENCY") or 4) - 1)
        self.run_settings = RunSettings(retry_scale=engine_settings.retry_scale, owner=self.owner,
                                        lease_seconds=self.lease_seconds, destination_limit=int(limit))


class Worker:
    """Ponte's tasks on one Celery app, and the sweep its worker processes share by lease."""

    def __init__(self, celery: Celery, config: Mapping[str, Any]) -> None:
        self.celery = celery
        self.config = dict(config)
        self._runtime: WorkerRuntime | None = None
        self._runtime_lock = threading.Lock()
        self._sweep_stop = threading.Event()
        self._sweep_thread: threading.Thread | None = None
        self._sent: dict[int, tuple[int, float]] = {}  # run id -> (attempt, when the sweep sent it)
        celery.task(name=TASK_RUN, bind=False, acks_late=True)(self.run)
        celery.task(name=TASK_DISPATCH, bind=False, acks_late=True)(self.dispatch)

    def runtime(self) -> WorkerRuntime:
        with self._runtime_lock:
            if self._runtime is None or self._runtime.pid != os.getpid():  # a forked pool child: its own
                self._runtime = WorkerRuntime(self.config)
            return self._runtime

    # --- tasks -------------------------------------------------------------------------------
    def run(self, run_id: int) -> str:
        """``ponte.run``: claim run ``run_id`` if it is ready and execute it."""
        from app.engine.claims import claim_run
        from app.engine.executor import execute_one
        from app.engine.fence import release_claim

        rt = self.runtime()
        with rt.host.session() as session:
            attempt = claim_run(session, int(run_id), rt.owner, rt.lease_seconds)
        if attempt is None:
            return "not claimable"  # done by another worker, held, or not due: the sweep knows when
        status = execute_one(rt.host, int(run_id), rt.run_settings, attempt)
        if status == "interrupted":
            try:
                with rt.host.session() as session:
                    release_claim(session, int(run_id), attempt, rt.owner)
            except Exception:  # noqa: BLE001 - still unreachable: the lease expires and the sweep resends
                log.warning("run %s stays claimed until its lease expires", run_id)
        return status

    def dispatch(self) -> int:
        """``ponte.dispatch``: queue runs for stored events and send a ``ponte.run`` for each."""
        from app.engine.dispatch import dispatch_ready

        rt = self.runtime()
        with rt.host.session() as session:
            created = dispatch_ready(session)
        self.send_runs(created)
        return len(created)

    def send_runs(self, run_ids: list[int]) -> None:
        for run_id in run_ids:
            self.celery.send_task(TASK_RUN, args=[run_id], queue=QUEUE)

    # --- the sweep -----------------------------------------------------------------------------
    def start_sweep(self) -> None:
        """In the worker's main process: recover this host's dead claims, then sweep until stopped."""
        from app.engine.executor import release_dead_leases

        rt = self.runtime()
        with rt.host.session() as session:
            release_dead_leases(session)
        self._sweep_thread = threading.Thread(target=self._sweep_loop, name="ponte-sweep", daemon=True)
        self._sweep_thread.start()
        port = int(self.config.get("CELERY_METRICS_PORT") or 0)
        if port:
            from app.metrics import serve_process_metrics

            serve_process_metrics(port, str(self.config.get("CELERY_METRICS_ADDRESS") or "127.0.0.1"))

    def stop_sweep(self) -> None:
        self._sweep_stop.set()
        if self._sweep_thread is not None:
            self._sweep_thread.join(timeout=5)

    def _sweep_loop(self) -> None:
        interval = float(self.config.get("CELERY_SWEEP_SECONDS") or 1.0)
        while not self._sweep_stop.wait(interval):
            try:
                self.sweep()
            except Exception:  # noqa: BLE001 - the database or broker hiccupped: next round
                log.warning("sweep failed; trying again in %.1f s", interval, exc_info=True)

    def sweep(self) -> int:
        """One round, on the leader only: dispatch leftovers, re-send ready runs nobody holds."""
        from app.engine import locks
        from app.engine.claims import ready_runs
        from app.engine.dispatch import dispatch_ready

        rt = self.runtime()
        interval = float(self.config.get("CELERY_SWEEP_SECONDS") or 1.0)
        grace = max(5.0, 10 * interval)
        with rt.host.session() as session:
            if not locks.try_acquire(session, rt.owner, max(10.0, 5 * interval), SWEEP_LOCK):
                return 0
            created = dispatch_ready(session)
            ready = ready_runs(session, SWEEP_BATCH)
        self.send_runs(created)
        backlog = self.queue_length()
        now = time.monotonic()
        ready_ids = {run_id for run_id, _, _ in ready}
        self._sent = {k: v for k, v in self._sent.items() if k in ready_ids and now - v[1] < grace}
        self._sent.update({run_id: (0, now) for run_id in created})  # sent just now, as new runs
        sent = 0
        for run_id, status, attempt in ready:
            if self._sent.get(run_id, (None, 0.0))[0] == attempt:
                continue  # sent already for this claim number, and not long ago
            if status == "queued" and backlog:
                continue  # its dispatch message is most likely still in the queue
            self.send_runs([run_id])
            self._sent[run_id] = (attempt, now)
            sent += 1
        if sent:
            log.info("sweep re-enqueued %d ready run(s)", sent)
        return sent

    def queue_length(self) -> int:
        """Messages waiting in Ponte's queue (0 when it does not exist yet)."""
        try:
            with self.celery.connection_for_read() as connection:
                return int(connection.default_channel.queue_declare(queue=QUEUE, passive=True).message_count)
        except Exception:  # noqa: BLE001 - unknown: behave as if empty (a duplicate message is harmless)
            return 0


def worker_from_environment(environ: Mapping[str, str] | None = None) -> tuple[Celery, Worker]:
    """The worker's Celery app from the environment, with the sweep wired to the worker's life."""
    from celery import signals

    from app.config import load_config, mode_from_env

    environ = os.environ if environ is None else environ
    config = load_config(environ, mode_from_env(environ))
    config["CELERY_CONCURRENCY"] = environ.get("CELERY_CONCURRENCY") or 4
    celery = make_celery(config)
    worker = Worker(celery, config)
    signals.worker_ready.connect(lambda **_: worker.start_sweep(), weak=False)
    signals.worker_shutdown.connect(lambda **_: worker.stop_sweep(), weak=False)
    return celery, worker
