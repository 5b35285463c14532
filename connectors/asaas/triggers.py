"""Asaas webhook triggers: one per payment event, plus "any payment event".

Like Pluga's "Cobrança criada", the trigger output is the payment enriched with its customer
(``GET /customers/{id}``), so mappings can read the payer's name, e-mail, CPF/CNPJ and address.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.sdk import Context, PermanentError, Trigger, load_json

from .client import client_for
from .fields import PAYMENT_EVENT_FIELDS
from .summaries import event_summary

PAYMENT_SCHEMA: dict[str, Any] = load_json(__file__, "payment.schema.json")
CUSTOMER_SCHEMA: dict[str, Any] = load_json(__file__, "customer.schema.json")
SAMPLE: dict[str, Any] = load_json(__file__, "trigger_sample.json")

#: What a run of these triggers is about, for finding it later (``runs list --ref pay_...``).
REFERENCES: dict[str, str] = {
    "payment": "$.payment.id", "customer_name": "$.customer.name", "cpf_cnpj": "$.customer.cpfCnpj",
    "email": "$.customer.email", "external_reference": "$.payment.externalReference",
}

OUTPUT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["event", "event_id", "payment", "customer"],
    "properties": {
        "event": {"type": "string", "description": "Asaas event name, e.g. PAYMENT_RECEIVED"},
        "event_id": {"type": "string", "description": "Asaas event id (evt_…), stable across re-sends"},
        "event_date": {
            "type": ["string", "null"],
            "description": "when Asaas recorded the event, 'YYYY-MM-DD HH:MM:SS', São Paulo time",
        },
        "payment": PAYMENT_SCHEMA,
        "customer": CUSTOMER_SCHEMA,
    },
}


def prepare(ctx: Context, payload: dict[str, Any], options: Mapping[str, Any]) -> dict[str, Any]:
    """The stored envelope → ``{event, event_id, event_date, payment, customer}``.

    A customer Asaas no longer knows (404) becomes ``{"id": …}`` with a warning, not a failure:
    the payment event still deserves its run. A ``payment`` that is not an object fails the run.
    """
    payment = payload.get("payment")
    if payment is None:
        payment = {}
    if not isinstance(payment, dict):
        raise PermanentError(f"the Asaas {payload.get('event')} event has no payment object "
                             f"(payment is {type(payment).__name__})")
    customer_id = payment.get("customer")
    customer: dict[str, Any] = {"id": customer_id} if customer_id else {}
    if isinstance(customer_id, str) and customer_id:
        found = client_for(ctx).customer(customer_id)
        if found is None:
            ctx.logger.warning(
                "Asaas customer %s of payment %s was not found; continuing without its details",
                customer_id, payment.get("id"),
            )
        else:
            customer = found
    return {
        "event": payload.get("event"),
        "event_id": payload.get("id"),
        "event_date": payload.get("dateCreated"),
        "payment": payment,
        "customer": customer,
    }


_PAID = {"paymentDate": "2025-03-06", "clientPaymentDate": "2025-03-06", "confirmedDate": "2025-03-06"}
_SAMPLE_PAYMENT_CHANGES: dict[str, dict[str, Any]] = {
    "PAYMENT_CONFIRMED": {"status": "CONFIRMED", "confirmedDate": "2025-03-06"},
    "PAYMENT_RECEIVED": {"status": "RECEIVED", **_PAID, "creditDate": "2025-03-06"},
    "PAYMENT_OVERDUE": {"status": "OVERDUE"},
    "PAYMENT_UPDATED": {"value": 480.0, "netValue": 479.01, "dueDate": "2025-03-15"},
    "PAYMENT_REFUNDED": {"status": "REFUNDED", **_PAID},
    "PAYMENT_DELETED": {"deleted": True},
}


def _sample_for(event: str) -> dict[str, Any]:
    """The shared sample with the payment as it looks when ``event`` is sent."""
    payment = {**SAMPLE["payment"], **_SAMPLE_PAYMENT_CHANGES.get(event, {})}
    return {**SAMPLE, "event": event, "payment": payment}


def _payment_trigger(key: str, event: str, title: str, description: str) -> Trigger:
    return Trigger(
        key=key,
        title=title,
        description=f"{description} (Asaas webhook event {event}).",
        output_schema=OUTPUT_SCHEMA,
        sample=_sample_for(event),
        kind="webhook",
        event_types=(event,),
        prepare=prepare,
        summary=event_summary,
        references=REFERENCES,
        output_fields=PAYMENT_EVENT_FIELDS,
    )


def _any_payment_event(event_type: str, payload: dict[str, Any], options: Mapping[str, Any]) -> bool:
    return event_type.startswith("PAYMENT_")


TRIGGERS: tuple[Trigger, ...] = (
    _payment_trigger("payment_created", "PAYMENT_CREATED", "New payment created",
                     "A payment (cobrança) was created in Asaas"),
    _payment_trigger("payment_confirmed", "PAYMENT_CONFIRMED", "Payment confirmed",
                     "A payment was paid but the money is not available yet (e.g. card, Pix under hold)"),
    _payment_trigger("payment_received", "PAYMENT_RECEIVED", "Payment received",
                     "A payment was received and the money is in the account"),
    _payment_trigger("payment_overdue", "PAYMENT_OVERDUE", "Payment overdue",
                     "A payment passed its due date unpaid"),
    _payment_trigger("payment_updated", "PAYMENT_UPDATED", "Payment updated",
                     "A payment's due date or value changed"),
    _payment_trigger("payment_refunded", "PAYMENT_REFUNDED", "Payment refunded",
                     "A payment was refunded"),
    _payment_trigger("payment_deleted", "PAYMENT_DELETED", "Payment deleted",
                     "A payment was removed (also sent per payment when a subscription is removed)"),
    Trigger(
        key="payment_any",
        title="Any payment event",
            description="Any Asaas payment event (every PAYMENT_*: created, received, overdue, viewed…). "
        "Filter on `event` to narrow it.",
        output_schema=OUTPUT_SCHEMA,
        sample=SAMPLE,
        kind="webhook",
        matches=_any_payment_event,
        prepare=prepare,
        summary=event_summary,
        references=REFERENCES,
        output_fields=PAYMENT_EVENT_FIELDS,
    ),
)
