"""``POST /v3/payments/{id}`` in the Asaas double, over real HTTP: only PENDING/OVERDUE payments
change, the body is validated as a create's, PAYMENT_UPDATED is emitted and the payment answered."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
import requests
from validate_docbr import CPF

from sandbox.asaas import DEFAULT_API_KEY, serve
from sandbox.server import RunningServer

HEADERS = {"access_token": DEFAULT_API_KEY}


@pytest.fixture(scope="module")
def double() -> Iterator[RunningServer]:
    server = serve()
    yield server
    server.stop()


@pytest.fixture
def url(double: RunningServer) -> str:
    requests.post(f"{double.url}/_sandbox/reset", timeout=5).raise_for_status()
    return double.url


def _payment(url: str, due: date, **extra: Any) -> dict[str, Any]:
    customer = requests.post(f"{url}/v3/customers", headers=HEADERS, timeout=5,
                             json={"name": "Marina Costa", "cpfCnpj": CPF().generate()}).json()
    body = {"customer": customer["id"], "billingType": "BOLETO", "value": 450.0,
            "dueDate": due.isoformat(), **extra}
    response = requests.post(f"{url}/v3/payments", headers=HEADERS, json=body, timeout=5)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _update(url: str, payment_id: str, body: dict[str, Any]) -> requests.Response:
    return requests.post(f"{url}/v3/payments/{payment_id}", headers=HEADERS, json=body, timeout=5)


def _events(url: str) -> list[dict[str, Any]]:
    return list(requests.get(f"{url}/_sandbox/state", timeout=5).json()["events"])


def test_an_overdue_payment_takes_fine_and_interest(url: str) -> None:
    due = date.today() - timedelta(days=10)
    payment = _payment(url, due)
    requests.post(f"{url}/_sandbox/payments/{payment['id']}/overdue", timeout=5).raise_for_status()
    response = _update(url, payment["id"], {
        "billingType": "BOLETO", "value": 450.0, "dueDate": due.isoformat(),
        "fine": {"value": 2, "type": "PERCENTAGE"}, "interest": {"value": 1}})
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["id"] == payment["id"] and updated["status"] == "OVERDUE"
    assert updated["fine"] == {"value": 2, "type": "PERCENTAGE"}
    assert updated["interest"] == {"value": 1, "type": "PERCENTAGE"}
    assert requests.get(f"{url}/v3/payments/{payment['id']}", headers=HEADERS, timeout=5).json() == updated
    last = _events(url)[-1]
    assert last["event"] == "PAYMENT_UPDATED" and last["payment"]["fine"]["value"] == 2


def test_the_documented_fields_change_and_the_customer_stays(url: str) -> None:
    payment = _payment(url, date.today() + timedelta(days=5))
    new_due = (date.today() + timedelta(days=20)).isoformat()
    updated = _update(url, payment["id"], {
        "customer": "cus_someoneelse", "billingType": "PIX", "value": 500, "dueDate": new_due,
        "description": "Mensalidade de março", "externalReference": "contrato-7",
        "discount": {"value": 10, "type": "FIXED", "dueDateLimitDays": 0}}).json()
    assert (updated["billingType"], updated["value"], updated["dueDate"]) == ("PIX", 500.0, new_due)
    assert updated["netValue"] == 499.01 and updated["originalDueDate"] == payment["dueDate"]
    assert updated["description"] == "Mensalidade de março" and updated["externalReference"] == "contrato-7"
    assert updated["discount"]["value"] == 10 and updated["discount"]["type"] == "FIXED"
    assert updated["customer"] == payment["customer"]


def test_an_overdue_payment_moved_to_a_later_due_date_is_pending_again(url: str) -> None:
    payment = _payment(url, date.today() - timedelta(days=3))
    requests.post(f"{url}/_sandbox/payments/{payment['id']}/overdue", timeout=5).raise_for_status()
    later = (date.today() + timedelta(days=7)).isoformat()
    updated = _update(url, payment["id"], {"billingType": "BOLETO", "value": 450.0, "dueDate": later}).json()
    assert updated["status"] == "PENDING" and updated["dueDate"] == later


def test_a_paid_payment_cannot_be_updated(url: str) -> None:
    payment = _payment(url, date.today())
    requests.post(f"{url}/_sandbox/payments/{payment['id']}/pay", timeout=5).raise_for_status()
    before = len(_events(url))
    response = _update(url, payment["id"], {"billingType": "BOLETO", "value": 450.0,
                                            "dueDate": payment["dueDate"], "fine": {"value": 2}})
    assert response.status_code == 400
    [problem] = response.json()["errors"]
    assert problem["code"] == "invalid_action" and "aguardando pagamento ou vencidas" in problem["description"]
    assert len(_events(url)) == before
    assert requests.get(f"{url}/v3/payments/{payment['id']}", headers=HEADERS, timeout=5).json()["fine"]["value"] == 0


def test_the_update_is_validated_like_a_create(url: str) -> None:
    payment = _payment(url, date.today())
    response = _update(url, payment["id"], {"billingType": "CASH", "value": -1, "dueDate": "10/03/2025",
                                            "fine": {"value": "two"}, "interest": {"value": -1},
                                            "discount": {"value": 5, "type": "HALF"}})
    assert response.status_code == 400
    assert [e["code"] for e in response.json()["errors"]] == [
        "invalid_billingType", "invalid_value", "invalid_dueDate", "invalid_fine", "invalid_interest",
        "invalid_discount"]
    assert _update(url, payment["id"], {"fine": {"value": 2}}).status_code == 400  # value etc. required
    assert requests.get(f"{url}/v3/payments/{payment['id']}", headers=HEADERS, timeout=5).json() == payment


def test_unknown_or_removed_payments_are_404(url: str) -> None:
    body = {"billingType": "BOLETO", "value": 1.0, "dueDate": date.today().isoformat()}
    assert _update(url, "pay_nope", body).status_code == 404
    payment = _payment(url, date.today())
    assert requests.delete(f"{url}/v3/payments/{payment['id']}", headers=HEADERS, timeout=5).status_code == 200
    assert _update(url, payment["id"], body).status_code == 404
    assert requests.post(f"{url}/v3/payments/pay_nope", headers=HEADERS, data="x", timeout=5).status_code == 400
