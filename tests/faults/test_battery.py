"""The fault battery, reduced for CI: every scenario of ``bench/faults`` at small N, on the suite's
database (SQLite here, PostgreSQL when PONTE_TEST_DATABASE_URL is set; the outage only there).

Each scenario asserts the same promises (``bench.faults.scenarios.check``): runs = unique events,
documents at the ZapSign double = runs (never two for one run), nothing left queued or running,
no 500 and no 200 for a delivery that was not stored. Full-size figures: docs/guarantees.md.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from app.db import get_db
from app.models import Base
from bench.faults import fuzz, scenarios
from bench.faults.stack import FaultStack
from bench.faults.tcpproxy import TcpProxy

pytestmark = [pytest.mark.e2e]


def _stack(db_url: str, tmp_path: Path, proxy_port: int | None = None) -> Iterator[FaultStack]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    stack = FaultStack(db_url, tmp_path / "stack", proxy_port=proxy_port)
    try:
        yield stack.start()
    finally:
        stack.stop()
        engine = get_db(stack.app).engine
        Base.metadata.drop_all(engine)
        engine.dispose()


@pytest.fixture
def stack(db_url: str, tmp_path: Path) -> Iterator[FaultStack]:
    yield from _stack(db_url, tmp_path)


def _holds(result: dict, stack: FaultStack) -> None:
    """Every promise held; else fail with the broken ones, the figures and the suspect runs."""
    if result["problems"]:
        pytest.fail("; ".join(result["problems"]) + "\n" + json.dumps(result, indent=1, default=str)
                    + "\n--- logs (tail) ---\n" + stack.logs()[-3000:], pytrace=False)


@pytest.mark.timeout(180)
def test_duplicate_storm_runs_each_event_once(stack: FaultStack) -> None:
    result = scenarios.duplicate_storm(stack, deliveries=400, duplicates=0.25, senders=16, drain_timeout=120)
    _holds(result, stack)
    assert result["unique_events"] == 300 and result["documents"] == 300


@pytest.mark.timeout(240)
def test_workers_and_the_web_server_killed_mid_load_lose_and_double_nothing(stack: FaultStack) -> None:
    result = scenarios.crash(stack, events=200, senders=8, worker_kills=2, web_kills=1, send_seconds=12,
                             drain_timeout=150)
    _holds(result, stack)
    assert len(result["kills"]) == 3


@pytest.mark.timeout(300)
def test_faulty_destinations_make_one_document_per_event(stack: FaultStack) -> None:
    result = scenarios.faulty_destinations(stack, events=30, rate=0.3, senders=4, slow_seconds=21,
                                           drain_timeout=240)
    _holds(result, stack)
    injected = result["injected"]["zapsign"]
    assert sum(injected.values()) > 0, injected


@pytest.mark.timeout(180)
def test_fuzzed_webhook_requests_never_answer_500_nor_store_without_authentication(stack: FaultStack) -> None:
    result = fuzz.fuzz(stack, count=600, valid_share=0.05)
    _holds(result, stack)
    assert result["unauthenticated_events"] == 0 and result["answers_500"] == 0


@pytest.fixture
def proxied(pg_url: str, tmp_path: Path) -> Iterator[tuple[FaultStack, TcpProxy]]:
    url = make_url(pg_url)
    proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
    try:
        for stack in _stack(pg_url, tmp_path, proxy_port=proxy.port):
            yield stack, proxy
    finally:
        proxy.close()


@pytest.mark.timeout(300)
def test_a_database_refusing_connections_for_a_while_loses_and_doubles_nothing(
        proxied: tuple[FaultStack, TcpProxy]) -> None:
    stack, proxy = proxied
    result = scenarios.database_outage(stack, proxy, events=150, senders=8, outage_seconds=12, send_seconds=30,
                                       drain_timeout=200)
    _holds(result, stack)
    assert result["answers_503"] > 0, result  # the webhooks met the outage too, and said so


@pytest.mark.timeout(120)
def test_the_hand_run_battery_runs_and_reports_figures(tmp_path: Path) -> None:
    from bench.faults.__main__ import main

    [result] = main(["--only", "storm", "--scale", "0.005", "--workdir", str(tmp_path)])
    assert result["scenario"] == "storm" and result["deliveries"] == 10 and result["problems"] == []
