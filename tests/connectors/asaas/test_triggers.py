"""Asaas triggers: keys, event matching, the enriched output and its schema."""

from __future__ import annotations

import logging
from typing import Any

import jsonschema
import pytest
import responses

from connectors.asaas import CONNECTOR
from connectors.asaas.events import EVENT_NAMES
from connectors.asaas.triggers import OTHER_GROUP, trigger_key
from connectors.sdk import Context, PermanentError
from tests.connectors.asaas.fakes import BASE

EXPECTED = {
    "payment_created": ("PAYMENT_CREATED", "Nova cobrança criada"),
    "payment_confirmed": ("PAYMENT_CONFIRMED", "Cobrança confirmada"),
    "payment_received": ("PAYMENT_RECEIVED", "Cobrança recebida"),
    "payment_overdue": ("PAYMENT_OVERDUE", "Cobrança vencida"),
    "payment_updated": ("PAYMENT_UPDATED", "Cobrança atualizada"),
    "payment_refunded": ("PAYMENT_REFUNDED", "Cobrança estornada"),
    "payment_deleted": ("PAYMENT_DELETED", "Cobrança removida"),
}

EXPECTED_EVENTS = {event for event, _ in EXPECTED.values()}
#: Keys are permanent (stored in recipes): written out here, so a rename fails this test.
OTHER_KEYS = (
    "payment_awaiting_risk_analysis", "payment_approved_by_risk_analysis", "payment_reproved_by_risk_analysis",
    "payment_authorized", "payment_credit_card_capture_refused", "payment_anticipated", "payment_restored",
    "payment_partially_refunded", "payment_refund_in_progress", "payment_received_in_cash_undone",
    "payment_chargeback_requested", "payment_chargeback_dispute", "payment_awaiting_chargeback_reversal",
    "payment_dunning_received", "payment_dunning_requested", "payment_bank_slip_viewed",
    "payment_checkout_viewed", "payment_split_cancelled", "payment_split_divergence_block",
    "payment_split_divergence_block_finished", "payment_split_done",
)


def test_trigger_keys_events_and_titles() -> None:
    payment_triggers = [t.key for t in CONNECTOR.triggers if not t.key.startswith("subscription_")]
    assert payment_triggers == [*EXPECTED, "payment_any", *OTHER_KEYS, "payment_due_reminder", "overdue_digest"]
    assert [trigger_key(name) for name in EVENT_NAMES if name not in EXPECTED_EVENTS] == list(OTHER_KEYS)
    for key, (event, title_pt) in EXPECTED.items():
        trigger = CONNECTOR.trigger(key)
        assert trigger.kind == "webhook" and CONNECTOR.text(trigger.title, "pt_BR") == title_pt
        assert trigger.fires_on(event, {}, {})
        assert not trigger.fires_on("PAYMENT_BANK_SLIP_VIEWED", {}, {})
    assert CONNECTOR.text(CONNECTOR.trigger("payment_any").title, "pt_BR") == "Qualquer evento de cobrança"


@pytest.mark.parametrize("event", EVENT_NAMES)
def test_every_documented_payment_event_has_exactly_one_trigger(event: str) -> None:
    """One dedicated trigger per event (plus payment_any), its sample shaped like that event."""
    dedicated = [t for t in CONNECTOR.triggers if t.key != "payment_any" and t.fires_on(event, {}, {})]
    assert [t.key for t in dedicated] == [trigger_key(event)]
    trigger = dedicated[0]
    assert trigger.event_types == (event,) and trigger.sample["event"] == event
    assert event in trigger.description and trigger.references
    assert trigger.group == ("" if event in EXPECTED_EVENTS else OTHER_GROUP)
    title_pt = CONNECTOR.text(trigger.title, "pt_BR")
    assert title_pt and title_pt != trigger.title
    assert CONNECTOR.text(trigger.description, "pt_BR") != trigger.description


@pytest.mark.parametrize(("event", "status"), [
    ("PAYMENT_AWAITING_RISK_ANALYSIS", "AWAITING_RISK_ANALYSIS"), ("PAYMENT_AUTHORIZED", "AUTHORIZED"),
    ("PAYMENT_REFUND_IN_PROGRESS", "REFUND_IN_PROGRESS"), ("PAYMENT_CHARGEBACK_REQUESTED", "CHARGEBACK_REQUESTED"),
    ("PAYMENT_CHARGEBACK_DISPUTE", "CHARGEBACK_DISPUTE"), ("PAYMENT_DUNNING_REQUESTED", "DUNNING_REQUESTED"),
    ("PAYMENT_AWAITING_CHARGEBACK_REVERSAL", "AWAITING_CHARGEBACK_REVERSAL"),
    ("PAYMENT_DUNNING_RECEIVED", "DUNNING_RECEIVED"), ("PAYMENT_RECEIVED_IN_CASH_UNDONE", "PENDING"),
])
def test_samples_carry_the_status_of_their_event(event: str, status: str) -> None:
    assert CONNECTOR.trigger(trigger_key(event)).sample["payment"]["status"] == status


def test_card_and_viewed_and_split_samples_look_like_their_event() -> None:
    assert CONNECTOR.trigger("payment_chargeback_requested").sample["payment"]["billingType"] == "CREDIT_CARD"
    assert CONNECTOR.trigger("payment_bank_slip_viewed").sample["payment"]["lastBankSlipViewedDate"]
    assert CONNECTOR.trigger("payment_checkout_viewed").sample["payment"]["lastInvoiceViewedDate"]
    assert CONNECTOR.trigger("payment_partially_refunded").sample["payment"]["refunds"][0]["value"] == 150.0
    split = CONNECTOR.trigger("payment_split_done").sample
    assert split["payment"]["split"][0]["status"] == "DONE"
    assert split["additional_info"]["splitId"] == split["payment"]["split"][0]["id"]
    assert CONNECTOR.trigger("payment_restored").sample["payment"]["deleted"] is False


@pytest.mark.parametrize("event", ["PAYMENT_CREATED", "PAYMENT_CHECKOUT_VIEWED", "PAYMENT_SPLIT_DONE"])
def test_payment_any_matches_every_payment_event(event: str) -> None:
    assert CONNECTOR.trigger("payment_any").fires_on(event, {}, {})


@pytest.mark.parametrize("event", ["SUBSCRIPTION_CREATED", "INVOICE_CREATED", "TRANSFER_DONE"])
def test_payment_any_ignores_other_families(event: str) -> None:
    assert not CONNECTOR.trigger("payment_any").fires_on(event, {}, {})


@pytest.mark.parametrize("trigger", CONNECTOR.triggers, ids=lambda t: t.key)
def test_sample_validates_against_the_output_schema(trigger: Any) -> None:
    jsonschema.Draft202012Validator.check_schema(trigger.output_schema)
    validator = jsonschema.Draft202012Validator(trigger.output_schema,
                                                format_checker=jsonschema.FormatChecker())
    validator.validate(trigger.sample)
    event = EXPECTED.get(trigger.key, (trigger.sample["event"],))[0]
    assert trigger.sample["event"] == event


def test_received_sample_looks_paid() -> None:
    payment = CONNECTOR.trigger("payment_received").sample["payment"]
    assert payment["status"] == "RECEIVED" and payment["paymentDate"]


@responses.activate
def test_output_is_the_payment_enriched_with_its_customer(
    ctx: Context, payment: dict, customer: dict
) -> None:
    responses.get(f"{BASE}/customers/cus_000006326297", json=customer)
    envelope = {"id": "evt_d26e303b238e509335ac9ba210e51b0f&7686444", "event": "PAYMENT_RECEIVED",
                "dateCreated": "2025-03-06 18:59:27", "payment": payment}
    trigger = CONNECTOR.trigger("payment_received")
    output = trigger.output(ctx, envelope, {})
    assert output == {"event": "PAYMENT_RECEIVED", "event_id": envelope["id"],
                      "event_date": "2025-03-06 18:59:27", "payment": payment, "customer": customer}
    assert output["customer"]["email"] == "marina.andrade@example.com.br"
    jsonschema.validate(output, trigger.output_schema)


@responses.activate
def test_a_missing_customer_is_a_warning_not_a_failure(
    ctx: Context, payment: dict, caplog: pytest.LogCaptureFixture
) -> None:
    responses.get(f"{BASE}/customers/cus_000006326297", status=404,
                  json={"errors": [{"code": "not_found", "description": "Cliente não encontrado"}]})
    envelope = {"id": "evt_1&1", "event": "PAYMENT_CREATED", "dateCreated": "2025-02-24 13:06:00",
                "payment": payment}
    with caplog.at_level(logging.WARNING, logger="ponte.connector.asaas"):
        output = CONNECTOR.trigger("payment_created").output(ctx, envelope, {})
    assert output["customer"] == {"id": "cus_000006326297"}
    assert "cus_000006326297" in caplog.text
    jsonschema.validate(output, CONNECTOR.trigger("payment_created").output_schema)


@pytest.mark.parametrize("bad", [[], "pay_1", 3], ids=["list", "string", "number"])
def test_an_event_whose_payment_is_not_an_object_fails_with_a_reason(ctx: Context, bad: Any) -> None:
    envelope = {"id": "evt_1&1", "event": "PAYMENT_CREATED", "payment": bad}
    with pytest.raises(PermanentError, match="payment"):
        CONNECTOR.trigger("payment_created").output(ctx, envelope, {})


@responses.activate
def test_a_split_event_keeps_which_split_it_is_about(ctx: Context, payment: dict, customer: dict) -> None:
    """PAYMENT_SPLIT_DONE fires once per split; additionalInfo.splitId says which (Asaas changelog)."""
    responses.get(f"{BASE}/customers/cus_000006326297", json=customer)
    envelope = {"id": "evt_9&9", "event": "PAYMENT_SPLIT_DONE", "dateCreated": "2025-03-06 18:59:27",
                "payment": payment, "additionalInfo": {"splitId": "064a4957-1eee-4d06-9c96-deaf8a17534d"}}
    trigger = CONNECTOR.trigger("payment_split_done")
    output = trigger.output(ctx, envelope, {})
    assert output["additional_info"] == {"splitId": "064a4957-1eee-4d06-9c96-deaf8a17534d"}
    jsonschema.validate(output, trigger.output_schema)


def test_the_registered_webhook_subscribes_every_event_a_payment_trigger_needs() -> None:
    """Ponte registers one config with every payment event (no list given): each trigger's event is in it."""
    from connectors.asaas.webhook_admin import _body
    from connectors.sdk.webhook_admin import WebhookTarget

    body = _body(WebhookTarget(url="https://ponte.example/webhooks/x", secret="s", email=None, name="Ponte"))
    needed = {e for t in CONNECTOR.triggers if t.kind == "webhook" for e in t.event_types}
    assert {e for e in needed if e.startswith("PAYMENT_")} == set(EVENT_NAMES) and needed <= set(body["events"])
    assert all(CONNECTOR.trigger("payment_any").fires_on(e, {}, {}) for e in body["events"] if e.startswith("PAYMENT_"))
