"""Asaas webhook triggers: one per documented payment event (events.py), plus "any payment event".

Like Pluga's "Cobrança criada", the trigger output is the payment enriched with its customer
(``GET /customers/{id}``), so mappings can read the payer's name, e-mail, CPF/CNPJ and address.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.sdk import Context, PermanentError, Trigger, load_json

from .client import client_for
from .event_samples import sample_for
from .events import PAYMENT_EVENTS
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
        "additional_info": {
            "type": "object",
            "description": "what the envelope adds about the event, e.g. splitId on PAYMENT_SPLIT_DONE",
        },
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
    out = {
        "event": payload.get("event"),
        "event_id": payload.get("id"),
        "event_date": payload.get("dateCreated"),
        "payment": payment,
        "customer": customer,
    }
    if isinstance(payload.get("additionalInfo"), dict):
        out["additional_info"] = payload["additionalInfo"]
    return out


def _payment_trigger(key: str, event: str, title: str, description: str, group: str = "") -> Trigger:
    return Trigger(
        key=key,
        title=title,
        description=f"{description} (Asaas webhook event {event}).",
        output_schema=OUTPUT_SCHEMA,
        sample=sample_for(SAMPLE, event),
        group=group,
        kind="webhook",
        event_types=(event,),
        prepare=prepare,
        summary=event_summary,
        references=REFERENCES,
        output_fields=PAYMENT_EVENT_FIELDS,
    )


def _any_payment_event(event_type: str, payload: dict[str, Any], options: Mapping[str, Any]) -> bool:
    return event_type.startswith("PAYMENT_")


#: The everyday events, first in the wizard's picker. Their keys predate the one-per-event rule and
#: are permanent (stored in recipes); every other documented event gets ``payment_<event>``.
COMMON_KEYS: dict[str, str] = {
    "PAYMENT_CREATED": "payment_created", "PAYMENT_CONFIRMED": "payment_confirmed",
    "PAYMENT_RECEIVED": "payment_received", "PAYMENT_OVERDUE": "payment_overdue",
    "PAYMENT_UPDATED": "payment_updated", "PAYMENT_REFUNDED": "payment_refunded",
    "PAYMENT_DELETED": "payment_deleted",
}
OTHER_GROUP = "Other payment events"
_DOCUMENTED = {name: (title, description) for name, title, description in PAYMENT_EVENTS}


def trigger_key(event: str) -> str:
    """``PAYMENT_BANK_SLIP_VIEWED`` → ``payment_bank_slip_viewed`` (the seven older keys as they are)."""
    return COMMON_KEYS.get(event) or "payment_" + event.removeprefix("PAYMENT_").lower()


PAYMENT_ANY = Trigger(
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
)

TRIGGERS: tuple[Trigger, ...] = (
    *(_payment_trigger(key, event, *_DOCUMENTED[event]) for event, key in COMMON_KEYS.items()),
    PAYMENT_ANY,
    *(_payment_trigger(trigger_key(event), event, title, description, OTHER_GROUP)
      for event, title, description in PAYMENT_EVENTS if event not in COMMON_KEYS),
)
