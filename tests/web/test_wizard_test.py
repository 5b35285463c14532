"""The wizard's test panel (finish screen): a real event, the mapped input as labelled fields, and one
real send after a confirmation, in pt-BR and English. The services are ``responses`` mocks."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import responses
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.db import get_session
from app.engine import trial
from app.models import AuditEvent, Event, Run
from app.web import wizard_data
from connectors.zapsign.triggers import WEBHOOK_EXAMPLES

ASAAS = "https://asaas.test/v3"
ZAPSIGN = "https://zapsign.test/api/v1"
SEED_TEMPLATE = "c2a8b6a4-1f0e-4b53-9a57-5f0c2e8d7a10"  # mappings/charge_to_contract.yaml
CUSTOMER = {"object": "customer", "id": "cus_000000000001", "name": "Marina Costa", "email": "Marina@Example.com",
            "cpfCnpj": "24971563792", "personType": "FISICA"}
CREATED_DOC = {"token": "doc-token-0001", "name": "Contrato de prestação de serviços", "status": "pending",
               "external_id": None, "open_id": 7,
               "signers": [{"token": "signer-0001", "name": "Marina Costa", "email": "marina@example.com",
                            "sign_url": "https://app.zapsign.test/verificar/signer-0001", "status": "new"}]}
TEXT = {
    "pt_BR": {"template": "Contrato de prestação de serviços", "sample": "evento de exemplo",
              "confirm": "Enviar de verdade?", "sent": "Enviado de verdade.", "again": "já tinha sido enviado",
              "changed": "mudou desde que você confirmou"},
    "en": {"template": "Contrato de prestação de serviços", "sample": "sample event", "confirm": "Send for real?",
           "sent": "Sent for real.", "again": "had already been sent", "changed": "changed since you confirmed"},
}


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> None:
    """The ZapSign template lookups answer like the sandbox account (no network)."""

    def fake(connection: Any, key: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        if key == "templates":
            return [{"value": SEED_TEMPLATE, "label": "Contrato de prestação de serviços", "active": True}]
        return [{"value": v, "label": v.title(), "required": True}
                for v in ("NOME COMPLETO", "CPF", "EMAIL DO CLIENTE", "VALOR", "VENCIMENTO")]

    monkeypatch.setattr(wizard_data, "run_lookup", fake)


@pytest.fixture
def accounts(make_connection: Callable[..., int]) -> dict[str, int]:
    return {"asaas": make_connection("asaas", "asaas", api_key="$aact_test_key_0001", base_url=ASAAS),
            "zapsign": make_connection("zapsign", "zapsign", api_token="zs-token-0001", base_url=ZAPSIGN)}


def _event(app: Flask, connection_id: int, event_type: str, payload: dict[str, Any], n: int) -> int:
    with app.app_context():
        session = get_session()
        event = Event(connection_id=connection_id, dedupe_key=f"evt-{event_type}-{n}", event_type=event_type,
                      payload=payload, received_at=datetime(2026, 12, 5, 13, n, tzinfo=UTC),
                      dispatched_at=datetime(2026, 12, 5, 13, n, tzinfo=UTC))
        session.add(event)
        session.commit()
        return event.id


def _charge(app: Flask, accounts: dict[str, int], n: int = 1, value: float = 1500.0) -> int:
    payment = {"object": "payment", "id": f"pay_{n:012d}", "customer": CUSTOMER["id"], "value": value,
               "billingType": "BOLETO", "status": "PENDING", "dueDate": "2026-12-20", "description": "Consultoria"}
    return _event(app, accounts["asaas"], "PAYMENT_CREATED",
                  {"id": f"evt_{n}", "event": "PAYMENT_CREATED", "dateCreated": "2026-12-05 10:00:00",
                   "payment": payment}, n)


def _start(client: FlaskClient, template: str, connections: dict[str, str]) -> str:
    response = client.post("/automations/new", data={"template": template})
    base = response.location.rsplit("/", 1)[0]
    client.post(f"{base}/connect", data={**connections, "go": "next"})
    return base


def _locale(client: FlaskClient, locale: str) -> None:
    assert client.post("/locale", data={"locale": locale}).status_code in (200, 302)


def _key(html: str) -> str:
    found = re.search(r'name="key" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


@pytest.mark.parametrize("locale", ["pt_BR", "en"])
@responses.activate
def test_a_real_charge_is_shown_as_labelled_fields_and_sent_once(
    app: Flask, operator_client: FlaskClient, accounts: dict[str, int], lookups: None, locale: str
) -> None:
    _locale(operator_client, locale)
    older = _charge(app, accounts, 1, 900.0)
    newest = _charge(app, accounts, 2, 1500.0)
    responses.get(f"{ASAAS}/customers/{CUSTOMER['id']}", json=CUSTOMER)
    create = responses.post(f"{ZAPSIGN}/models/create-doc/", json=CREATED_DOC)
    base = _start(operator_client, "asaas_charge_to_contract",
                  {"trigger_connection": "asaas", "step_connection_0": "zapsign"})
    assert 'id="test-panel"' in operator_client.get(f"{base}/finish").get_data(as_text=True)

    panel = operator_client.get(f"{base}/test").get_data(as_text=True)
    money = "R$ 1.500,00" if locale == "pt_BR" else "R$1,500.00"
    day = "05/12/2026" if locale == "pt_BR" else "Dec 5, 2026"
    # the chooser: the newest real event first, by its summary and day; then the sample
    options = [(v, t.replace("\xa0", " ")) for v, t in
               re.findall(r'<option value="([^"]+)"[^>]*>([^<]+)</option>', panel)]
    assert [v for v, _ in options] == [f"event:{newest}", f"event:{older}", "sample"]
    assert money in options[0][1] and "pay_000000000002" in options[0][1] and day in options[0][1]
    assert TEXT[locale]["sample"] in options[2][1]
    # the mapped input, labelled, with the template's name instead of its id
    assert TEXT[locale]["template"] in panel and SEED_TEMPLATE not in panel
    assert "MARINA COSTA" not in panel and "Marina Costa" in panel and "249.715.637-92" in panel
    assert "R$ 1.500,00" in panel and "20/12/2026" in panel  # the template's own formats
    assert "signer_name" not in panel.replace('data-field="signer_name"', "")  # no raw field names shown
    assert 'id="test-send"' in panel

    confirm = operator_client.get(f"{base}/test/confirm?sample=event:{newest}").get_data(as_text=True)
    assert TEXT[locale]["confirm"] in confirm
    intent = re.search(r'<ol class="test-intents"><li>(.*?)</li>', confirm, re.S)
    assert intent and "ZapSign" in intent.group(1) and "“zapsign”" in intent.group(1)
    assert TEXT[locale]["template"] in intent.group(1) and "Marina Costa" in intent.group(1)
    key = _key(confirm)
    assert not create.calls  # nothing is sent before the confirmation

    sent = operator_client.post(f"{base}/test/send", data={"sample": f"event:{newest}", "key": key})
    page = sent.get_data(as_text=True)
    assert sent.status_code == 200 and TEXT[locale]["sent"] in page
    assert "doc-token-0001" in page and 'href="https://app.zapsign.test/verificar/signer-0001"' in page
    body = json.loads(create.calls[0].request.body)
    assert body["template_id"] == SEED_TEMPLATE and body["signer_name"] == "Marina Costa"
    assert body["external_id"] == f"{key}-1" and body["external_id"].startswith("ponte-")

    again = operator_client.post(f"{base}/test/send", data={"sample": f"event:{newest}", "key": key})
    assert again.status_code == 200 and TEXT[locale]["again"] in again.get_data(as_text=True)
    assert len(create.calls) == 1  # a resubmit is the same test: one document
    with app.app_context():
        session = get_session()
        row = session.scalar(select(AuditEvent).where(AuditEvent.action == trial.AUDIT_ACTION))
        assert row is not None and row.subject == key and row.detail["status"] == "done"
        assert "zs-token-0001" not in json.dumps(row.detail)
        assert session.scalar(select(func.count()).select_from(Run)) == 0  # a test is not a run


@responses.activate
def test_a_changed_mapping_after_the_confirmation_is_refused_with_409(
    app: Flask, operator_client: FlaskClient, accounts: dict[str, int], lookups: None
) -> None:
    event = _charge(app, accounts)
    responses.get(f"{ASAAS}/customers/{CUSTOMER['id']}", json=CUSTOMER)
    create = responses.post(f"{ZAPSIGN}/models/create-doc/", json=CREATED_DOC)
    base = _start(operator_client, "asaas_charge_to_contract",
                  {"trigger_connection": "asaas", "step_connection_0": "zapsign"})
    key = _key(operator_client.get(f"{base}/test/confirm?sample=event:{event}").get_data(as_text=True))
    operator_client.post(f"{base}/preview", data={"v|0|signer_name": "Outra Pessoa"})
    refused = operator_client.post(f"{base}/test/send", data={"sample": f"event:{event}", "key": key})
    assert refused.status_code == 409 and TEXT["pt_BR"]["changed"] in refused.get_data(as_text=True)
    assert not create.calls


@responses.activate
def test_an_empty_event_field_is_shown_at_its_field_and_nothing_can_be_sent(
    app: Flask, operator_client: FlaskClient, accounts: dict[str, int], lookups: None
) -> None:
    event = _charge(app, accounts)
    responses.get(f"{ASAAS}/customers/{CUSTOMER['id']}", json={**CUSTOMER, "email": None})
    base = _start(operator_client, "asaas_charge_to_contract",
                  {"trigger_connection": "asaas", "step_connection_0": "zapsign"})
    panel = operator_client.get(f"{base}/test?sample=event:{event}").get_data(as_text=True)
    field = re.search(r'<div class="test-field invalid" data-field="variables.EMAIL DO CLIENTE">(.*?)</div>',
                      panel, re.S)
    assert field and "$.customer.email não tem valor neste evento" in field.group(1)
    assert 'id="test-send"' not in panel
    assert operator_client.get(f"{base}/test/confirm?sample=event:{event}").status_code == 409


@pytest.mark.parametrize("locale", ["pt_BR", "en"])
@responses.activate
def test_the_services_error_is_shown_and_nothing_is_recorded_as_a_run(
    app: Flask, operator_client: FlaskClient, accounts: dict[str, int], lookups: None, locale: str
) -> None:
    _locale(operator_client, locale)
    event = _charge(app, accounts)
    responses.get(f"{ASAAS}/customers/{CUSTOMER['id']}", json=CUSTOMER)
    responses.post(f"{ZAPSIGN}/models/create-doc/", status=400, json={"detail": "Modelo não encontrado"})
    base = _start(operator_client, "asaas_charge_to_contract",
                  {"trigger_connection": "asaas", "step_connection_0": "zapsign"})
    key = _key(operator_client.get(f"{base}/test/confirm?sample=event:{event}").get_data(as_text=True))
    page = operator_client.post(f"{base}/test/send", data={"sample": f"event:{event}", "key": key}).get_data(
        as_text=True)
    assert "Modelo não encontrado" in page
    said = {"pt_BR": "ZapSign recusou o pedido (HTTP 400)", "en": "ZapSign refused the request (HTTP 400)"}
    assert said[locale] in page
    assert ("recusado pelo serviço" if locale == "pt_BR" else "refused by the service") in page
    with app.app_context():
        session = get_session()
        row = session.scalar(select(AuditEvent).where(AuditEvent.action == trial.AUDIT_ACTION))
        assert row is not None and row.detail["status"] == "failed"
        assert session.scalar(select(func.count()).select_from(Run)) == 0


@responses.activate
def test_signed_to_charge_shows_both_steps_and_sends_them_in_order(
    app: Flask, operator_client: FlaskClient, accounts: dict[str, int]
) -> None:
    signed = {**WEBHOOK_EXAMPLES["doc_signed"], "status": "signed"}
    event = _event(app, accounts["zapsign"], "doc_signed", signed, 1)
    responses.get(f"{ASAAS}/customers", json={"object": "list", "hasMore": False, "totalCount": 0, "data": []})
    made = responses.post(f"{ASAAS}/customers", json={**CUSTOMER, "id": "cus_000000000777"})
    charge = responses.post(f"{ASAAS}/payments", json={
        "object": "payment", "id": "pay_000000000777", "customer": "cus_000000000777", "value": 1500.0,
        "billingType": "BOLETO", "status": "PENDING", "dueDate": "2026-12-20",
        "invoiceUrl": "https://sandbox.asaas.test/i/777", "externalReference": "x"})
    base = _start(operator_client, "zapsign_signed_to_charge",
                  {"trigger_connection": "zapsign", "step_connection_0": "asaas", "step_connection_1": "asaas"})
    panel = operator_client.get(f"{base}/test").get_data(as_text=True)
    assert f'value="event:{event}" selected' in panel
    assert f"Documento assinado #{event} · 05/12/2026" in panel  # no run yet: the trigger's title, not doc_signed
    assert panel.count('class="test-step"') == 2
    assert "amostra" in panel  # step 2's customer is the sample's until step 1 really runs
    key = _key(operator_client.get(f"{base}/test/confirm?sample=event:{event}").get_data(as_text=True))
    page = operator_client.post(f"{base}/test/send", data={"sample": f"event:{event}", "key": key}).get_data(
        as_text=True)
    assert "Enviado de verdade." in page and 'href="https://sandbox.asaas.test/i/777"' in page
    assert len(made.calls) == 1 and len(charge.calls) == 1
    body = json.loads(charge.calls[0].request.body)
    assert body["customer"] == "cus_000000000777"  # the real output of step 1, not the sample's
    assert body["externalReference"] == f"{key}-2"


@responses.activate
def test_bad_input_is_a_4xx_with_a_message_never_a_500(
    app: Flask, admin_client: FlaskClient, operator_client: FlaskClient, accounts: dict[str, int], lookups: None
) -> None:
    base = _start(operator_client, "asaas_charge_to_contract",
                  {"trigger_connection": "asaas", "step_connection_0": "zapsign"})
    assert admin_client.get(f"{base}/test").status_code == 404  # another person's draft
    assert admin_client.post(f"{base}/test/send", data={"sample": "sample", "key": "x"}).status_code == 404
    # No real event yet: the sample, said so; an unknown sample falls back to it.
    panel = operator_client.get(f"{base}/test?sample=event:999999").get_data(as_text=True)
    assert "Ainda não chegou nenhum evento real" in panel and 'value="sample" selected' in panel
    missing = operator_client.post(f"{base}/test/send", data={"sample": "sample"})
    assert missing.status_code == 409 and "confirme de novo" in missing.get_data(as_text=True)
    assert operator_client.get("/automations/wizard/nope/test").status_code == 404
    assert not responses.calls


@responses.activate
def test_an_event_the_service_cannot_complete_is_said_in_the_panel(
    app: Flask, operator_client: FlaskClient, accounts: dict[str, int], lookups: None
) -> None:
    event = _charge(app, accounts)
    responses.get(f"{ASAAS}/customers/{CUSTOMER['id']}", status=401, json={"errors": [
        {"code": "invalid_access_token", "description": "A chave de API fornecida é inválida"}]})
    base = _start(operator_client, "asaas_charge_to_contract",
                  {"trigger_connection": "asaas", "step_connection_0": "zapsign"})
    response = operator_client.get(f"{base}/test?sample=event:{event}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Não foi possível ler o Asaas para este evento" in page
    assert "Asaas recusou as credenciais (HTTP 401): A chave de API fornecida é inválida" in page
    assert 'id="test-send"' not in page
