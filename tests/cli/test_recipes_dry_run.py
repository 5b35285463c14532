"""``flask recipes test``: the filter verdict and mapped inputs for an event, calling no action."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from app.db import get_session
from app.models import Connection, Event, Recipe, Run, utcnow
from sandbox import asaas as asaas_double
from sandbox.server import RunningServer
from tests.cli.conftest import Project, add_connections

RAW = {"id": "evt_0f3a&1", "event": "PAYMENT_CREATED", "dateCreated": "2025-03-01 10:00:00",
       "payment": {"id": "pay_1", "customer": "cus_1", "value": 50.0, "billingType": "PIX",
                   "status": "PENDING", "dueDate": "2025-03-10"}}
OUTPUT = {"event": "PAYMENT_CREATED", "event_id": "evt_1", "payment": {"id": "pay_2", "value": "1.234,56",
          "billingType": "BOLETO"}, "customer": {"id": "cus_2", "name": "Ana Souza", "email": "ANA@EXAMPLE.COM"}}


@pytest.fixture
def asaas() -> Iterator[RunningServer]:
    server = asaas_double.serve()
    yield server
    server.stop()


def _write(tmp_path: Path, name: str, data: object) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def test_raw_webhook_body_is_recognised_and_no_request_reaches_asaas(
        project: Project, asaas: RunningServer, tmp_path: Path) -> None:
    add_connections(project.app, asaas.url)
    result = project.cli("recipes", "test", "charge_to_doc", "--event", _write(tmp_path, "raw.json", RAW))
    assert result.exit_code == 0, result.output
    assert "raw asaas webhook delivery, event PAYMENT_CREATED" in result.output
    assert "used as the event payload as-is" in result.output
    assert "filters: stopped by $.payment.value greater_or_equal" in result.output
    assert "actual value: 50.0" in result.output
    assert "problem: signer_name: required, but $.customer.name has no value in this event" in result.output
    assert requests.get(f"{asaas.url}/_sandbox/requests", timeout=5).json() == []


def test_trigger_output_shows_each_step_input_as_json(project: Project, tmp_path: Path) -> None:
    result = project.cli("recipes", "test", "charge_to_doc", "--event", _write(tmp_path, "out.json", OUTPUT),
                         "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["source"] == "recipes/charge_to_doc.yaml"
    [trial] = data["results"]
    assert trial["filters"]["passed"] is True
    assert trial["steps"][0]["input"] == {"template_id": "tpl-1", "signer_name": "Ana Souza",
                                          "signer_email": "ana@example.com", "variables": {"VALOR": "R$ 1.234,56"}}
    assert trial["steps"][0]["problems"] == []


def test_last_events_use_the_recorded_trigger_output(project: Project, asaas: RunningServer) -> None:
    add_connections(project.app, asaas.url)
    assert project.cli("recipes", "apply").exit_code == 0
    with project.app.app_context():
        session = get_session()
        connection = session.scalar(select(Connection).where(Connection.name == "asaas"))
        recipe = session.scalar(select(Recipe).where(Recipe.key == "charge_to_doc"))
        for n, event_type in enumerate(["PAYMENT_CREATED", "PAYMENT_RECEIVED", "PAYMENT_CREATED"]):
            session.add(Event(connection_id=connection.id, dedupe_key=f"evt_{n}", event_type=event_type,
                              payload={**RAW, "id": f"evt_{n}", "event": event_type}, received_at=utcnow()))
        session.flush()
        first = session.scalar(select(Event).where(Event.dedupe_key == "evt_0"))
        session.add(Run(recipe_id=recipe.id, recipe_version=1, event_id=first.id, status="succeeded",
                        trigger_output=OUTPUT, created_at=utcnow()))
        session.commit()
    result = project.cli("recipes", "test", "charge_to_doc", "--last", "5", "--stored")
    assert result.exit_code == 0, result.output
    assert result.output.count("\nevent: event ") == 2  # PAYMENT_RECEIVED does not fire the trigger
    assert "trigger output recorded by run" in result.output and "Ana Souza" in result.output
    assert "no run recorded this event's trigger output" in result.output
    assert requests.get(f"{asaas.url}/_sandbox/requests", timeout=5).json() == []


def test_dry_run_errors_are_clear(project: Project, tmp_path: Path) -> None:
    neither = project.cli("recipes", "test", "charge_to_doc")
    assert neither.exit_code == 2 and "exactly one of --event FILE or --last N" in neither.output
    unknown = project.cli("recipes", "test", "nope", "--last", "1")
    assert unknown.exit_code == 1 and "no recipe 'nope'" in unknown.output
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    not_json = project.cli("recipes", "test", "charge_to_doc", "--event", str(bad))
    assert not_json.exit_code == 1 and "is not JSON" in not_json.output
    bad.write_text("[" * 100_000)
    too_deep = project.cli("recipes", "test", "charge_to_doc", "--event", str(bad))
    assert too_deep.exit_code == 1 and "nested more than" in too_deep.output
    no_events = project.cli("recipes", "test", "charge_to_doc", "--last", "3")
    assert no_events.exit_code == 1 and "no connection named 'asaas'" in no_events.output
