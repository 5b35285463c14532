"""The escalation steps against the Asaas double (sandbox/asaas.py): a payment paid in Asaas stops
every step, the owner digest lists what is overdue once a day and drops what was paid meanwhile."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
import requests

from connectors.asaas import CONNECTOR
from connectors.sdk import Context, SkipError
from sandbox import asaas as asaas_double
from sandbox.server import RunningServer

FEES = CONNECTOR.action("apply_fees")
DIGEST = CONNECTOR.trigger("overdue_digest")
STILL_OPEN = CONNECTOR.action("check_overdue_open")


@pytest.fixture
def asaas() -> Iterator[RunningServer]:
    server = asaas_double.serve()
    yield server
    server.stop()


@pytest.fixture
def ctx(asaas: RunningServer) -> Context:
    return Context(config={"api_key": asaas_double.DEFAULT_API_KEY, "base_url": f"{asaas.url}/v3"},
                   logger=logging.getLogger("test"), connection_name="Asaas (double)")


def _overdue(asaas: RunningServer, days: int, name: str, value: float) -> str:
    due = (date.today() - timedelta(days=days)).isoformat()
    payment = requests.post(f"{asaas.url}/_sandbox/payments", timeout=5, json={
        "customer": {"name": name, "email": f"{name.split()[0].lower()}@example.com"}, "dueDate": due,
        "value": value}).json()
    requests.post(f"{asaas.url}/_sandbox/payments/{payment['id']}/overdue", timeout=5).raise_for_status()
    return str(payment["id"])


def _pay(asaas: RunningServer, payment_id: str) -> None:
    requests.post(f"{asaas.url}/_sandbox/payments/{payment_id}/pay", timeout=5).raise_for_status()


def test_apply_fees_stops_when_the_payment_was_paid_in_asaas(asaas: RunningServer, ctx: Context) -> None:
    payment_id = _overdue(asaas, 10, "Ana Souza", 450.0)
    _pay(asaas, payment_id)
    with pytest.raises(SkipError, match="already paid"):
        FEES.run(ctx, {"id": payment_id, "fine": 2, "interest": 1})
    methods = [r["method"] for r in requests.get(f"{asaas.url}/_sandbox/requests", timeout=5).json()
               if "/payments/" in r.get("path", "")]
    assert "GET" in methods and "POST" not in methods  # read again, nothing updated


def test_the_digest_lists_the_overdue_and_drops_the_paid(asaas: RunningServer, ctx: Context) -> None:
    late = _overdue(asaas, 12, "Bruno Lima", 1234.56)
    paid_later = _overdue(asaas, 3, "Carla Dias", 99.9)
    _overdue(asaas, 0, "Dora Reis", 10.0)  # due today: not overdue yet (min_days 1)
    events, cursor = DIGEST.poll(ctx, {"min_days": 1, "hour": 0}, None)
    [event] = events
    assert event.payload["ids"] == [late, paid_later]
    assert DIGEST.poll(ctx, {"min_days": 1, "hour": 0}, cursor)[0] == []  # once a day
    _pay(asaas, paid_later)
    out = STILL_OPEN.run(ctx, {"ids": event.payload["ids"]})
    assert [(p["id"], p["customer_name"], p["amount"]) for p in out["payments"]] == [
        (late, "Bruno Lima", "R$ 1.234,56")]
    _pay(asaas, late)
    with pytest.raises(SkipError):
        STILL_OPEN.run(ctx, {"ids": event.payload["ids"]})
