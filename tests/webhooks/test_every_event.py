"""Every documented event can start a recipe: a real delivery (HTTP, SQLite) of the documented
example, the real executor, one run of the recipe on that event's trigger, searchable by reference."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import responses
from flask import Flask
from sqlalchemy import select

from app.connections import create_connection
from app.db import get_session
from app.engine.executor import EmbeddedExecutor
from app.engine.recipes import save_recipe
from app.models import Connection, Event, Run
from connectors.asaas.events import EVENT_NAMES
from connectors.asaas.triggers import SAMPLE, trigger_key
from connectors.zapsign.triggers import WEBHOOK_EXAMPLES
from tests.webhooks.conftest import TOKEN

ZAPSIGN_SECRET = "Zs" * 24  # noqa: S105 - a test secret of the length Ponte generates
ASAAS_BASE = "https://api-sandbox.asaas.com/v3"
ZAPSIGN_TRIGGERS = {
    "doc_created": "document_created", "doc_signed": "document_signed", "doc_refused": "document_refused",
    "doc_deleted": "document_deleted", "doc_expired": "document_expired",
    "doc_expiration_alert": "document_expiration_alert", "created_signer": "signer_added",
    "signature_notification_sent": "signature_request_sent", "doc_viewed": "document_viewed",
    "doc_read_confirmation": "document_read_confirmed", "signer_authentication_failed": "signer_authentication_failed",
    "email_bounce": "email_bounced", "background_check_completed": "background_check_completed",
}


def _recipe(trigger: str, connection: str) -> dict[str, Any]:
    """A recipe that stops after its trigger (a filter that never passes): the run shows the trigger's output."""
    return {"key": "watch", "name": "Watch", "trigger": {"connection": connection, "event": trigger},
            "filters": [{"field": "$.event", "op": "equals", "value": "never"}],
            "steps": [{"key": "mail", "action": "email.send_email", "connection": "smtp",
                       "input": {"to": "ops@example.com", "subject": "x", "body": "y"}}]}


def _setup(app: Flask, connector: str, values: dict[str, Any], trigger: str) -> Connection:
    with app.app_context():
        session = get_session()
        connection = create_connection(session, connector_key=connector, name=connector, values=values)
        create_connection(session, connector_key="email", name="smtp",
                          values={"host": "127.0.0.1", "port": 2525, "from_address": "p@example.com"})
        session.commit()
        result = save_recipe(session, _recipe(trigger, connector))
        assert not result.errors, result.errors
        return connection


def _one_run(app: Flask) -> Run:
    EmbeddedExecutor(app).run_until_idle()
    with app.app_context():
        runs = get_session().scalars(select(Run)).all()
        assert len(runs) == 1, [(r.status, r.error) for r in runs]
        get_session().expunge_all()
        return runs[0]


@pytest.mark.parametrize(("event", "key"), ZAPSIGN_TRIGGERS.items())
def test_a_zapsign_delivery_of_the_documented_example_starts_a_run(app: Flask, client, event: str, key: str) -> None:  # noqa: ANN001
    zapsign = _setup(app, "zapsign", {"api_token": "zs-api", "webhook_secret": ZAPSIGN_SECRET,
                                      "base_url": "http://127.0.0.1:9/api/v1"}, f"zapsign.{key}")
    body = copy.deepcopy(WEBHOOK_EXAMPLES[event])
    if key == "document_signed":
        body["status"] = "signed"  # the default: once, when everyone has signed
    response = client.post(f"/webhooks/{zapsign.uid}", data=json.dumps(body), content_type="application/json",
                           headers={"X-Ponte-Secret": ZAPSIGN_SECRET})
    assert response.status_code == 200 and response.json["stored"] == 1
    run = _one_run(app)
    assert run.status == "filtered", run.error  # the trigger step ran; the filter stopped it on purpose
    assert run.trigger_output["event"] == event
    assert run.refs, "the run search would not find this run"
    if "token" in body and event not in ("email_bounce",):
        assert run.refs["document"] == body["token"]
    if event == "email_bounce":
        assert run.refs["email"] == body["email"]
    if event == "background_check_completed":
        assert run.refs["check"] == body["check_id"]


def test_an_unknown_zapsign_event_is_stored_and_starts_nothing(app: Flask, client) -> None:  # noqa: ANN001
    zapsign = _setup(app, "zapsign", {"api_token": "zs-api", "webhook_secret": ZAPSIGN_SECRET},
                     "zapsign.document_created")
    body = {"event_type": "folder_archived", "folder": "/contratos/"}
    response = client.post(f"/webhooks/{zapsign.uid}", data=json.dumps(body), content_type="application/json",
                           headers={"X-Ponte-Secret": ZAPSIGN_SECRET})
    assert response.status_code == 200
    EmbeddedExecutor(app).run_until_idle()
    with app.app_context():
        [stored] = get_session().scalars(select(Event)).all()
        assert stored.event_type == "folder_archived" and stored.payload == body
        assert stored.dispatched_at is not None and not get_session().scalars(select(Run)).all()


@responses.activate
@pytest.mark.parametrize("event", EVENT_NAMES)
def test_an_asaas_delivery_of_every_payment_event_starts_a_run_of_its_trigger(
        app: Flask, client, event: str) -> None:  # noqa: ANN001
    responses.get(f"{ASAAS_BASE}/customers/cus_000006326297", json=SAMPLE["customer"])
    asaas = _setup(app, "asaas", {"api_key": "$aact_hmlg_000", "environment": "sandbox", "webhook_token": TOKEN},
                   f"asaas.{trigger_key(event)}")
    envelope = {"id": f"evt_05b708f961d739ea7eba7e4db318f621&{len(event)}", "event": event,
                "dateCreated": "2025-03-06 18:59:27", "payment": SAMPLE["payment"]}
    response = client.post(f"/webhooks/{asaas.uid}", data=json.dumps(envelope), content_type="application/json",
                           headers={"asaas-access-token": TOKEN})
    assert response.status_code == 200 and response.json["stored"] == 1
    other = {**envelope, "id": "evt_other&1", "event": "PAYMENT_CREATED" if event != "PAYMENT_CREATED"
             else "PAYMENT_RECEIVED"}
    client.post(f"/webhooks/{asaas.uid}", data=json.dumps(other), content_type="application/json",
                headers={"asaas-access-token": TOKEN})
    run = _one_run(app)  # the other payment event starts nothing: the recipe is on this event's trigger
    assert run.status == "filtered", run.error
    assert run.trigger_output["event"] == event
    assert run.trigger_output["customer"]["name"] == SAMPLE["customer"]["name"]
    assert run.refs["payment"] == SAMPLE["payment"]["id"]
