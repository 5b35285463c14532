"""The README tour's "Simulate an outage" step, as written: the Asaas double pauses the queue after
15 failed deliveries, Ponte's health watch alerts and resumes it, the kept event arrives, the run
happens exactly once (whether the re-sent webhook or the catch-up comes first)."""

from __future__ import annotations

import requests
from sqlalchemy import select

from app.auth import create_user
from app.db import get_session
from app.models import Alert, Connection
from app.webhook_watch import watch_all
from sandbox.demo import DEMO_EMAIL, DEMO_PASSWORD

from .conftest import Stack
from .test_readme_tour import README, _contract_runs, _readme_json


def _asaas_config(stack: Stack) -> dict:
    [config] = requests.get(f"{stack.asaas}/_sandbox/state", timeout=5).json()["webhooks"]
    return config


def test_the_tours_outage_pauses_the_queue_and_ponte_resumes_it_and_runs_the_charge_once(stack: Stack) -> None:
    assert "`\"interrupted\": true`" in README and "Within 15 s" in README
    outage = _readme_json("Simulate an outage")
    assert outage == {"failures": 15}
    requests.post(f"{stack.asaas}/_sandbox/outage", json=outage, timeout=5).raise_for_status()
    requests.post(f"{stack.asaas}/_sandbox/payments", json=_readme_json("A charge becomes a contract."),
                  timeout=5).raise_for_status()
    stack.drain()
    paused = _asaas_config(stack)
    assert (paused["interrupted"], paused["pending"], paused["consecutive_failures"]) == (True, 1, 15)
    assert stack.events() == [] and _contract_runs(stack) == []  # nothing reached Ponte

    stack.app.config["WEBHOOK_AUTO_REGISTER"] = True  # the demo's setting (tests default to manual)
    with stack.app.app_context():
        create_user(get_session(), email=DEMO_EMAIL, name="Demo", role="admin", password=DEMO_PASSWORD)
        get_session().commit()
    with stack.app.app_context():  # what the demo's scheduler runs every WEBHOOK_HEALTH_SECONDS (15)
        session = get_session()
        states = watch_all(stack.app, session, stack.app.config)
        asaas = session.scalar(select(Connection).where(Connection.name == "asaas"))
        [alert] = session.scalars(select(Alert).where(Alert.subject == f"webhook:{asaas.id}")).all()
        assert "paused" in (alert.last_error or "")
    assert states["asaas"]["reactivated_at"] and states["asaas"]["alerting"] is False
    [mail] = stack.doubles.mailbox.mailbox.all()  # the alert, through the demo's e-mail connection
    assert DEMO_EMAIL in str(mail["to"]) and "asaas" in mail["subject"]

    runs = stack.settle()
    deliveries = requests.get(f"{stack.asaas}/_sandbox/state", timeout=5).json()["deliveries"]
    assert deliveries[-1]["ok"] is True and len(deliveries) == 16  # 15 cut by the outage, then the re-send
    resumed = _asaas_config(stack)
    assert (resumed["interrupted"], resumed["pending"], resumed["consecutive_failures"]) == (False, 0, 0)
    [run] = _contract_runs(stack)
    assert run.status == "succeeded", run.error
    assert len(stack.zapsign_requests()) == 1  # one contract, once
    assert {e.event_type for e in stack.events()} >= {"PAYMENT_CREATED"}
    assert all(r.status == "succeeded" for r in runs), [(r.id, r.status, r.error) for r in runs]
