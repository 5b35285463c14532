"""Both seed flows end to end through real HTTP, with the sandbox doubles on both sides."""

from __future__ import annotations

from datetime import date, timedelta

import requests
from sqlalchemy import select

from app.db import get_session
from app.models import Step

from .conftest import FINAL, Stack

CUSTOMER = {"name": "Maria Souza", "cpfCnpj": "24971563792", "email": "Maria.Souza@example.com",
            "mobilePhone": "11999998888"}


def _charge(stack: Stack, **fields) -> dict:  # noqa: ANN003
    due = (date.today() + timedelta(days=10)).isoformat()
    body = {"customer": CUSTOMER, "value": 1234.56, "billingType": "BOLETO", "dueDate": due,
            "description": "Consultoria mensal", **fields}
    response = requests.post(f"{stack.asaas}/_sandbox/payments", json=body, timeout=5)
    response.raise_for_status()
    return response.json()


def _steps(stack: Stack, run_id: int) -> list[Step]:
    with stack.app.app_context():
        return list(get_session().scalars(select(Step).where(Step.run_id == run_id).order_by(Step.position)))


def test_charge_created_creates_one_contract_with_mapped_values(stack: Stack) -> None:
    payment = _charge(stack)
    [run] = stack.settle()
    assert run.status == "succeeded", run.error
    [call] = stack.zapsign_requests()
    body = call["json"]
    assert body["template_id"] == "c2a8b6a4-1f0e-4b53-9a57-5f0c2e8d7a10"
    assert body["signer_name"] == "Maria Souza"
    assert body["signer_email"] == "maria.souza@example.com"
    assert body["external_id"] == f"ponte-{run.id}-1"
    data = {item["de"]: item["para"] for item in body["data"]}
    assert data["{{VALOR}}"] == "R$\xa01.234,56" or data["{{VALOR}}"] == "R$ 1.234,56"
    assert data["{{CPF}}"] == "249.715.637-92"
    assert data["{{EMAIL DO CLIENTE}}"] == "maria.souza@example.com"
    assert set(data) == {"{{NOME COMPLETO}}", "{{CPF}}", "{{EMAIL DO CLIENTE}}", "{{VALOR}}", "{{VENCIMENTO}}",
                         "{{DESCRIÇÃO DO SERVIÇO}}"}  # exactly the double's template variables
    due = date.fromisoformat(payment["dueDate"])
    assert data["{{VENCIMENTO}}"] == due.strftime("%d/%m/%Y")
    trigger, contract = _steps(stack, run.id)
    assert trigger.output["customer"]["name"] == "Maria Souza"  # the payment was enriched
    assert contract.output["token"] and contract.status == "succeeded"


def test_a_customer_without_email_fails_the_contract_instead_of_leaving_the_variable_unfilled(
        stack: Stack) -> None:
    _charge(stack, customer={k: v for k, v in CUSTOMER.items() if k != "email"})
    [run] = stack.settle()
    assert run.status == "failed"
    _, contract = _steps(stack, run.id)
    assert contract.status == "failed" and contract.error_kind == "mapping"
    assert contract.error.startswith("variables.EMAIL DO CLIENTE: $.customer.email has no value in this event")
    assert stack.zapsign_requests() == []  # no contract with {{EMAIL DO CLIENTE}} left in it


def test_a_charge_the_filters_stop_gets_a_filtered_run_with_the_reason(stack: Stack) -> None:
    _charge(stack, value=50.0)
    [run] = stack.settle()
    assert run.status == "filtered"
    assert run.filter_result["passed"] is False
    assert "payment.value" in run.filter_result["explanation"]
    assert stack.zapsign_requests() == []


def test_a_resent_event_is_absorbed(stack: Stack) -> None:
    _charge(stack)
    stack.settle()
    [event] = [e for e in stack.events() if e.event_type.startswith("PAYMENT_")]
    requests.post(f"{stack.asaas}/_sandbox/events/{event.dedupe_key}/resend", timeout=5).raise_for_status()
    runs = stack.settle()
    assert len([e for e in stack.events() if e.event_type.startswith("PAYMENT_")]) == 1
    assert len(runs) == 1
    assert len(stack.zapsign_requests()) == 1


def test_document_signed_finds_or_creates_the_customer_and_creates_one_charge(stack: Stack) -> None:
    answers = {"NOME COMPLETO": "João da Silva", "CPF": "529.982.247-25", "VALOR": "1.500,00",
               "VENCIMENTO": "10/12/2026", "EMAIL DO CLIENTE": "joao@example.com"}
    response = requests.post(f"{stack.zapsign}/_sandbox/docs", timeout=5, json={
        "template_id": "c2a8b6a4-1f0e-4b53-9a57-5f0c2e8d7a10", "name": "Contrato João",
        "signers": [{"name": "João da Silva", "email": "joao@example.com"}], "answers": answers, "sign": True,
    })
    response.raise_for_status()
    runs = stack.settle()
    signed = [r for r in runs if r.status != "filtered" or r.filter_result is None]
    assert [r.status for r in signed] == ["succeeded"], [(r.status, r.error) for r in runs]
    run = signed[0]
    [customer_call] = stack.asaas_requests("POST", "/v3/customers")
    assert customer_call["json"]["cpfCnpj"] == "52998224725"
    [payment_call] = stack.asaas_requests("POST", "/v3/payments")
    body = payment_call["json"]
    assert body["value"] == 1500.0
    assert body["dueDate"] == "2026-12-10"
    assert body["billingType"] == "BOLETO"
    assert body["externalReference"] == f"ponte-{run.id}-2"
    assert body["customer"].startswith("cus_")


def test_signing_twice_for_the_same_customer_reuses_the_customer(stack: Stack) -> None:
    for n in (1, 2):
        requests.post(f"{stack.zapsign}/_sandbox/docs", timeout=5, json={
            "template_id": "c2a8b6a4-1f0e-4b53-9a57-5f0c2e8d7a10", "name": f"Contrato {n}",
            "signers": [{"name": "João da Silva", "email": "joao@example.com"}],
            "answers": {"CPF": "52998224725", "VALOR": "100,00", "VENCIMENTO": "10/12/2026"}, "sign": True,
        }).raise_for_status()
    runs = stack.settle(lambda rs: len(rs) >= 4 and all(r.status in FINAL for r in rs))
    # Two signed contracts → two charges; each charge's PAYMENT_CREATED is filtered by the
    # charge → contract recipe (externalReference "ponte-…"), so no second contract loop.
    assert sorted(r.status for r in runs) == ["filtered", "filtered", "succeeded", "succeeded"]
    assert len(stack.asaas_requests("POST", "/v3/customers")) == 1
    assert len(stack.asaas_requests("POST", "/v3/payments")) == 2


def test_signing_the_contract_ponte_sent_for_a_charge_does_not_charge_again(stack: Stack) -> None:
    _charge(stack)
    [run] = stack.settle()
    assert run.status == "succeeded"
    [call] = stack.zapsign_requests()
    documents = requests.get(f"{stack.zapsign}/_sandbox/state", timeout=5).json()["documents"]
    [document] = documents.values() if isinstance(documents, dict) else documents
    requests.post(f"{stack.zapsign}/_sandbox/docs/{document['token']}/sign", json={}, timeout=5).raise_for_status()
    runs = stack.settle(lambda rs: len(rs) >= 2 and all(r.status in FINAL for r in rs))
    assert [r.status for r in runs] == ["succeeded", "filtered"]
    assert "external_id" in runs[1].filter_result["explanation"]
    assert len(requests.get(f"{stack.asaas}/_sandbox/state", timeout=5).json()["payments"]) == 1
