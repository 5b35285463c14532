"""Prometheus metrics: counters kept by each process, gauges read from the database at scrape time.

Counters and histograms (deliveries, events, step latency and attempts, lease recoveries, finished
runs) live in the process that counts them. Under gunicorn or Celery, set ``PROMETHEUS_MULTIPROC_DIR``
to an empty folder shared by the processes of one host, *before* they start: prometheus-client then
writes each process's values there and ``/metrics`` adds them up (deploy/gunicorn.conf.py marks dead
workers). Without it, a single process reports its own values.

What describes the whole installation (runs by status, queue depth, the age of the oldest ready run,
who leads the scheduler) is read from the database when scraped, so any web process on any host
answers the same, and no process has to stay alive to keep a gauge right. No Flask here: workers
import this module.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

DELIVERIES = Counter("ponte_webhook_deliveries", "Webhook deliveries answered, by connection and HTTP status.",
                     ["connection", "status"])
EVENTS = Counter("ponte_events", "Events in accepted deliveries: stored (new) or duplicate (absorbed).",
                 ["connection", "outcome"])
RUNS_FINISHED = Counter("ponte_run_claims_finished", "Claims of runs that ended, by the status they left.",
                        ["status"])
STEP_SECONDS = Histogram("ponte_step_duration_seconds", "Duration of one step attempt (the connector call).",
                         ["action"], buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120))
STEP_ATTEMPTS = Counter("ponte_step_attempts", "Step attempts by action and outcome.", ["action", "status"])
LEASE_RECOVERIES = Counter("ponte_lease_recoveries", "Runs taken over from a worker whose lease expired or "
                           "whose process died.")


def observe_steps(session: Any, run_id: int, since: datetime) -> None:
    """Count the step attempts of ``run_id`` that ended since ``since`` (this claim's work)."""
    from sqlalchemy import select

    from app.models import Step

    rows = session.execute(
        select(Step.action_key, Step.status, Step.duration_ms)
        .where(Step.run_id == run_id, Step.finished_at >= _naive_if_sqlite(session, since))
    ).all()
    for action, status, duration_ms in rows:
        STEP_ATTEMPTS.labels(action or "", status).inc()
        if duration_ms is not None:
            STEP_SECONDS.labels(action or "").observe(duration_ms / 1000)


def _naive_if_sqlite(session: Any, moment: datetime) -> datetime:
    return moment.replace(tzinfo=None) if session.get_bind().dialect.name == "sqlite" else moment


class DatabaseCollector:
    """Gauges from the database, computed at each scrape (``session_factory`` makes a short session)."""

    def __init__(self, session_factory: Any) -> None:
        self.session_factory = session_factory

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from sqlalchemy import func, select

        from app.engine.claims import claimable
        from app.models import Run, SchedulerLock, utcnow

        session = self.session_factory()
        try:
            now = utcnow()
            by_status = GaugeMetricFamily("ponte_runs", "Runs stored, by status.", labels=["status"])
            for status, count in session.execute(select(Run.status, func.count()).group_by(Run.status)):
                by_status.add_metric([status], count)
            yield by_status
            depth, oldest = session.execute(
                select(func.count(), func.min(func.coalesce(Run.next_attempt_at, Run.created_at)))
                .where(claimable(now))
            ).one()
            yield GaugeMetricFamily("ponte_queue_depth", "Runs ready to be claimed now.", value=depth)
            age = (now - _aware(oldest)).total_seconds() if oldest is not None else 0.0
            yield GaugeMetricFamily("ponte_oldest_ready_run_age_seconds",
                                    "How long the oldest ready run has been waiting for a worker.", value=max(age, 0.0))
            leader = GaugeMetricFamily("ponte_scheduler_leader", "1 for the process holding the scheduler lease.",
                                       labels=["owner"])
            lock = session.scalar(select(SchedulerLock).where(SchedulerLock.name == "scheduler"))
            if lock is not None and _aware(lock.expires_at) > now:
                leader.add_metric([lock.owner], 1)
            yield leader
            yield GaugeMetricFamily("ponte_scheduler_has_leader", "1 while some process holds the scheduler lease.",
                                    value=1 if lock is not None and _aware(lock.expires_at) > now else 0)
        finally:
            session.close()


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def process_registry() -> CollectorRegistry:
    """This host's process metrics: every process's in multiprocess mode, else this process's own."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        for metric in (DELIVERIES, EVENTS, RUNS_FINISHED, STEP_SECONDS, STEP_ATTEMPTS, LEASE_RECOVERIES):
            registry.register(metric)
    return registry


def serve_process_metrics(port: int, address: str = "127.0.0.1") -> None:
    """A Celery worker's own ``/metrics`` (CELERY_METRICS_PORT): its host's process counters only;
    the database gauges are the web's ``/metrics`` (one scrape target for them is enough)."""
    from prometheus_client import start_http_server

    start_http_server(port, addr=address, registry=process_registry())


def render(session_factory: Any) -> tuple[bytes, str]:
    """The exposition text: this host's process metrics (all processes in multiprocess mode) + the database's."""
    registry = process_registry()
    registry.register(DatabaseCollector(session_factory))
    return generate_latest(registry), CONTENT_TYPE_LATEST
