"""Scaled out on PostgreSQL and Redis: two gunicorn web processes, two Celery workers, one killed twice.

2,000 webhook deliveries (1,500 payments created at the Asaas double, 500 of their envelopes posted
again through the other web process); worker1 is SIGKILLed twice while runs are in flight and
restarted. Afterwards: one run per unique event, every run succeeded, nothing queued or running,
and exactly one ZapSign document per run (its external_id is the step's idempotency key).

Runs where the suite runs on PostgreSQL (PONTE_TEST_DATABASE_URL, as in CI's second pass) with
Redis at PONTE_TEST_REDIS_URL (default redis://127.0.0.1:6379/5); skips with the reason otherwise.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from bench.cluster import Cluster, reachable

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

PAYMENTS = 1500
DUPLICATES = 500
FINAL = {"succeeded", "failed", "filtered", "skipped"}


@pytest.fixture
def cluster() -> Cluster:
    db_url = os.environ.get("PONTE_TEST_DATABASE_URL") or ""
    broker = os.environ.get("PONTE_TEST_REDIS_URL") or "redis://127.0.0.1:6379/5"
    if not db_url:
        pytest.skip("needs PostgreSQL: set PONTE_TEST_DATABASE_URL (CI's PostgreSQL pass does)")
    reason = reachable(db_url, broker)
    if reason:
        pytest.skip(reason)
    with Cluster(db_url, broker, executor="celery", web=2, workers=2, concurrency=4) as running:
        yield running


def _statuses(cluster: Cluster) -> dict[str, int]:
    return cluster.statuses()


def test_two_webs_two_workers_a_worker_killed_twice_nothing_lost_nothing_doubled(cluster: Cluster) -> None:
    cluster.start()
    errors: list[BaseException] = []
    answered: dict[str, int] = {}

    def load() -> None:
        try:
            cluster.create_payments(PAYMENTS // 2)
            duplicates = threading.Thread(target=lambda: answered.update(dup=cluster.send_duplicates(DUPLICATES)))
            duplicates.start()
            cluster.create_payments(PAYMENTS - PAYMENTS // 2)
            duplicates.join()
            cluster.drain_doubles()
        except BaseException as exc:  # noqa: BLE001 - reported by the test thread
            errors.append(exc)

    loader = threading.Thread(target=load)
    loader.start()
    kills = 0
    for threshold in (200, 700):  # succeeded runs at which worker1 dies, mid-load
        deadline = time.monotonic() + 300
        while _statuses(cluster).get("succeeded", 0) < threshold:
            assert time.monotonic() < deadline, f"stuck before kill {kills + 1}: {_statuses(cluster)}"
            time.sleep(0.2)
        if kills == 0:
            assert loader.is_alive(), "the deliveries ended before the first kill: raise PAYMENTS"
        cluster.kill("worker1")
        kills += 1
        cluster.start_worker("worker1")
    loader.join(timeout=600)
    assert not errors, errors
    assert answered.get("dup") == DUPLICATES  # every duplicate was accepted (200) and absorbed

    deadline = time.monotonic() + 400
    while True:
        statuses = _statuses(cluster)
        if sum(statuses.values()) >= PAYMENTS and set(statuses) <= FINAL:
            break
        assert time.monotonic() < deadline, f"runs did not settle: {statuses}"
        time.sleep(1)

    counts = cluster.counts()
    assert counts["events"] == PAYMENTS  # 2,000 deliveries, 500 of them duplicates
    assert counts["runs"] == {"succeeded": PAYMENTS}, counts["runs"]  # nothing queued, running or failed
    documents = Counter(counts["external_ids"])
    assert documents == Counter({f"ponte-{run_id}-1": 1 for run_id in counts["run_ids"]})
    assert kills == 2

    metrics = {(s.name, tuple(sorted(s.labels.items()))): s.value for family in
               text_string_to_metric_families(requests.get(cluster.web_urls[0] + "/metrics", timeout=30).text)
               for s in family.samples}
    assert metrics[("ponte_runs", (("status", "succeeded"),))] == PAYMENTS
    assert metrics[("ponte_queue_depth", ())] == 0
    # The killed worker's runs were taken over (the web process adds up every process's counters).
    assert metrics[("ponte_lease_recoveries_total", ())] >= 1
    assert sum(v for (name, labels), v in metrics.items()
               if name == "ponte_events_total" and ("outcome", "duplicate") in labels) == DUPLICATES
