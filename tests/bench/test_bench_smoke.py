"""The hand-run benchmarks still import and run with tiny N (no timing is asserted)."""

from __future__ import annotations

import shutil

import pytest

from bench import drafts, engine_cost, ingest, latency


def test_engine_cost_runs_and_both_sides_agree() -> None:
    result = engine_cost.main(["--events", "20"])
    assert result["events"] == 20 and result["engine_us"] > 0 and result["hand_us"] > 0


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk (Debian package) is not installed")
def test_ingest_fires_unique_events_at_both_servers_and_every_200_is_stored() -> None:
    result = ingest.main(["--rounds", "1", "--seconds", "1", "--connections", "2", "--wrk-threads", "1",
                          "--workers", "1"])
    assert result["ponte"]["ok"] > 0 and result["bare"]["ok"] > 0
    assert result["ponte"]["events_stored"] >= result["ponte"]["ok"]  # main() also fails when this does not hold


@pytest.mark.e2e
def test_latency_measures_webhook_to_zapsign_call() -> None:
    result = latency.main(["--events", "2", "--timeout", "15"])
    assert result["events"] == 2 and result["p50_ms"] > 0


def test_drafts_saves_concurrently_and_every_save_lands() -> None:
    result = drafts.main(["--saves", "20", "--threads", "5"])
    assert result["failed"] == 0 and result["revision"] == 21

