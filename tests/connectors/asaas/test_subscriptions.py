"""Asaas subscriptions: SUBSCRIPTION_* triggers, and actions that never make a second subscription."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import jsonschema
import pytest
import requests
import responses
from responses import matchers

from connectors.asaas import CONNECTOR
from connectors.asaas.subscriptions import SAMPLE, SUBSCRIPTION_EVENT_NAMES
from connectors.asaas.webhook_admin import WEBHOOK_ADMIN
from connectors.sdk import ConfigError, Context, PermanentError, RateLimitedError, TransientError
from connectors.sdk.webhook_admin import WebhookTarget
from tests.connectors.asaas.fakes import BASE, page_of

SUB = {"customer": "cus_000006326297", "billingType": "BOLETO", "value": 450.0, "nextDueDate": "2026-12-10",
       "cycle": "MONTHLY", "description": "Contrato mensal", "externalReference": "zapsign-doc:eb9c"}
MADE = {**SAMPLE["subscription"], "nextDueDate": "2026-12-10", "externalReference": "zapsign-doc:eb9c"}


def run(key: str, ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    action = CONNECTOR.action(key)
    jsonschema.validate(data, action.input_schema)
    output = action.run(ctx, data)
    jsonschema.validate(output, action.output_schema)
    return output


def body_of(call: Any) -> dict[str, Any]:
    return json.loads(call.request.body)


# -- triggers -----------------------------------------------------------------------------------------

TRIGGERS = {
    "subscription_created": ("SUBSCRIPTION_CREATED", "Assinatura criada"),
    "subscription_updated": ("SUBSCRIPTION_UPDATED", "Assinatura alterada"),
    "subscription_inactivated": ("SUBSCRIPTION_INACTIVATED", "Assinatura inativada"),
    "subscription_deleted": ("SUBSCRIPTION_DELETED", "Assinatura removida"),
    "subscription_split_divergence_block": ("SUBSCRIPTION_SPLIT_DIVERGENCE_BLOCK",
                                            "Assinatura bloqueada por divergência de split"),
    "subscription_split_divergence_block_finished": ("SUBSCRIPTION_SPLIT_DIVERGENCE_BLOCK_FINISHED",
                                                     "Bloqueio de split da assinatura encerrado"),
}


def test_every_documented_subscription_event_has_a_trigger_with_a_pt_br_title() -> None:
    assert tuple(event for event, _ in TRIGGERS.values()) == SUBSCRIPTION_EVENT_NAMES
    for key, (event, title_pt) in TRIGGERS.items():
        trigger = CONNECTOR.trigger(key)
        assert trigger.fires_on(event, {}, {}) and not trigger.fires_on("PAYMENT_CREATED", {}, {})
        assert CONNECTOR.text(trigger.title, "pt_BR") == title_pt
        jsonschema.validate(trigger.sample, trigger.output_schema)
        assert trigger.sample["event"] == event


def test_subscription_any_matches_subscriptions_only() -> None:
    trigger = CONNECTOR.trigger("subscription_any")
    assert trigger.fires_on("SUBSCRIPTION_INACTIVATED", {}, {})
    assert not trigger.fires_on("PAYMENT_CREATED", {}, {})
    assert not CONNECTOR.trigger("payment_any").fires_on("SUBSCRIPTION_CREATED", {}, {})


@responses.activate
def test_output_is_the_subscription_enriched_with_its_customer(ctx: Context, customer: dict) -> None:
    responses.get(f"{BASE}/customers/cus_000006326297", json=customer)
    envelope = {"id": "evt_1&1", "event": "SUBSCRIPTION_CREATED", "dateCreated": "2024-10-16 11:11:04",
                "subscription": SAMPLE["subscription"]}
    trigger = CONNECTOR.trigger("subscription_created")
    output = trigger.output(ctx, envelope, {})
    jsonschema.validate(output, trigger.output_schema)
    assert output["customer"]["name"] == "Marina Costa Andrade"
    assert output["subscription"]["id"] == "sub_m5gdy1upm25fbwgx" and output["event_id"] == "evt_1&1"
    assert trigger.summary(output, "pt_BR") == "R$\xa0450,00 · MONTHLY · Marina Costa Andrade · sub_m5gdy1upm25fbwgx"


@pytest.mark.parametrize("bad", [None, "sub_1", [1]])
def test_an_event_without_a_subscription_object_fails_with_a_reason(ctx: Context, bad: Any) -> None:
    with pytest.raises(PermanentError, match="no subscription object"):
        CONNECTOR.trigger("subscription_any").output(ctx, {"event": "SUBSCRIPTION_UPDATED", "subscription": bad}, {})


@responses.activate
def test_webhook_registration_subscribes_to_the_subscription_events(ctx: Context) -> None:
    responses.get(f"{BASE}/webhooks", json=page_of([]))
    post = responses.post(f"{BASE}/webhooks", json={"id": "wh_1"})
    target = WebhookTarget(url="https://ponte.example.com.br/webhooks/u1", secret="s" * 40, email=None,
                           name="Ponte", known={})
    WEBHOOK_ADMIN.register(ctx, target)
    events = body_of(post.calls[0])["events"]
    assert set(SUBSCRIPTION_EVENT_NAMES) <= set(events) and "PAYMENT_CREATED" in events


# -- create_subscription ------------------------------------------------------------------------------

@responses.activate
def test_create_looks_the_reference_up_then_creates(ctx: Context) -> None:
    lookup = responses.get(f"{BASE}/subscriptions", json=page_of([]), match=[matchers.query_param_matcher(
        {"externalReference": "zapsign-doc:eb9c", "customer": "cus_000006326297", "offset": "0", "limit": "100"})])
    post = responses.post(f"{BASE}/subscriptions", json=MADE)
    output = run("create_subscription", ctx, SUB)
    assert lookup.call_count == 1 and body_of(post.calls[0]) == SUB
    assert output["id"] == "sub_m5gdy1upm25fbwgx" and output["reused"] is False
    assert output["nextDueDate"] == "2026-12-10"


@responses.activate
def test_a_second_run_for_the_same_contract_reuses_the_subscription(ctx: Context) -> None:
    removed = {**MADE, "id": "sub_old", "deleted": True}
    responses.get(f"{BASE}/subscriptions", json=page_of([removed, MADE]))
    post = responses.post(f"{BASE}/subscriptions", json=MADE)
    output = run("create_subscription", ctx, SUB)
    assert output["reused"] is True and output["id"] == "sub_m5gdy1upm25fbwgx" and post.call_count == 0


@responses.activate
def test_a_retry_after_a_create_timeout_finds_the_subscription(make_ctx: Callable[..., Context]) -> None:
    responses.get(f"{BASE}/subscriptions", json=page_of([]))
    post = responses.post(f"{BASE}/subscriptions", body=requests.exceptions.ReadTimeout())
    with pytest.raises(TransientError) as caught:
        run("create_subscription", make_ctx(attempt=1), SUB)
    assert caught.value.ambiguous
    responses.replace(responses.GET, f"{BASE}/subscriptions", json=page_of([MADE]))
    assert run("create_subscription", make_ctx(attempt=2), SUB)["reused"] is True
    assert post.call_count == 1


@responses.activate
def test_without_a_mapped_reference_the_idempotency_key_is_used_and_cycle_defaults_to_monthly(
        ctx: Context) -> None:
    responses.get(f"{BASE}/subscriptions", json=page_of([]))
    post = responses.post(f"{BASE}/subscriptions", json=MADE)
    data = {k: v for k, v in SUB.items() if k not in ("externalReference", "cycle")}
    CONNECTOR.action("create_subscription").run(ctx, {**data, "value": 0.1 + 0.2})
    sent = body_of(post.calls[0])
    assert sent["externalReference"] == "ponte-42-2" and sent["cycle"] == "MONTHLY" and sent["value"] == 0.3


def test_without_any_reference_nothing_is_created(make_ctx: Callable[..., Context]) -> None:
    data = {k: v for k, v in SUB.items() if k != "externalReference"}
    with pytest.raises(PermanentError, match="externalReference"):
        CONNECTOR.action("create_subscription").run(make_ctx(idempotency_key=None), data)


@pytest.mark.parametrize("bad", [{"cycle": "mensal"}, {"nextDueDate": "10/12/2026"}, {"value": 0},
                                 {"customer": "123"}])
def test_the_input_schema_refuses_what_asaas_would(bad: dict) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**SUB, **bad}, CONNECTOR.action("create_subscription").input_schema)


# -- error tables -------------------------------------------------------------------------------------

@responses.activate
@pytest.mark.parametrize(("status", "headers", "error"), [
    (401, {}, ConfigError), (400, {}, PermanentError), (429, {"Retry-After": "7"}, RateLimitedError),
    (503, {}, TransientError)])
def test_create_errors_map_to_what_the_engine_must_do(ctx: Context, status: int, headers: dict,
                                                      error: type) -> None:
    responses.get(f"{BASE}/subscriptions", json=page_of([]))
    responses.post(f"{BASE}/subscriptions", status=status, headers=headers,
                   json={"errors": [{"code": "invalid_value", "description": "Valor inválido"}]})
    with pytest.raises(error):
        CONNECTOR.action("create_subscription").run(ctx, SUB)


@responses.activate
@pytest.mark.parametrize(("status", "error"), [(401, ConfigError), (404, PermanentError),
                                               (429, RateLimitedError), (502, TransientError)])
def test_update_errors(ctx: Context, status: int, error: type) -> None:
    responses.post(f"{BASE}/subscriptions/sub_m5gdy1upm25fbwgx", status=status, json={"errors": []})
    with pytest.raises(error) as caught:
        CONNECTOR.action("update_subscription").run(ctx, {"id": "sub_m5gdy1upm25fbwgx", "value": 500})
    if status == 404:
        assert "subscription not found" in str(caught.value)


@responses.activate
@pytest.mark.parametrize(("status", "error"), [(401, ConfigError), (429, RateLimitedError), (503, TransientError)])
def test_cancel_errors(ctx: Context, status: int, error: type) -> None:
    responses.delete(f"{BASE}/subscriptions/sub_m5gdy1upm25fbwgx", status=status, json={"errors": []})
    with pytest.raises(error):
        CONNECTOR.action("cancel_subscription").run(ctx, {"id": "sub_m5gdy1upm25fbwgx"})


# -- update_subscription / cancel_subscription --------------------------------------------------------

@responses.activate
def test_update_sends_only_what_changes(ctx: Context) -> None:
    post = responses.post(f"{BASE}/subscriptions/sub_m5gdy1upm25fbwgx", json={**MADE, "value": 500.0})
    output = run("update_subscription", ctx, {"id": "sub_m5gdy1upm25fbwgx", "value": 500, "nextDueDate": "2027-01-10",
                                              "updatePendingPayments": True})
    assert body_of(post.calls[0]) == {"value": 500.0, "nextDueDate": "2027-01-10", "updatePendingPayments": True}
    assert output["value"] == 500.0


def test_an_update_with_nothing_to_change_fails_before_any_call(ctx: Context) -> None:
    with pytest.raises(PermanentError, match="nothing to change"):
        CONNECTOR.action("update_subscription").run(ctx, {"id": "sub_1", "updatePendingPayments": True})


@responses.activate
def test_the_id_is_quoted_into_the_path(ctx: Context) -> None:
    responses.delete(f"{BASE}/subscriptions/sub_..%2Fcustomers", status=404)
    responses.get(f"{BASE}/subscriptions/sub_..%2Fcustomers", status=404)
    with pytest.raises(PermanentError, match="subscription not found"):
        CONNECTOR.action("cancel_subscription").run(ctx, {"id": "sub_../customers"})


@responses.activate
def test_cancel_deletes(ctx: Context) -> None:
    delete = responses.delete(f"{BASE}/subscriptions/sub_m5gdy1upm25fbwgx",
                              json={"deleted": True, "id": "sub_m5gdy1upm25fbwgx"})
    assert run("cancel_subscription", ctx, {"id": "sub_m5gdy1upm25fbwgx"}) == {
        "id": "sub_m5gdy1upm25fbwgx", "deleted": True, "already_deleted": False}
    assert delete.call_count == 1


@responses.activate
@pytest.mark.parametrize("status", [404, 400])
def test_a_second_cancel_is_a_success(ctx: Context, status: int) -> None:
    responses.delete(f"{BASE}/subscriptions/sub_m5gdy1upm25fbwgx", status=status, json={"errors": []})
    responses.get(f"{BASE}/subscriptions/sub_m5gdy1upm25fbwgx", json={**MADE, "deleted": True})
    output = run("cancel_subscription", ctx, {"id": "sub_m5gdy1upm25fbwgx"})
    assert output == {"id": "sub_m5gdy1upm25fbwgx", "deleted": True, "already_deleted": True}


@responses.activate
def test_cancelling_a_live_subscription_that_asaas_refused_fails(ctx: Context) -> None:
    responses.delete(f"{BASE}/subscriptions/sub_m5gdy1upm25fbwgx", status=400, json={"errors": []})
    responses.get(f"{BASE}/subscriptions/sub_m5gdy1upm25fbwgx", json=MADE)
    with pytest.raises(PermanentError, match="did not remove"):
        CONNECTOR.action("cancel_subscription").run(ctx, {"id": "sub_m5gdy1upm25fbwgx"})
