"""Fixtures for the web pages: logged-in clients, connections, recipes and runs to look at."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.db import get_session
from app.engine import references
from app.models import Connection, Event, Recipe, Run, Step, utcnow
from tests.conftest import Person


def login(client: FlaskClient, person: Person) -> FlaskClient:
    response = client.post("/login", data={"email": person.email, "password": person.password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


@pytest.fixture
def admin_client(app: Flask, admin: Person) -> FlaskClient:
    return login(app.test_client(), admin)


@pytest.fixture
def operator_client(app: Flask, operator: Person) -> FlaskClient:
    return login(app.test_client(), operator)


@pytest.fixture
def make_connection(app: Flask) -> Callable[..., int]:
    def make(connector_key: str, name: str, **values: Any) -> int:
        from app.connections import create_connection

        with app.app_context():
            session = get_session()
            connection = create_connection(session, connector_key=connector_key, name=name, values=values)
            session.commit()
            return connection.id

    return make


ASAAS_KEY = "$aact_hmlg_000MzkwODA2MWY2OGM3MWRlMDU2NWM3MzJlNzZmNGZhZGY6OjFhZGZjNGNlLWVjNjE"


@pytest.fixture
def seeded(app: Flask, make_connection: Callable[..., int]) -> dict[str, int]:
    """An Asaas and a ZapSign connection, a wizard recipe, and runs: failed, filtered, succeeded."""
    asaas = make_connection("asaas", "asaas", api_key=ASAAS_KEY, base_url="http://127.0.0.1:9/v3")
    zapsign = make_connection("zapsign", "zapsign", api_token="zs-token-123", base_url="http://127.0.0.1:9/api/v1")
    with app.app_context():
        session = get_session()
        recipe = Recipe(key="charge_contract", name="Cobrança → contrato", source="wizard", version=1,
                        trigger_connection_id=asaas, trigger_key="asaas.payment_created",
                        definition={"key": "charge_contract", "name": "Cobrança → contrato",
                                    "trigger": {"connection": "asaas", "event": "asaas.payment_created"},
                                    "steps": [{"key": "contract", "action": "zapsign.create_document_from_template",
                                               "connection": "zapsign", "input": {"template_id": "t",
                                                                                  "signer_name": "x"}}]})
        session.add(recipe)
        session.flush()
        ids: dict[str, int] = {"asaas": asaas, "zapsign": zapsign, "recipe": recipe.id}
        for n, (status, payment_id, value) in enumerate(
                [("failed", "pay_failed0001", 450.0), ("filtered", "pay_filtered001", 50.0),
                 ("succeeded", "pay_ok00000001", 1234.56)]):
            payload = {"id": f"evt_{n}", "event": "PAYMENT_CREATED",
                       "payment": {"id": payment_id, "value": value, "dueDate": "2025-03-10"}}
            event = Event(connection_id=asaas, dedupe_key=f"evt_{n}", event_type="PAYMENT_CREATED", payload=payload)
            session.add(event)
            session.flush()
            run = Run(recipe_id=recipe.id, recipe_version=1, event_id=event.id, dedupe_key=f"{recipe.id}:{event.id}",
                      status=status, attempt=1, trigger_output={"payment": payload["payment"],
                                                                 "customer": {"name": "Marina Costa"}},
                      finished_at=utcnow())
            if status == "filtered":
                run.filter_result = {"passed": False,
                                     "explanation": "$.payment.value greater_or_equal 100 failed: actual 50.0",
                                     "groups": [], "failed": {"field": "$.payment.value", "op": "greater_or_equal",
                                                              "expected": "100,00", "actual": 50.0, "passed": False,
                                                              "explanation": "x"}}
            if status == "failed":
                run.error = "contract: ZapSign answered 503"
            session.add(run)
            session.flush()
            references.record(session, run, "asaas.payment_created", run.trigger_output)  # as the runner does
            session.add(Step(run_id=run.id, position=0, key="trigger", action_key="asaas.payment_created",
                             status="succeeded", idempotency_key=f"ponte-{run.id}-0", output=run.trigger_output))
            if status != "filtered":
                session.add(Step(run_id=run.id, position=1, key="contract",
                                 action_key="zapsign.create_document_from_template",
                                 status="failed" if status == "failed" else "succeeded",
                                 idempotency_key=f"ponte-{run.id}-1", input={"signer_name": "Marina",
                                                                             "api_token": "leak-me-please"},
                                 error="ZapSign answered 503" if status == "failed" else None))
            ids[status] = run.id
        session.commit()
    return ids


__all__ = ["Connection", "login"]
