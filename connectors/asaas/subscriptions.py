"""Asaas subscription (assinatura) webhook triggers: one per ``SUBSCRIPTION_*`` event, plus "any".

Facts used (docs.asaas.com/docs/subscription-events, changelog "eventos-para-assinaturas" of
2024-10-22): the events are SUBSCRIPTION_CREATED, _UPDATED, _INACTIVATED, _DELETED,
_SPLIT_DIVERGENCE_BLOCK and _SPLIT_DIVERGENCE_BLOCK_FINISHED; the envelope is the payment one with
the entity under ``subscription``: ``{"id": "evt_…", "event", "dateCreated", "subscription": {…}}``.
The payments a subscription generates arrive as ordinary PAYMENT_* events with ``payment.subscription``
set (docs "criando-uma-assinatura"), so the payment triggers and the collection rule see them as
any other payment. Like the payment triggers, the output is enriched with the customer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.sdk import Context, PermanentError, Trigger, load_json

from .client import client_for
from .summaries import money

SUBSCRIPTION_SCHEMA: dict[str, Any] = load_json(__file__, "subscription.schema.json")
CUSTOMER_SCHEMA: dict[str, Any] = load_json(__file__, "customer.schema.json")
SAMPLE: dict[str, Any] = load_json(__file__, "subscription_sample.json")

#: (event, title, description) in the order of the Asaas docs.
SUBSCRIPTION_EVENTS: tuple[tuple[str, str, str], ...] = (
    ("SUBSCRIPTION_CREATED", "Subscription created", "A subscription (assinatura) was created in Asaas"),
    ("SUBSCRIPTION_UPDATED", "Subscription updated", "A subscription's value, due date, cycle or status changed"),
    ("SUBSCRIPTION_INACTIVATED", "Subscription inactivated",
     "A subscription was inactivated and stops generating payments"),
    ("SUBSCRIPTION_DELETED", "Subscription deleted", "A subscription was removed"),
    ("SUBSCRIPTION_SPLIT_DIVERGENCE_BLOCK", "Subscription blocked by split divergence",
     "A subscription was blocked because its split's value diverges"),
    ("SUBSCRIPTION_SPLIT_DIVERGENCE_BLOCK_FINISHED", "Subscription split block finished",
     "The split divergence block of a subscription ended"),
)
SUBSCRIPTION_EVENT_NAMES: tuple[str, ...] = tuple(name for name, _, _ in SUBSCRIPTION_EVENTS)

REFERENCES: dict[str, str] = {
    "subscription": "$.subscription.id", "customer_name": "$.customer.name", "cpf_cnpj": "$.customer.cpfCnpj",
    "email": "$.customer.email", "external_reference": "$.subscription.externalReference",
}

OUTPUT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["event", "event_id", "subscription", "customer"],
    "properties": {
        "event": {"type": "string", "description": "Asaas event name, e.g. SUBSCRIPTION_CREATED"},
        "event_id": {"type": "string", "description": "Asaas event id (evt_…), stable across re-sends"},
        "event_date": {"type": ["string", "null"],
                       "description": "when Asaas recorded the event, 'YYYY-MM-DD HH:MM:SS', São Paulo time"},
        "subscription": SUBSCRIPTION_SCHEMA,
        "customer": CUSTOMER_SCHEMA,
    },
}


def prepare(ctx: Context, payload: dict[str, Any], options: Mapping[str, Any]) -> dict[str, Any]:
    """The stored envelope → ``{event, event_id, event_date, subscription, customer}``.

    As for payments, a customer Asaas no longer knows (404) leaves ``{"id": …}`` and a warning; a
    ``subscription`` that is not an object fails the run with the reason.
    """
    subscription = payload.get("subscription")
    if not isinstance(subscription, dict):
        raise PermanentError(f"the Asaas {payload.get('event')} event has no subscription object "
                             f"(subscription is {type(subscription).__name__})")
    customer_id = subscription.get("customer")
    customer: dict[str, Any] = {"id": customer_id} if isinstance(customer_id, str) and customer_id else {}
    if customer:
        found = client_for(ctx).customer(str(customer_id))
        if found is None:
            ctx.logger.warning("Asaas customer %s of subscription %s was not found; continuing without "
                               "its details", customer_id, subscription.get("id"))
        else:
            customer = found
    return {"event": payload.get("event"), "event_id": payload.get("id"),
            "event_date": payload.get("dateCreated"), "subscription": subscription, "customer": customer}


def subscription_line(subscription: Any, customer: Any, locale: str) -> str:
    """"R$ 450,00 · MONTHLY · Marina Costa Andrade · sub_…": the run list's line."""
    subscription = subscription if isinstance(subscription, dict) else {}
    name = customer.get("name") if isinstance(customer, dict) else None
    parts = (money(subscription.get("value"), locale), subscription.get("cycle"), name, subscription.get("id"))
    return " · ".join(str(p) for p in parts if p not in (None, ""))


def event_summary(output: dict[str, Any], locale: str) -> str:
    return subscription_line(output.get("subscription"), output.get("customer"), locale)


_SAMPLE_CHANGES: dict[str, dict[str, Any]] = {
    "SUBSCRIPTION_UPDATED": {"value": 480.0},
    "SUBSCRIPTION_INACTIVATED": {"status": "INACTIVE"},
    "SUBSCRIPTION_DELETED": {"deleted": True, "status": "INACTIVE"},
}


def _trigger(key: str, event: str, title: str, description: str) -> Trigger:
    sample = {**SAMPLE, "event": event, "subscription": {**SAMPLE["subscription"], **_SAMPLE_CHANGES.get(event, {})}}
    return Trigger(key=key, title=title, description=f"{description} (Asaas webhook event {event}).",
                   output_schema=OUTPUT_SCHEMA, sample=sample, kind="webhook", event_types=(event,),
                   prepare=prepare, summary=event_summary, references=REFERENCES)


def _any_subscription_event(event_type: str, payload: dict[str, Any], options: Mapping[str, Any]) -> bool:
    return event_type.startswith("SUBSCRIPTION_")


SUBSCRIPTION_TRIGGERS: tuple[Trigger, ...] = (
    *(_trigger(name.lower(), name, title, description) for name, title, description in SUBSCRIPTION_EVENTS),
    Trigger(key="subscription_any", title="Any subscription event",
            description="Any Asaas subscription event (every SUBSCRIPTION_*: created, updated, inactivated, "
            "deleted…). Filter on `event` to narrow it.",
            output_schema=OUTPUT_SCHEMA, sample=SAMPLE, kind="webhook", matches=_any_subscription_event,
            prepare=prepare, summary=event_summary, references=REFERENCES),
)
