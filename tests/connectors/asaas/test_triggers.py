"""Asaas triggers: keys, event matching, the enriched output and its schema."""

from __future__ import annotations

import logging
from typing import Any

import jsonschema
import pytest
import responses

from connectors.asaas import CONNECTOR
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


def test_trigger_keys_events_and_titles() -> None:
    assert [t.key for t in CONNECTOR.triggers] == [*EXPECTED, "payment_any", "payment_due_reminder",
                                                     "overdue_digest"]
    for key, (event, title_pt) in EXPECTED.items():
        trigger = CONNECTOR.trigger(key)
        assert trigger.kind == "webhook" and CONNECTOR.text(trigger.title, "pt_BR") == title_pt
        assert trigger.fires_on(event, {}, {})
        assert not trigger.fires_on("PAYMENT_BANK_SLIP_VIEWED", {}, {})
    assert CONNECTOR.text(CONNECTOR.trigger("payment_any").title, "pt_BR") == "Qualquer evento de cobrança"


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
