"""Subscription actions: ``create_subscription``, ``update_subscription`` and ``cancel_subscription``.

API facts (docs.asaas.com): ``POST /v3/subscriptions`` takes ``customer, billingType, value,
nextDueDate, cycle`` (WEEKLY, BIWEEKLY, MONTHLY, QUARTERLY, SEMIANNUALLY, YEARLY), optional
``description, externalReference, endDate, maxPayments, discount, interest, fine``, answers the
subscription (``sub_…``) and generates its first payment due on ``nextDueDate``
("criando-uma-assinatura", "/reference/subscription-1"). ``POST /v3/subscriptions/{id}`` updates it;
``nextDueDate`` is the next payment to be generated and a new value or billing type reaches the
payments already generated only with ``updatePendingPayments: true`` ("atualizar-assinatura-existente").
``DELETE /v3/subscriptions/{id}`` removes it (Asaas then sends PAYMENT_DELETED for its pending
payments, "duvidas-frequentes-webhooks"). ``GET /v3/subscriptions`` filters by ``customer``,
``externalReference`` and ``status`` in the usual list envelope.

``create_subscription`` is one subscription per business object: ``externalReference`` (the
recipe maps the contract, e.g. ``zapsign-doc:<token>``; default: the step's idempotency key) is looked
up on EVERY attempt, under a lock, before anything is created, so a retry after a timeout, a second
run for the same contract (a replay, a re-sent webhook) and two workers at once all find the one
subscription. Assumed where the docs are silent: a removed subscription stays readable with
``deleted: true`` (as payments do), and a second DELETE answers 404 or 400.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from connectors.sdk import Action, Context, HttpClient, PermanentError, dynamic, static, with_labels

from .client import client_for, iter_pages
from .fields import BILLING_TYPES
from .payments import CREATE_INPUT, DATE, _as_sent, _cents
from .subscriptions import SAMPLE as TRIGGER_SAMPLE
from .subscriptions import SUBSCRIPTION_SCHEMA, subscription_line

CYCLES = ("WEEKLY", "BIWEEKLY", "MONTHLY", "QUARTERLY", "SEMIANNUALLY", "YEARLY")
CYCLE_CHOICES = static(("WEEKLY", "Weekly"), ("BIWEEKLY", "Every two weeks"), ("MONTHLY", "Monthly"),
                       ("QUARTERLY", "Quarterly"), ("SEMIANNUALLY", "Every six months"), ("YEARLY", "Yearly"))
CREATE_FIELDS = ("customer", "billingType", "value", "nextDueDate", "cycle", "description", "externalReference",
                 "endDate", "maxPayments", "discount", "interest", "fine")
UPDATE_FIELDS = ("value", "nextDueDate", "cycle", "billingType", "description", "updatePendingPayments")
OUTPUT_FIELDS = ("id", "status", "value", "cycle", "nextDueDate", "billingType", "customer", "externalReference",
                 "description")
_PAYMENT = CREATE_INPUT["properties"]
_CYCLE = {"type": "string", "enum": list(CYCLES)}

CREATE_INPUT_SCHEMA: dict[str, Any] = with_labels({
    "type": "object",
    "required": ["customer", "billingType", "value", "nextDueDate", "cycle"],
    "additionalProperties": False,
    "properties": {
        "customer": _PAYMENT["customer"], "billingType": _PAYMENT["billingType"], "value": _PAYMENT["value"],
        "nextDueDate": DATE, "cycle": {**_CYCLE, "default": "MONTHLY"},
        "description": _PAYMENT["description"], "externalReference": {"type": "string", "minLength": 1},
        "endDate": DATE, "maxPayments": {"type": "integer", "minimum": 1},
        "discount": _PAYMENT["discount"], "interest": _PAYMENT["interest"], "fine": _PAYMENT["fine"],
    },
}, {
    "customer": ("Customer", "Asaas customer id (cus_…): map it from a customer step, or choose one."),
    "billingType": ("Billing type", "How the customer pays each payment; \"let the payer choose\" offers "
                    "boleto, Pix and card."),
    "value": ("Value per payment (R$)", "The amount of each payment, in reais, e.g. 1234.56."),
    "nextDueDate": ("First due date", "The due date of the first payment, YYYY-MM-DD; the next ones follow "
                    "the cycle."),
    "cycle": ("Cycle", "How often a payment is generated; monthly by default."),
    "description": ("Description", "What the subscription is for; shown on each payment (up to 500 characters)."),
    "externalReference": ("External reference", "What makes this subscription unique (e.g. the signed "
                          "contract): a subscription that already carries it is reused, never created again. "
                          "Defaults to Ponte's idempotency key."),
    "endDate": ("End date", "No payment is generated after this day (optional)."),
    "maxPayments": ("Number of payments", "Stop after this many payments (optional)."),
    "discount": ("Discount", "A discount for paying early: value, days before the due date, fixed or percent."),
    "interest": ("Interest", "Monthly interest after the due date, in percent."),
    "fine": ("Fine", "The fine charged after the due date."),
})

_ID = {"type": "string", "pattern": "^sub_", "minLength": 5}
UPDATE_INPUT_SCHEMA: dict[str, Any] = with_labels({
    "type": "object",
    "required": ["id"],
    "additionalProperties": False,
    "properties": {"id": _ID, "value": _PAYMENT["value"], "nextDueDate": DATE, "cycle": _CYCLE,
                   "billingType": _PAYMENT["billingType"], "description": _PAYMENT["description"],
                   "updatePendingPayments": {"type": "boolean", "default": False}},
}, {
    "id": ("Subscription", "The Asaas subscription id (sub_…)."),
    "value": ("Value per payment (R$)", "The new amount of each payment, in reais."),
    "nextDueDate": ("Next due date", "The due date of the next payment to be generated (payments already "
                    "generated keep theirs)."),
    "cycle": ("Cycle", "How often a payment is generated."),
    "billingType": ("Billing type", "How the customer pays each payment."),
    "description": ("Description", "What the subscription is for."),
    "updatePendingPayments": ("Also change pending payments", "Apply a new value or billing type to the "
                              "payments already generated and not yet paid."),
})
CANCEL_INPUT_SCHEMA: dict[str, Any] = with_labels({
    "type": "object", "required": ["id"], "additionalProperties": False, "properties": {"id": _ID},
}, {"id": ("Subscription", "The Asaas subscription id (sub_…) to cancel.")})

OUTPUT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "status", "value", "cycle", "nextDueDate", "customer", "reused"],
    "properties": {**{k: SUBSCRIPTION_SCHEMA["properties"][k] for k in OUTPUT_FIELDS},
                   "reused": {"type": "boolean",
                              "description": "true when the subscription with this externalReference existed"}},
}
CANCEL_OUTPUT_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["id", "deleted", "already_deleted"],
    "properties": {"id": {"type": "string"}, "deleted": {"type": "boolean"},
                   "already_deleted": {"type": "boolean",
                                       "description": "true when an earlier call had already removed it"}},
}
_S = TRIGGER_SAMPLE["subscription"]
SAMPLE: dict[str, Any] = {**{k: _S.get(k) for k in OUTPUT_FIELDS}, "nextDueDate": "2024-11-22", "reused": False}


def _output(subscription: dict[str, Any], *, reused: bool = False) -> dict[str, Any]:
    return {**{k: subscription.get(k) for k in OUTPUT_FIELDS}, "reused": reused}


def _path(subscription_id: Any) -> str:
    """``/subscriptions/<id>`` with the id quoted: a mapped value can never reach another endpoint."""
    return f"/subscriptions/{quote(str(subscription_id), safe='')}"


def _money(body: dict[str, Any]) -> None:
    cents = _cents(body.get("value"))
    if cents is not None:
        body["value"] = _as_sent(cents)


def find_subscription(client: HttpClient, reference: str, customer: str) -> dict[str, Any] | None:
    """The live subscription of ``customer`` carrying ``reference`` (deleted ones do not count)."""
    filters = {"externalReference": reference, "customer": customer}
    return next((s for s in iter_pages(client, "/subscriptions", filters) if not s.get("deleted")), None)


def create_subscription(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    body = {k: data[k] for k in CREATE_FIELDS if data.get(k) not in (None, "")}
    body.setdefault("cycle", "MONTHLY")
    _money(body)
    reference = body.get("externalReference") or ctx.idempotency_key
    if not reference:
        raise PermanentError("create_subscription needs an externalReference (or an idempotency key) "
                             "so that a retry can never create a second subscription")
    body["externalReference"] = reference
    client = client_for(ctx)
    with ctx.exclusive(f"asaas-subscription:{ctx.connection_name}:{reference}"):
        existing = find_subscription(client, reference, str(body["customer"]))
        if existing is not None:
            ctx.logger.info("reusing Asaas subscription %s (externalReference already used)", existing.get("id"))
            return _output(existing, reused=True)
        return _output(client.post("/subscriptions", json=body))


def update_subscription(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Setting the same values twice is the same update, so a retry is harmless."""
    body = {k: data[k] for k in UPDATE_FIELDS if data.get(k) not in (None, "")}
    if not set(body) - {"updatePendingPayments"}:
        raise PermanentError("update_subscription has nothing to change: give value, nextDueDate, cycle, "
                             "billingType or description")
    _money(body)
    updated = client_for(ctx).post(_path(data["id"]), json=body, allow_404=True)
    if updated is None:
        raise PermanentError(f"subscription not found: Asaas has no subscription {data['id']!r}", status_code=404)
    return _output(updated)


def cancel_subscription(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """DELETE; when Asaas answers 404 or 400, a subscription that reads as deleted was cancelled already."""
    client = client_for(ctx)
    try:
        answer = client.request("DELETE", _path(data["id"]), allow_404=True)
    except PermanentError as exc:
        if exc.status_code != 400:
            raise
        answer = None
    if answer is not None:
        return {"id": str(data["id"]), "deleted": True, "already_deleted": False}
    current = client.get(_path(data["id"]), allow_404=True)
    if isinstance(current, dict) and current.get("deleted"):
        return {"id": str(data["id"]), "deleted": True, "already_deleted": True}
    if current is None:
        raise PermanentError(f"subscription not found: Asaas has no subscription {data['id']!r}", status_code=404)
    raise PermanentError(f"Asaas did not remove subscription {data['id']!r} (status {current.get('status')})")


def summary(output: dict[str, Any], locale: str) -> str:
    return subscription_line(output, None, locale)


CREATE_SUBSCRIPTION = Action(
    key="create_subscription", title="Create subscription",
    description="Creates an Asaas subscription (assinatura): a payment is generated every cycle, the first "
    "one due on the first due date.",
    input_schema=CREATE_INPUT_SCHEMA, output_schema=OUTPUT_SCHEMA, sample=SAMPLE, run=create_subscription,
    choices={"customer": dynamic("customers"), "billingType": BILLING_TYPES, "cycle": CYCLE_CHOICES},
    summary=summary,
    idempotency="externalReference (mapped from the business object, e.g. the signed contract; default: the "
    "step's idempotency key) is looked up on every attempt, under a lock, before creating: a subscription "
    "that carries it is returned with reused=true, so one contract makes one subscription.",
)
UPDATE_SUBSCRIPTION = Action(
    key="update_subscription", title="Update subscription",
    description="Changes an Asaas subscription's value, next due date, cycle or billing type; optionally "
    "also its pending payments.",
    input_schema=UPDATE_INPUT_SCHEMA, output_schema=OUTPUT_SCHEMA, sample=SAMPLE, run=update_subscription,
    choices={"billingType": BILLING_TYPES, "cycle": CYCLE_CHOICES}, summary=summary,
    idempotency="Sets values (never adds to them): repeating the same update leaves the same subscription.",
)
CANCEL_SUBSCRIPTION = Action(
    key="cancel_subscription", title="Cancel subscription",
    description="Removes an Asaas subscription: no more payments are generated and its pending payments "
    "are removed.",
    input_schema=CANCEL_INPUT_SCHEMA, output_schema=CANCEL_OUTPUT_SCHEMA,
    sample={"id": "sub_m5gdy1upm25fbwgx", "deleted": True, "already_deleted": False},
    run=cancel_subscription, summary=lambda output, locale: str(output.get("id") or ""),
    idempotency="A subscription already removed counts as cancelled (already_deleted=true), so a retry or a "
    "second cancel succeeds.",
)
SUBSCRIPTION_ACTIONS = (CREATE_SUBSCRIPTION, UPDATE_SUBSCRIPTION, CANCEL_SUBSCRIPTION)
