"""A real test send (``app.engine.trial``): once per test key, whatever the clicks, crashes and retries.

The real connectors against ``responses`` mocks; the real database of the test app.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import responses
from flask import Flask
from sqlalchemy.orm import Session

from app.connections import create_connection
from app.db import get_db, get_session
from app.engine import trial
from app.engine.fence import RunSettings
from app.engine.loader import load_recipe_document
from app.engine.spec import RecipeSpec
from app.models import AuditEvent

ZAPSIGN = "https://zapsign.test/api/v1"
ASAAS = "https://asaas.test/v3"
DOC = {"token": "doc-0001", "name": "Contrato", "status": "pending",
       "signers": [{"token": "s-1", "name": "Marina Costa", "sign_url": "https://z.test/s-1", "status": "new"}]}
OUTPUT = {"customer": {"name": "Marina Costa", "cpfCnpj": "24971563792"}, "payment": {"value": 1500.0}}
NO_WAIT = RunSettings(retry_scale=0.0)


@pytest.fixture
def ctx(app: Flask) -> Iterator[Flask]:
    with app.app_context():
        session = get_session()
        create_connection(session, connector_key="zapsign", name="zapsign",
                          values={"api_token": "zs-secret-token", "base_url": ZAPSIGN})
        create_connection(session, connector_key="asaas", name="asaas",
                          values={"api_key": "$aact_test_key_0001", "base_url": ASAAS})
        session.commit()
        yield app


def _spec(steps: list[dict[str, Any]]) -> RecipeSpec:
    spec, errors = load_recipe_document({"key": "trial_test", "name": "t", "trigger": {"connection": "asaas",
                                         "event": "asaas.payment_created"}, "steps": steps})
    assert spec is not None, errors
    return spec


CONTRACT = [{"key": "contract", "action": "zapsign.create_document_from_template", "connection": "zapsign",
             "input": {"template_id": "tpl-1", "signer_name": {"path": "$.customer.name"}}}]
CHARGE = [{"key": "customer", "action": "asaas.find_or_create_customer", "connection": "asaas",
           "input": {"name": {"path": "$.customer.name"}, "cpfCnpj": {"path": "$.customer.cpfCnpj"}}},
          {"key": "charge", "action": "asaas.create_payment", "connection": "asaas",
           "input": {"customer": {"path": "$.steps.customer.id"}, "billingType": "BOLETO",
                     "value": {"path": "$.payment.value"}, "dueDate": "2026-12-20"}}]


@responses.activate
def test_two_clicks_at_once_create_one_document_and_both_show_it(ctx: Flask) -> None:
    def slow_create(request: Any) -> tuple[int, dict[str, str], str]:
        time.sleep(0.3)  # the second click arrives while the first is still being answered
        return 200, {}, json.dumps({**DOC, "external_id": json.loads(request.body)["external_id"]})

    responses.add_callback(responses.POST, f"{ZAPSIGN}/models/create-doc/", callback=slow_create)
    spec, key = _spec(CONTRACT), "ponte-test-concurrent01"
    results: list[trial.SendResult] = []

    def click() -> None:
        with ctx.app_context(), Session(get_db(ctx).engine) as session:
            results.append(trial.send(session, spec, OUTPUT, key, actor="ana@ponte.test", settings=NO_WAIT))

    threads = [threading.Thread(target=click) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(responses.calls) == 1
    assert sorted(r.repeated for r in results) == [False, True]
    assert all(r.ok and r.steps[0].output["token"] == "doc-0001" for r in results)
    rows = get_session().query(AuditEvent).filter_by(action=trial.AUDIT_ACTION).all()
    assert len(rows) == 1 and rows[0].detail["status"] == "done" and rows[0].actor == "ana@ponte.test"
    assert "zs-secret-token" not in json.dumps(rows[0].detail)


@responses.activate
def test_a_send_that_died_midway_finds_its_document_instead_of_creating_another(ctx: Flask) -> None:
    key = "ponte-test-crashed0001"
    session = get_session()
    session.add(AuditEvent(action=trial.AUDIT_ACTION, subject=key, detail={
        "status": "sending", "attempt": 1, "first_attempt_at": "2026-12-05T12:00:00+00:00"}))
    session.commit()
    responses.get(f"{ZAPSIGN}/docs/", json={"results": [{"token": "doc-0001", "external_id": f"{key}-1"}],
                                            "next": None})
    responses.get(f"{ZAPSIGN}/docs/doc-0001/", json={**DOC, "external_id": f"{key}-1"})
    create = responses.post(f"{ZAPSIGN}/models/create-doc/", json=DOC)
    result = trial.send(session, _spec(CONTRACT), OUTPUT, key, settings=NO_WAIT)
    assert result.ok and result.attempt == 2 and result.steps[0].output["reused"] is True
    assert not create.calls


@responses.activate
def test_a_retried_test_does_not_call_a_step_that_already_succeeded(ctx: Flask) -> None:
    responses.get(f"{ASAAS}/customers", json={"object": "list", "hasMore": False, "totalCount": 0, "data": []})
    made = responses.post(f"{ASAAS}/customers", json={"object": "customer", "id": "cus_000000000777",
                                                     "name": "Marina Costa", "cpfCnpj": "24971563792"})
    responses.post(f"{ASAAS}/payments", status=400,
                   json={"errors": [{"code": "invalid_dueDate", "description": "Data de vencimento inválida"}]})
    session, spec, key = get_session(), _spec(CHARGE), "ponte-test-retried0001"
    first = trial.send(session, spec, OUTPUT, key, settings=NO_WAIT)
    assert [s.status for s in first.steps] == ["succeeded", "failed"]
    assert "Data de vencimento inválida" in first.steps[1].error

    responses.replace(responses.POST, f"{ASAAS}/payments", json={
        "object": "payment", "id": "pay_000000000777", "customer": "cus_000000000777", "value": 1500.0,
        "billingType": "BOLETO", "status": "PENDING", "dueDate": "2026-12-20"})
    responses.get(f"{ASAAS}/payments", json={"object": "list", "hasMore": False, "totalCount": 0, "data": []})
    second = trial.send(session, spec, OUTPUT, key, settings=NO_WAIT)
    assert second.ok and second.attempt == 2
    assert len(made.calls) == 1  # the customer step is not called again
    sent = [c for c in responses.calls if c.request.method == "POST" and "/payments" in c.request.url]
    assert json.loads(sent[-1].request.body)["customer"] == "cus_000000000777"
    assert json.loads(sent[-1].request.body)["externalReference"] == f"{key}-2"


class WorkerDied(BaseException):
    """The process stops mid-call (not an error any code handles)."""


@responses.activate
def test_a_send_that_died_after_its_first_step_keeps_it_and_looks_before_charging(ctx: Flask) -> None:
    responses.get(f"{ASAAS}/customers", json={"object": "list", "hasMore": False, "totalCount": 0, "data": []})
    made = responses.post(f"{ASAAS}/customers", json={"object": "customer", "id": "cus_000000000888",
                                                     "name": "Marina Costa", "cpfCnpj": "24971563792"})

    def die(request: Any) -> tuple[int, dict[str, str], str]:
        raise WorkerDied()

    responses.add_callback(responses.POST, f"{ASAAS}/payments", callback=die)
    spec, key = _spec(CHARGE), "ponte-test-died000001"
    with Session(get_db(ctx).engine) as session, pytest.raises(WorkerDied):
        trial.send(session, spec, OUTPUT, key, settings=NO_WAIT)
    row = get_session().query(AuditEvent).filter_by(subject=key).one()
    assert row.detail["status"] == "sending" and [s["status"] for s in row.detail["steps"]] == ["succeeded"]

    responses.replace(responses.POST, f"{ASAAS}/payments", json={
        "object": "payment", "id": "pay_000000000888", "customer": "cus_000000000888", "value": 1500.0,
        "billingType": "BOLETO", "status": "PENDING", "dueDate": "2026-12-20"})
    search = responses.get(f"{ASAAS}/payments", json={"object": "list", "hasMore": False, "totalCount": 0,
                                                      "data": []})
    with Session(get_db(ctx).engine) as session:
        result = trial.send(session, spec, OUTPUT, key, settings=NO_WAIT)
    assert result.ok and result.attempt == 2
    assert len(made.calls) == 1  # the customer step is kept, not called again
    assert search.calls and f"externalReference={key}-2" in search.calls[0].request.url  # looked first
