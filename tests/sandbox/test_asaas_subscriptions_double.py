"""Subscriptions in the Asaas double, driven by the real connector: the first payment, the
SUBSCRIPTION_* deliveries, updates, cancels, and the payments the collection rule will see."""

from __future__ import annotations

from datetime import date

import pytest

from connectors.asaas import CONNECTOR
from connectors.asaas.client import client_for, iter_payments
from connectors.sdk import PermanentError
from sandbox.asaas_subscriptions import next_date
from tests.sandbox import test_asaas_double as shared
from tests.sandbox.test_asaas_double import Api, Receiver, connector_ctx

# The double, its webhook receiver and the per-test reset, shared with the double's own tests.
receiver, double, api = shared.receiver, shared.double, shared.api


def _create(api: Api, **fields: object) -> tuple[dict, dict]:
    customer = api.customer(email="marina@example.com.br")
    ctx, _ = connector_ctx(api)
    output = CONNECTOR.action("create_subscription").run(ctx, {
        "customer": customer["id"], "billingType": "BOLETO", "value": 450.0, "nextDueDate": "2030-01-31",
        "externalReference": "zapsign-doc:abc", **fields})
    return customer, output


def test_creating_a_subscription_generates_its_first_payment_and_both_events(api: Api, receiver: Receiver) -> None:
    customer, output = _create(api, cycle="MONTHLY")
    assert output["id"].startswith("sub_") and output["reused"] is False and output["nextDueDate"] == "2030-01-31"
    [payment] = api.control("GET", "/state")["payments"]
    assert (payment["subscription"], payment["dueDate"], payment["value"]) == (output["id"], "2030-01-31", 450.0)
    api.control("POST", "/drain")
    events = [d["json"] for d in receiver.deliveries]
    assert [e["event"] for e in events] == ["SUBSCRIPTION_CREATED", "PAYMENT_CREATED"]
    assert events[0]["subscription"]["id"] == output["id"] and "payment" not in events[0]
    assert events[0]["subscription"]["nextDueDate"] == "31/01/2030"  # as in the docs' webhook example
    assert events[1]["payment"]["subscription"] == output["id"]
    ctx, _ = connector_ctx(api)
    [event] = CONNECTOR.webhook.parse(events[0])
    trigger_output = CONNECTOR.trigger("subscription_created").output(ctx, event.payload, {})
    assert trigger_output["customer"]["email"] == "marina@example.com.br"
    assert CONNECTOR.trigger("payment_created").fires_on("PAYMENT_CREATED", events[1], {})


def test_a_second_create_for_the_same_reference_reuses_it(api: Api) -> None:
    customer, first = _create(api)
    ctx, _ = connector_ctx(api, attempt=1)
    again = CONNECTOR.action("create_subscription").run(ctx, {
        "customer": customer["id"], "billingType": "BOLETO", "value": 450.0, "nextDueDate": "2030-01-31",
        "externalReference": "zapsign-doc:abc"})
    assert again["reused"] is True and again["id"] == first["id"]
    assert len(api.control("GET", "/subscriptions")) == 1
    assert len(api.control("GET", "/state")["payments"]) == 1


def test_each_cycle_generates_a_payment_the_collection_rule_lists(api: Api) -> None:
    _, sub = _create(api)
    api.control("POST", f"/subscriptions/{sub['id']}/next")
    ctx, _ = connector_ctx(api)
    open_payments = list(iter_payments(client_for(ctx), {"status": "PENDING", "dueDate_le": "2030-12-31"}))
    assert sorted(p["dueDate"] for p in open_payments) == ["2030-01-31", "2030-02-28"]
    assert {p["subscription"] for p in open_payments} == {sub["id"]}


def test_update_changes_pending_payments_only_when_asked(api: Api, receiver: Receiver) -> None:
    _, sub = _create(api)
    ctx, _ = connector_ctx(api)
    update = CONNECTOR.action("update_subscription").run
    assert update(ctx, {"id": sub["id"], "value": 500.0})["value"] == 500.0
    assert api.control("GET", "/state")["payments"][0]["value"] == 450.0
    update(ctx, {"id": sub["id"], "value": 520.0, "nextDueDate": "2030-03-10", "updatePendingPayments": True})
    assert api.control("GET", "/state")["payments"][0]["value"] == 520.0
    api.control("POST", "/drain")
    assert "SUBSCRIPTION_UPDATED" in [d["json"]["event"] for d in receiver.deliveries]
    with pytest.raises(PermanentError, match="subscription not found"):
        update(ctx, {"id": "sub_nothere", "value": 1.0})


def test_cancel_removes_pending_payments_and_a_second_cancel_succeeds(api: Api, receiver: Receiver) -> None:
    _, sub = _create(api)
    ctx, _ = connector_ctx(api)
    cancel = CONNECTOR.action("cancel_subscription").run
    assert cancel(ctx, {"id": sub["id"]})["already_deleted"] is False
    assert cancel(ctx, {"id": sub["id"]})["already_deleted"] is True
    assert all(p["deleted"] for p in api.control("GET", "/state")["payments"])
    api.control("POST", "/drain")
    assert [d["json"]["event"] for d in receiver.deliveries][-2:] == ["PAYMENT_DELETED", "SUBSCRIPTION_DELETED"]
    with pytest.raises(PermanentError, match="subscription not found"):
        cancel(ctx, {"id": "sub_nothere"})


def test_the_double_refuses_what_asaas_would(api: Api) -> None:
    customer = api.customer()
    response = api("POST", "/v3/subscriptions", json={"customer": customer["id"], "billingType": "BOLETO",
                                                       "value": 0, "nextDueDate": "31/01/2030", "cycle": "mensal"})
    assert response.status_code == 400
    assert [e["code"] for e in response.json()["errors"]] == ["invalid_value", "invalid_cycle", "invalid_nextDueDate"]


@pytest.mark.parametrize(("day", "cycle", "expected"), [
    ("2030-01-31", "MONTHLY", "2030-02-28"), ("2030-11-15", "QUARTERLY", "2031-02-15"),
    ("2030-01-01", "WEEKLY", "2030-01-08"), ("2030-01-01", "BIWEEKLY", "2030-01-15"),
    ("2030-08-31", "SEMIANNUALLY", "2031-02-28"), ("2028-02-29", "YEARLY", "2029-02-28")])
def test_next_date_follows_the_cycle(day: str, cycle: str, expected: str) -> None:
    assert next_date(date.fromisoformat(day), cycle).isoformat() == expected
