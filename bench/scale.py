"""End-to-end throughput and wake-up latency of each executor topology, on PostgreSQL and Redis.

    .venv/bin/python -m bench.scale --events 600
    .venv/bin/python -m bench.scale --modes celery:2 --events 1500 --json

For each mode a fresh cluster (bench/cluster.py) is started: ``embedded`` is ``make run``'s shape
(one gunicorn, its embedded worker, 4 threads); ``worker:N`` is web processes plus N ``flask worker
run`` processes woken by LISTEN/NOTIFY; ``celery:N`` is two web processes plus N Celery workers
(4 threads each). Then:

- **throughput**: ``--events`` payments are created at the Asaas double (each a webhook to Ponte,
  each a run that reads the customer from Asaas and creates a ZapSign document); events/s is runs
  finished divided by the time from the first payment to the last run finished.
- **wake-up**: ``--probes`` single payments, one at a time on an idle cluster; the figure is how long
  after the event was stored its run started (``runs.started_at - events.received_at``), median and max.

The doubles run in this process and share the machine's cores with Ponte: the figures compare
topologies on one box, they are not a capacity plan (docs/scaling.md has that).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from typing import Any

from bench.cluster import Cluster, reachable

FINAL = {"succeeded", "failed", "filtered", "skipped"}


def settle(cluster: Cluster, expected: int, timeout: float) -> float:
    """Wait until ``expected`` runs are final; returns when that happened (monotonic)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        statuses = cluster.statuses()
        if sum(statuses.values()) >= expected and set(statuses) <= FINAL:
            return time.monotonic()
        time.sleep(0.05)
    raise SystemExit(f"runs did not settle within {timeout:.0f} s: {cluster.statuses()}")


def wake_latencies(cluster: Cluster, probes: int, offset: int) -> list[float]:
    """Seconds from an event stored to its run started, one probe at a time."""
    from sqlalchemy import create_engine, text

    engine = create_engine(cluster.db_url)
    found: list[float] = []
    for number in range(probes):
        cluster.create_payments(1, clients=1)
        settle(cluster, offset + number + 1, 30)
        with engine.connect() as connection:
            found.append(float(connection.execute(text(
                "SELECT EXTRACT(EPOCH FROM r.started_at - e.received_at) FROM runs r JOIN events e "
                "ON e.id = r.event_id ORDER BY r.id DESC LIMIT 1")).scalar()))
    engine.dispose()
    return found


def measure(mode: str, events: int, probes: int, db_url: str, broker: str) -> dict[str, Any]:
    executor, _, count = mode.partition(":")
    workers = int(count or 1)
    with Cluster(db_url, broker, executor=executor, web=1 if executor == "embedded" else 2, workers=workers) as cluster:
        cluster.start()
        latencies = wake_latencies(cluster, probes, 0)
        started = time.monotonic()
        cluster.create_payments(events)
        finished = settle(cluster, probes + events, max(120.0, events))
        statuses = cluster.statuses()
    seconds = finished - started
    return {"mode": mode, "events": events, "seconds": round(seconds, 1), "events_per_s": round(events / seconds, 1),
            "wake_ms_median": round(statistics.median(latencies) * 1000, 1),
            "wake_ms_max": round(max(latencies) * 1000, 1), "statuses": statuses}


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=600)
    parser.add_argument("--probes", type=int, default=10)
    parser.add_argument("--modes", default="embedded,worker:1,celery:1,celery:2")
    parser.add_argument("--database", default=os.environ.get("PONTE_TEST_DATABASE_URL")
                        or "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--broker", default=os.environ.get("PONTE_TEST_REDIS_URL") or "redis://127.0.0.1:6379/5")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    reason = reachable(args.database, args.broker)
    if reason:
        raise SystemExit(reason)
    results = []
    for mode in args.modes.split(","):
        result = measure(mode, args.events, args.probes, args.database, args.broker)
        results.append(result)
        if not args.json:
            print(f"{mode:10} {result['events']:5d} events in {result['seconds']:6.1f} s = "
                  f"{result['events_per_s']:6.1f} events/s; wake-up median {result['wake_ms_median']} ms, "
                  f"max {result['wake_ms_max']} ms; {result['statuses']}", flush=True)
    if args.json:
        print(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()
