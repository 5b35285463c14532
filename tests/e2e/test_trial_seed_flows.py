"""The wizard's test send on the seed automations against the doubles, over real HTTP: the event is the
one the ZapSign double delivered to Ponte's webhook; "signed → charge" runs both steps in order."""

from __future__ import annotations

import requests
from sqlalchemy import select

from app.db import get_session
from app.engine import trial
from app.engine.fence import RunSettings
from app.engine.loader import load_recipe_document
from app.engine.preview import preview_spec
from app.models import Connection, Recipe
from tests.e2e.conftest import Stack

ANSWERS = {"NOME COMPLETO": "Beatriz Lima", "CPF": "529.982.247-25", "VALOR": "2.345,67",
           "VENCIMENTO": "15/12/2026", "EMAIL DO CLIENTE": "beatriz@example.com"}


def test_signed_to_charge_is_tested_on_a_delivered_event_and_sends_one_charge(stack: Stack) -> None:
    requests.post(f"{stack.zapsign}/_sandbox/docs", timeout=5, json={
        "template_id": "c2a8b6a4-1f0e-4b53-9a57-5f0c2e8d7a10", "name": "Contrato Beatriz",
        "signers": [{"name": "Beatriz Lima", "email": "beatriz@example.com"}], "answers": ANSWERS,
        "sign": True}).raise_for_status()
    stack.drain()  # delivered and stored; no executor runs it here
    with stack.app.app_context():
        session = get_session()
        recipe = session.scalar(select(Recipe).where(Recipe.key == "zapsign_signed_to_charge"))
        assert recipe is not None
        connection = session.get(Connection, recipe.trigger_connection_id)
        options = recipe.definition["trigger"].get("options")
        [event] = trial.recent_events(session, "zapsign.document_signed", connection, options)
        output = trial.event_output(event, "zapsign.document_signed", connection, options)
        spec, errors = load_recipe_document(recipe.definition)
        assert spec is not None, errors
        shown = preview_spec(spec, output)["steps"]
        assert [s["problems"] for s in shown] == [[], []]
        key = trial.test_key("e2e", f"event:{event.id}", [s["input"] for s in shown])
        before = len(stack.asaas_requests("POST", "/v3/payments"))
        settings = RunSettings(retry_scale=0.001)
        first = trial.send(session, spec, output, key, actor="e2e", settings=settings)
        again = trial.send(session, spec, output, key, actor="e2e", settings=settings)
    assert first.ok and [s.key for s in first.steps] == ["customer", "charge"], first.steps
    assert again.repeated and again.steps[1].output["id"] == first.steps[1].output["id"]
    payments = stack.asaas_requests("POST", "/v3/payments")
    assert len(payments) == before + 1
    body = payments[-1]["json"]
    assert body["customer"] == first.steps[0].output["id"]  # step 1's real output fed step 2
    assert body["value"] == 2345.67 and body["dueDate"] == "2026-12-15"
    assert body["externalReference"] == f"{key}-2"
    assert stack.runs() == []  # a test is not a run
