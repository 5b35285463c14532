"""The end-to-end stack: Ponte served on loopback, the Asaas and ZapSign doubles, the seed recipes.

Everything crosses real HTTP: the doubles emit webhooks to Ponte, Ponte's connectors call the
doubles. Retry waits are scaled down so a retried run finishes in milliseconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import select

from app.db import get_session
from app.engine.executor import EmbeddedExecutor
from app.models import Event, Run
from sandbox.demo import Doubles, start_doubles, wire_demo
from sandbox.server import RunningServer, serve_in_thread

pytestmark = pytest.mark.e2e


@dataclass
class Stack:
    app: Flask
    doubles: Doubles
    ponte: RunningServer
    executor: EmbeddedExecutor

    @property
    def asaas(self) -> str:
        return self.doubles.asaas.url

    @property
    def zapsign(self) -> str:
        return self.doubles.zapsign.url

    def asaas_requests(self, method: str = "POST", path: str = "/v3/payments") -> list[dict[str, Any]]:
        log = requests.get(f"{self.asaas}/_sandbox/requests", timeout=5).json()
        log = log.get("requests", log) if isinstance(log, dict) else log
        return [r for r in log if r["method"] == method and r["path"] == path]

    def zapsign_requests(self, method: str = "POST", path: str = "/api/v1/models/create-doc/") -> list[dict]:
        log = requests.get(f"{self.zapsign}/_sandbox/requests", timeout=5).json()
        log = log.get("requests", log) if isinstance(log, dict) else log
        return [r for r in log if r["method"] == method and r["path"] == path]

    def drain(self) -> None:
        """Wait until both doubles have delivered the webhooks they queued."""
        requests.post(f"{self.asaas}/_sandbox/drain", timeout=15)
        requests.get(f"{self.zapsign}/_sandbox/deliveries", params={"wait": 10}, timeout=15)

    def runs(self) -> list[Run]:
        with self.app.app_context():
            return list(get_session().scalars(select(Run).order_by(Run.id)))

    def events(self) -> list[Event]:
        with self.app.app_context():
            return list(get_session().scalars(select(Event).order_by(Event.id)))

    def settle(self, done: Callable[[list[Run]], bool] | None = None, timeout: float = 20) -> list[Run]:
        """Drive the executor inline until every run is final (or ``done``), then return the runs."""
        done = done or (lambda runs: bool(runs) and all(r.status in FINAL for r in runs))
        deadline = time.monotonic() + timeout
        while True:
            self.drain()
            self.executor.run_until_idle()
            runs = self.runs()
            if done(runs):
                return runs
            if time.monotonic() > deadline:
                raise AssertionError(f"runs did not settle: {[(r.id, r.status, r.error) for r in runs]}")
            time.sleep(0.05)


FINAL = {"succeeded", "filtered", "skipped", "failed"}


@pytest.fixture
def stack(app: Flask) -> Iterator[Stack]:
    app.config["RETRY_DELAY_SCALE"] = 0.001
    doubles = start_doubles()
    ponte = serve_in_thread(app)
    executor = EmbeddedExecutor(app, workers=2, poll_interval=0.05)
    report = wire_demo(app, doubles, ponte.url)
    assert report is not None and not report.errors, report and report.errors
    assert sorted(report.created) == ["asaas_charge_to_contract", "asaas_collection_fees",  # the escalation
                                      "asaas_collection_owner_digest", "asaas_collection_rule",  # seeds ship off
                                      "asaas_payment_receipt", "zapsign_signed_contract_to_finance",
                                      "zapsign_signed_to_charge", "zapsign_signed_to_subscription"]
    yield Stack(app, doubles, ponte, executor)
    ponte.stop()
    doubles.stop()
