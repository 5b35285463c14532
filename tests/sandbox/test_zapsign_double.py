"""The ZapSign double over real HTTP, driven by the ZapSign connector itself."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
import requests
from flask import Flask, request

from connectors.sdk import ConfigError, Context, InboundRequest, TransientError
from connectors.sdk.webhook_admin import WebhookTarget
from connectors.zapsign import CONNECTOR
from connectors.zapsign.actions import create_document_from_template, get_document
from connectors.zapsign.lookups import template_variables, templates
from connectors.zapsign.triggers import DOCUMENT_SIGNED
from sandbox.server import RunningServer, serve_in_thread
from sandbox.zapsign import create_app
from sandbox.zapsign_data import ADHESION_TERM_ID, SERVICE_CONTRACT_ID

pytestmark = pytest.mark.e2e
TOKEN = "double-token"
SECRET = "w" * 48


class Inbox:
    """A stand-in for Ponte's webhook endpoint: records what ZapSign posts."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: list[InboundRequest] = []
        app = Flask("inbox")

        @app.post("/webhooks/zs")
        def receive() -> tuple[str, int]:
            with self.lock:
                self.received.append(InboundRequest(
                    headers={k.lower(): v for k, v in request.headers.items()},
                    query=request.args.to_dict(), body=request.get_data()))
            return "", 200

        self.app = app


@pytest.fixture(scope="module")
def inbox() -> Iterator[tuple[Inbox, RunningServer]]:
    box = Inbox()
    server = serve_in_thread(box.app)
    yield box, server
    server.stop()


@pytest.fixture(scope="module")
def served_double(inbox: tuple[Inbox, RunningServer]) -> Iterator[RunningServer]:
    _, receiver = inbox
    app = create_app(api_token=TOKEN, webhook_url=f"{receiver.url}/webhooks/zs",
                     webhook_headers={"X-Ponte-Secret": SECRET})
    server = serve_in_thread(app)
    yield server
    server.stop()


@pytest.fixture
def double(served_double: RunningServer, inbox: tuple[Inbox, RunningServer]) -> RunningServer:
    """The module's double, reset (documents, faults, log) and with an empty inbox."""
    deliveries(served_double)  # let the previous test's webhooks land before emptying the inbox
    requests.post(f"{served_double.url}/_sandbox/reset", timeout=5).raise_for_status()
    box, _ = inbox
    with box.lock:
        box.received.clear()
    return served_double


@pytest.fixture
def ctx(double: RunningServer) -> Context:
    waits: list[float] = []
    return Context(config={"api_token": TOKEN, "base_url": f"{double.url}/api/v1", "webhook_secret": SECRET},
                   sleep=waits.append, idempotency_key="ponte-7-1")


def deliveries(double: RunningServer) -> list[dict[str, Any]]:
    return requests.get(f"{double.url}/_sandbox/deliveries", params={"wait": 5}, timeout=10).json()


def contract(**extra: Any) -> dict[str, Any]:
    return {"template_id": SERVICE_CONTRACT_ID, "signer_name": "Maria Souza",
            "signer_email": "maria.souza@example.com", "signer_phone": "11999998888",
            "variables": {"NOME COMPLETO": "Maria Souza", "CPF": "24971563792", "VALOR": "R$ 450,00"},
            **extra}


def test_wrong_token_is_a_config_error(double: RunningServer) -> None:
    bad = Context(config={"api_token": "nope", "base_url": f"{double.url}/api/v1"})
    with pytest.raises(ConfigError, match="Invalid API token"):
        CONNECTOR.test_credentials(bad)


def test_templates_are_paginated_and_have_variables(ctx: Context) -> None:
    assert "26 template" in CONNECTOR.test_credentials(ctx)
    options = templates(ctx, {})
    assert len(options) == 23 and options[0]["label"] == "Contrato de prestação de serviços"
    assert len(templates(ctx, {"include_inactive": True})) == 26
    variables = [v["value"] for v in template_variables(ctx, {"template_id": SERVICE_CONTRACT_ID})]
    assert variables == ["NOME COMPLETO", "CPF", "EMAIL DO CLIENTE", "VALOR", "VENCIMENTO", "DESCRIÇÃO DO SERVIÇO"]


def test_create_then_get_document(ctx: Context, double: RunningServer) -> None:
    created = create_document_from_template(ctx, contract())
    assert created["status"] == "pending" and created["external_id"] == "ponte-7-1"
    assert created["sign_url"].endswith(created["signers"][0]["token"])
    doc = get_document(ctx, {"token": created["token"]})
    assert doc["answers"]["CPF"] == "24971563792" and doc["external_id"] == "ponte-7-1"
    log = requests.get(f"{double.url}/_sandbox/requests", timeout=5).json()
    assert log[-2]["json"]["data"][0] == {"de": "{{NOME COMPLETO}}", "para": "Maria Souza"}
    assert TOKEN not in str(log)


def test_a_write_behind_a_500_is_found_again_on_retry(ctx: Context, double: RunningServer) -> None:
    fault = {"method": "POST", "path": "/api/v1/models/create-doc/",
             "responses": [{"status": 500, "apply": True}]}
    requests.post(f"{double.url}/_sandbox/faults", json=fault, timeout=5).raise_for_status()
    with pytest.raises(TransientError) as caught:
        create_document_from_template(ctx, contract())
    assert caught.value.ambiguous is True
    again = create_document_from_template(replace(ctx, attempt=2), contract())
    assert again["reused"] is True
    state = requests.get(f"{double.url}/_sandbox/state", timeout=5).json()
    assert len(state["documents"]) == 1


def test_429_is_waited_and_retried(double: RunningServer) -> None:
    waits: list[float] = []
    ctx = Context(config={"api_token": TOKEN, "base_url": f"{double.url}/api/v1"}, sleep=waits.append)
    fault = {"method": "POST", "path": "/api/v1/models/create-doc/",
             "responses": [{"status": 429, "headers": {"Retry-After": "1"}}]}
    requests.post(f"{double.url}/_sandbox/faults", json=fault, timeout=5).raise_for_status()
    assert create_document_from_template(ctx, contract())["reused"] is False
    assert waits == [1.0]


def test_two_signers_fire_doc_signed_twice_and_all_signed_once(
    ctx: Context, double: RunningServer, inbox: tuple[Inbox, RunningServer]
) -> None:
    created = create_document_from_template(ctx, contract(template_id=ADHESION_TERM_ID))
    assert len(created["signers"]) == 2
    for _ in range(2):
        requests.post(f"{double.url}/_sandbox/docs/{created['token']}/sign", timeout=5).raise_for_status()
    assert [d["status"] for d in deliveries(double)] == ["delivered"] * 3
    box, _ = inbox
    hook = CONNECTOR.webhook
    assert hook is not None
    events = []
    for delivery in box.received:
        hook.authenticate(delivery, ctx.config)
        events += hook.parse(json.loads(delivery.body))
    assert [e.event_type for e in events] == ["doc_created", "doc_signed", "doc_signed"]
    first, second = events[1], events[2]
    assert first.payload["status"] == "pending" and second.payload["status"] == "signed"
    assert first.dedupe_key != second.dedupe_key
    assert not DOCUMENT_SIGNED.fires_on("doc_signed", first.payload, {"when": "all_signed"})
    assert DOCUMENT_SIGNED.fires_on("doc_signed", first.payload, {"when": "every_signature"})
    assert DOCUMENT_SIGNED.fires_on("doc_signed", second.payload, {})
    out = DOCUMENT_SIGNED.output(ctx, second.payload, {})
    assert out["answers"]["CPF"] == "24971563792" and out["signer"]["name"] == "Ponte Serviços Contábeis Ltda"


def test_a_redelivery_has_the_same_dedupe_key(
    double: RunningServer, inbox: tuple[Inbox, RunningServer]
) -> None:
    body = {"answers": {"NOME COMPLETO": "João Lima"}, "signers": [{"name": "João Lima"}], "sign": True}
    doc = requests.post(f"{double.url}/_sandbox/docs", json=body, timeout=5).json()
    assert doc["status"] == "signed"
    signed = next(d for d in deliveries(double) if d["event_type"] == "doc_signed")
    requests.post(f"{double.url}/_sandbox/deliveries/{signed['id']}/redeliver", timeout=5).raise_for_status()
    deliveries(double)
    box, _ = inbox
    hook = CONNECTOR.webhook
    assert hook is not None
    keys = [hook.parse(json.loads(r.body))[0].dedupe_key for r in box.received]
    assert len(keys) == 3 and keys[1] == keys[2]


def test_refusal_uses_the_documented_spelling(double: RunningServer) -> None:
    doc = requests.post(f"{double.url}/_sandbox/docs", json={}, timeout=5).json()
    requests.post(f"{double.url}/_sandbox/docs/{doc['token']}/refuse", json={"reason": "Valor errado"},
                  timeout=5).raise_for_status()
    refused = [d for d in deliveries(double) if d["event_type"] == "doc_refused"][0]
    assert refused["body"]["status"] == "recusado" and refused["body"]["rejected_reason"] == "Valor errado"
    event = CONNECTOR.webhook.parse(refused["body"])[0]  # type: ignore[union-attr]
    assert event.payload["status"] == "refused"


def test_api_validation_errors(ctx: Context, double: RunningServer) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    api = f"{double.url}/api/v1"
    missing = requests.post(f"{api}/models/create-doc/", json={"template_id": "nope", "signer_name": "x"},
                            headers=auth, timeout=5)
    assert missing.status_code == 404 and missing.json() == {"detail": "Não encontrado."}
    nameless = requests.post(f"{api}/models/create-doc/", json={"template_id": SERVICE_CONTRACT_ID},
                             headers=auth, timeout=5)
    assert nameless.status_code == 400
    hook = requests.post(f"{api}/user/company/webhook/", headers=auth, timeout=5,
                         json={"url": "https://ponte.example.com/webhooks/x", "type": "doc_signed",
                               "headers": [{"name": "X-Ponte-Secret", "value": SECRET}]})
    assert hook.status_code == 200 and hook.json()["id"] == 2


def test_docs_list_filters_and_reset(ctx: Context, double: RunningServer) -> None:
    create_document_from_template(ctx, contract(external_id="a"))
    create_document_from_template(ctx, contract(external_id="b"))
    auth = {"Authorization": f"Bearer {TOKEN}"}
    page = requests.get(f"{double.url}/api/v1/docs/", params={"page": 1, "sort_order": "desc"},
                        headers=auth, timeout=5).json()
    assert [d["external_id"] for d in page["results"]] == ["b", "a"]
    signed = requests.get(f"{double.url}/api/v1/docs/", params={"page": 1, "status": "signed"},
                          headers=auth, timeout=5).json()
    assert signed["count"] == 0
    requests.post(f"{double.url}/_sandbox/reset", timeout=5).raise_for_status()
    assert requests.get(f"{double.url}/_sandbox/state", timeout=5).json()["documents"] == []


def test_company_webhooks_registered_by_the_connector_deliver_with_its_header_until_deleted(
        double: RunningServer, inbox: tuple[Inbox, RunningServer]) -> None:
    """The ZapSign webhook_admin against the double: ``POST /user/company/webhook/`` per type (all
    document events, and email_bounce), the events with the custom header, ``webhook/header/``
    adding one, ``DELETE .../delete/`` stopping them."""
    box, receiver = inbox
    requests.post(f"{double.url}/_sandbox/reset", timeout=5).raise_for_status()
    state = requests.get(f"{double.url}/_sandbox/state", timeout=5).json()
    auth = {"Authorization": f"Bearer {TOKEN}"}
    api = f"{double.url}/api/v1"
    for hook in state["webhooks"]:  # the fixture's pre-configured one: this test registers its own
        requests.delete(f"{api}/user/company/webhook/delete/", json={"id": hook["id"]}, headers=auth, timeout=5)
    ctx = Context(config={"api_token": TOKEN, "base_url": api, "webhook_secret": SECRET})
    target = WebhookTarget(url=f"{receiver.url}/webhooks/zs", secret=SECRET)
    registration = CONNECTOR.webhook_admin.register(ctx, target)
    hooks = requests.get(f"{double.url}/_sandbox/state", timeout=5).json()["webhooks"]
    assert sorted(h["type"] for h in hooks) == ["", "email_bounce"] and len(registration.ids) == 2
    assert len(set(registration.ids) | {str(h["id"]) for h in state["webhooks"]}) == 3  # ids never reused
    added = requests.post(f"{api}/user/company/webhook/header/", headers=auth, timeout=5,
                          json={"id": hooks[0]["id"], "headers": [{"name": "X-Extra", "value": "1"}]})
    assert added.status_code == 200 and added.json()["headers"] == ["X-Ponte-Secret", "X-Extra"]
    requests.post(f"{double.url}/_sandbox/docs", json={}, timeout=5).raise_for_status()
    [delivery] = deliveries(double)
    assert delivery["status"] == "delivered" and delivery["event_type"] == "doc_created"
    with box.lock:
        [received] = list(box.received)
    assert received.headers["x-ponte-secret"] == SECRET and received.headers["x-extra"] == "1"
    assert CONNECTOR.webhook_admin.unregister(ctx, replace(target, known=registration.as_state()))
    assert requests.get(f"{double.url}/_sandbox/state", timeout=5).json()["webhooks"] == []
    requests.post(f"{double.url}/_sandbox/docs", json={}, timeout=5).raise_for_status()
    assert len(deliveries(double)) == 1  # nothing new: no webhook left
