"""Payments a subscription generates go through the collection rule like any other payment."""

from __future__ import annotations

import requests

from sandbox import asaas as asaas_double
from tests.collection.env import CollectionEnv

HEADERS = {"access_token": asaas_double.DEFAULT_API_KEY}


def _subscription(collection: CollectionEnv, first_due: str) -> dict:
    customer = requests.post(f"{collection.asaas.url}/v3/customers", headers=HEADERS, timeout=5, json={
        "name": "Ana Souza", "cpfCnpj": "52998224725", "email": "ana@example.com"}).json()
    response = requests.post(f"{collection.asaas.url}/v3/subscriptions", headers=HEADERS, timeout=5, json={
        "customer": customer["id"], "billingType": "BOLETO", "value": 1234.56, "nextDueDate": first_due,
        "cycle": "MONTHLY", "description": "Mensalidade", "externalReference": "zapsign-doc:abc"})
    response.raise_for_status()
    return response.json()


def test_the_rule_reminds_each_payment_of_a_subscription(collection: CollectionEnv) -> None:
    subscription = _subscription(collection, "2025-03-10")
    [first] = collection.day("2025-03-05")
    assert first.rcpt_tos == ["ana@example.com"] and "10/03/2025" in first.text and "R$ 1.234,56" in first.text
    # A cycle later Asaas generates the next payment; the rule's poll finds it like any other.
    requests.post(f"{collection.asaas.url}/_sandbox/subscriptions/{subscription['id']}/next",
                  timeout=5).raise_for_status()
    [second] = collection.day("2025-04-05")
    assert "10/04/2025" in second.text
    payments = requests.get(f"{collection.asaas.url}/_sandbox/state", timeout=5).json()["payments"]
    assert {p["subscription"] for p in payments} == {subscription["id"]} and len(payments) == 2
    assert {r.status for r in collection.runs()} == {"succeeded"}
