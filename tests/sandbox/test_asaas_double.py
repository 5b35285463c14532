"""The Asaas double over real HTTP: auth, error format, pagination, webhooks, faults.

The double runs under ``sandbox.asaas.serve`` (``serve_in_thread`` with a request handler that
keeps the underscore ``access_token`` header); the receiving app under ``serve_in_thread``.

The last tests drive the real connector against it, as the end-to-end tests and the demo will.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from flask import Flask, request
from validate_docbr import CPF

from connectors.asaas import CONNECTOR
from connectors.sdk import Context, TransientError
from sandbox.asaas import DEFAULT_API_KEY, serve
from sandbox.server import RunningServer, serve_in_thread

TOKEN = "Wq7rTzK0pLm4Xv9bNc2hYd6sFa8jRe1uGt5kQw3Zx"


class Receiver:
    """A tiny webhook endpoint that records deliveries and answers ``status``."""

    def __init__(self) -> None:
        self.deliveries: list[dict[str, Any]] = []
        self.status = 200
        self.lock = threading.Lock()
        app = Flask("receiver")

        @app.post("/hook")
        def hook() -> Any:
            with self.lock:
                self.deliveries.append({"headers": dict(request.headers), "json": request.get_json()})
            return "ok", self.status

        self.server = serve_in_thread(app)

    @property
    def url(self) -> str:
        return f"{self.server.url}/hook"


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.stop()


@pytest.fixture(scope="module")
def double(receiver: Receiver) -> Iterator[RunningServer]:
    server = serve(webhook_target=receiver.url, webhook_token=TOKEN)
    yield server
    server.stop()


@pytest.fixture
def api(double: RunningServer, receiver: Receiver) -> Iterator[Api]:
    requests.post(f"{double.url}/_sandbox/reset", timeout=5)
    receiver.deliveries.clear()
    receiver.status = 200
    yield Api(double.url)


class Api:
    def __init__(self, url: str) -> None:
        self.url = url
        self.session = requests.Session()
        self.session.headers.update({"access_token": DEFAULT_API_KEY, "User-Agent": "tests"})

    def __call__(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.session.request(method, f"{self.url}{path}", timeout=10, **kwargs)

    def control(self, method: str, path: str, **kwargs: Any) -> Any:
        response = requests.request(method, f"{self.url}/_sandbox{path}", timeout=20, **kwargs)
        assert response.status_code == 200, response.text
        return response.json()

    def customer(self, **fields: Any) -> dict[str, Any]:
        response = self("POST", "/v3/customers", json={"name": "Marina Costa Andrade",
                                                        "cpfCnpj": CPF().generate(), **fields})
        assert response.status_code == 200, response.text
        return response.json()


def test_missing_or_wrong_key_is_401_invalid_access_token(api: Api) -> None:
    for headers in ({}, {"access_token": "$aact_hmlg_wrong"}):
        response = requests.get(f"{api.url}/v3/customers", headers=headers, timeout=5)
        assert response.status_code == 401
        assert response.json()["errors"][0]["code"] == "invalid_access_token"


def test_a_get_with_a_body_is_403(api: Api) -> None:
    assert api("GET", "/v3/customers", json={"limit": 1}).status_code == 403


def test_customer_validation_uses_asaas_error_format(api: Api) -> None:
    response = api("POST", "/v3/customers", json={"cpfCnpj": "123.456.789-00"})
    assert response.status_code == 400
    codes = [e["code"] for e in response.json()["errors"]]
    assert codes == ["invalid_name", "invalid_cpfCnpj"]
    assert all(e["description"] for e in response.json()["errors"])


def test_duplicate_customers_are_allowed_and_searchable(api: Api) -> None:
    first = api.customer(cpfCnpj="529.982.247-25", email="marina@example.com.br")
    second = api.customer(cpfCnpj="52998224725")
    assert first["id"] != second["id"] and first["id"].startswith("cus_") and len(first["id"]) == 16
    found = api("GET", "/v3/customers", params={"cpfCnpj": "52998224725"}).json()
    assert found["object"] == "list" and found["totalCount"] == 2
    assert api("GET", f"/v3/customers/{first['id']}").json()["email"] == "marina@example.com.br"
    assert api("GET", "/v3/customers/cus_nope").status_code == 404


def test_payment_validation(api: Api) -> None:
    response = api("POST", "/v3/payments", json={"customer": "cus_nope", "billingType": "CASH",
                                                 "value": 0, "dueDate": "10/03/2025"})
    assert response.status_code == 400
    assert [e["code"] for e in response.json()["errors"]] == [
        "invalid_customer", "invalid_billingType", "invalid_value", "invalid_dueDate"]


def test_payments_list_filters_and_paginates(api: Api) -> None:
    customer = api.customer()
    for day in range(1, 13):
        body = {"customer": customer["id"], "billingType": "PIX", "value": 100 + day,
                "dueDate": f"2030-03-{day:02d}", "externalReference": f"ref-{day}"}
        payment = api("POST", "/v3/payments", json=body).json()
        assert payment["id"].startswith("pay_") and len(payment["id"]) == 20
        assert payment["status"] == "PENDING" and payment["invoiceUrl"].startswith(api.url + "/i/")
    first = api("GET", "/v3/payments", params={"dueDate[ge]": "2030-03-03", "dueDate[le]": "2030-03-10",
                                               "limit": 5}).json()
    assert (first["totalCount"], first["hasMore"], len(first["data"]), first["limit"]) == (8, True, 5, 5)
    rest = api("GET", "/v3/payments", params={"dueDate[ge]": "2030-03-03", "dueDate[le]": "2030-03-10",
                                              "limit": 5, "offset": 5}).json()
    assert (rest["hasMore"], len(rest["data"])) == (False, 3)
    assert api("GET", "/v3/payments", params={"limit": 500}).json()["limit"] == 100
    by_ref = api("GET", "/v3/payments", params={"externalReference": "ref-7"}).json()["data"]
    assert [p["value"] for p in by_ref] == [107.0]


def test_webhooks_carry_the_token_and_resends_keep_the_id(api: Api, receiver: Receiver) -> None:
    payment = api.control("POST", "/payments", json={"customer": {"name": "Ana"}, "value": 99.9})
    api.control("POST", f"/payments/{payment['id']}/pay")
    assert api.control("POST", "/drain") == {"drained": True}
    created, received = receiver.deliveries
    assert created["headers"]["Asaas-Access-Token"] == TOKEN
    assert created["json"]["event"] == "PAYMENT_CREATED" and received["json"]["event"] == "PAYMENT_RECEIVED"
    assert received["json"]["payment"]["status"] == "RECEIVED" and received["json"]["payment"]["paymentDate"]
    event_id = created["json"]["id"]
    assert event_id.startswith("evt_") and "&" in event_id and len(event_id.split("&")[0]) == 36
    resent = api.control("POST", f"/events/{requests.utils.quote(event_id, safe='')}/resend")
    api.control("POST", "/drain")
    assert resent["id"] == event_id and receiver.deliveries[-1]["json"]["id"] == event_id
    state = api.control("GET", "/state")
    assert [d["ok"] for d in state["deliveries"]] == [True, True, True]


def test_only_an_exact_200_counts_as_delivered(api: Api, receiver: Receiver) -> None:
    receiver.status = 204
    api.control("POST", "/payments", json={})
    api.control("POST", "/drain")
    deliveries = api.control("GET", "/state")["deliveries"]
    assert {(d["status_code"], d["ok"]) for d in deliveries} == {(204, False)}
    assert len(deliveries) == 15  # retried until the queue paused (tests/sandbox/test_asaas_webhooks.py)


def test_deleting_a_payment_emits_payment_deleted(api: Api, receiver: Receiver) -> None:
    payment = api.control("POST", "/payments", json={})
    assert api("DELETE", f"/v3/payments/{payment['id']}").json() == {"deleted": True, "id": payment["id"]}
    api.control("POST", "/drain")
    assert [d["json"]["event"] for d in receiver.deliveries] == ["PAYMENT_CREATED", "PAYMENT_DELETED"]
    assert api("GET", "/v3/payments").json()["totalCount"] == 0


def test_faults_answer_in_order_then_normal(api: Api) -> None:
    api.control("POST", "/faults", json={"method": "GET", "path": "/v3/customers", "responses": [
        {"status": 500}, {"status": 429, "headers": {"Retry-After": "1"}}]})
    first, second, third = (api("GET", "/v3/customers") for _ in range(3))
    assert first.status_code == 500 and first.json()["errors"][0]["code"] == "sandbox_fault"
    assert second.status_code == 429 and second.headers["Retry-After"] == "1"
    assert third.status_code == 200


def test_the_request_log_never_holds_the_key(api: Api) -> None:
    api("GET", "/v3/customers", params={"name": "Ana"})
    [logged] = api.control("GET", "/requests")
    assert logged == {"method": "GET", "path": "/v3/customers", "query": {"name": "Ana"}, "json": None,
                      "user_agent": "tests"}
    assert DEFAULT_API_KEY not in str(api.control("GET", "/requests"))


# -- the real connector against the double ------------------------------------------------------

def connector_ctx(api: Api, attempt: int = 1) -> tuple[Context, list[float]]:
    waits: list[float] = []
    ctx = Context(config={"api_key": DEFAULT_API_KEY, "base_url": f"{api.url}/v3"},
                  logger=logging.getLogger("test"), idempotency_key="ponte-7-1", attempt=attempt,
                  sleep=waits.append)
    return ctx, waits


def test_connector_round_trip(api: Api) -> None:
    ctx, _ = connector_ctx(api)
    assert "Connected to Asaas (custom URL)" in CONNECTOR.test_credentials(ctx)
    find_or_create = CONNECTOR.action("find_or_create_customer").run
    customer = find_or_create(ctx, {"name": "Ana Souza", "cpfCnpj": "529.982.247-25"})
    again = find_or_create(ctx, {"name": "Ana Souza", "cpfCnpj": "52998224725"})
    assert (customer["created"], again["created"], again["id"]) == (True, False, customer["id"])
    payment = CONNECTOR.action("create_payment").run(ctx, {
        "customer": customer["id"], "billingType": "BOLETO", "value": 450.0, "dueDate": "2030-03-10"})
    assert payment["externalReference"] == "ponte-7-1" and payment["bankSlipUrl"]
    agents = {r["user_agent"] for r in api.control("GET", "/requests")}
    assert agents == {"Ponte/1.0 (+self-hosted iPaaS)"}


def test_connector_retry_after_a_write_that_failed_but_happened(api: Api) -> None:
    customer = api.customer()
    data = {"customer": customer["id"], "billingType": "PIX", "value": 80.0, "dueDate": "2030-04-01"}
    api.control("POST", "/faults", json={"method": "POST", "path": "/v3/payments",
                                         "responses": [{"status": 500, "apply": True}]})
    ctx, _ = connector_ctx(api, attempt=1)
    with pytest.raises(TransientError) as caught:
        CONNECTOR.action("create_payment").run(ctx, data)
    assert caught.value.ambiguous
    ctx, _ = connector_ctx(api, attempt=2)
    output = CONNECTOR.action("create_payment").run(ctx, data)
    assert output["reused"] is True
    assert len(api.control("GET", "/state")["payments"]) == 1


def test_connector_waits_out_a_429_from_the_double(api: Api) -> None:
    api.control("POST", "/faults", json={"method": "GET", "path": "/v3/payments/*", "responses": [
        {"status": 429, "headers": {"Retry-After": "1"}}, {"status": 503}]})
    payment = api.control("POST", "/payments", json={})
    ctx, waits = connector_ctx(api)
    assert CONNECTOR.action("get_payment").run(ctx, {"id": payment["id"]})["id"] == payment["id"]
    assert waits[0] == 1.0 and len(waits) == 2


def test_connector_enriches_a_delivered_event(api: Api, receiver: Receiver) -> None:
    api.control("POST", "/payments", json={"customer": {"name": "Bia Lima", "email": "bia@example.com.br"}})
    api.control("POST", "/drain")
    [delivery] = receiver.deliveries
    [event] = CONNECTOR.webhook.parse(delivery["json"])
    ctx, _ = connector_ctx(api)
    output = CONNECTOR.trigger("payment_created").output(ctx, event.payload, {})
    assert output["customer"]["email"] == "bia@example.com.br"
    assert output["event_id"] == delivery["json"]["id"]
