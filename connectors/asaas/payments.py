"""Payment actions: ``create_payment``, ``get_payment`` and ``list_payments``.

``create_payment`` is made idempotent with ``externalReference``: it defaults to the engine's
idempotency key (stable across the retries of one step). A POST that timed out may have created
the payment, so on a retry (``ctx.attempt > 1``) the action first searches
``GET /payments?externalReference=…`` and returns what it finds instead of charging twice
(the failure mode the Asaas docs describe as "cobrança duplicada após retentativa").
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from connectors.sdk import Action, Context, HttpClient, PermanentError, dynamic, with_labels

from .client import PAGE_LIMIT, client_for, iter_pages, list_query, page_items
from .fields import BILLING_TYPES, PAYMENT_STATUSES
from .summaries import list_summary, payment_summary
from .triggers import PAYMENT_SCHEMA
from .triggers import SAMPLE as TRIGGER_SAMPLE

PAYMENT_FIELDS = (
    "customer", "billingType", "value", "dueDate", "description", "externalReference",
    "daysAfterDueDateToRegistrationCancellation", "discount", "interest", "fine",
)
OUTPUT_FIELDS = (
    "id", "status", "value", "netValue", "billingType", "dueDate", "invoiceUrl", "bankSlipUrl",
    "customer", "externalReference",
)
DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$", "format": "date"}
_AMOUNT = {"type": "object", "properties": {"value": {"type": "number", "minimum": 0}}}

CREATE_INPUT: dict[str, Any] = {
    "type": "object",
    "required": ["customer", "billingType", "value", "dueDate"],
    "additionalProperties": False,
    "properties": {
        "customer": {"type": "string", "pattern": "^cus_", "description": "Asaas customer id (cus_…)"},
        "billingType": {"type": "string", "enum": ["UNDEFINED", "BOLETO", "CREDIT_CARD", "PIX"],
                        "description": "UNDEFINED lets the payer choose"},
        "value": {"type": "number", "exclusiveMinimum": 0},
        "dueDate": {**DATE, "description": "YYYY-MM-DD"},
        "description": {"type": "string", "maxLength": 500},
        "externalReference": {
            "type": "string",
            "description": "Defaults to Ponte's idempotency key. If you map your own, it must be "
            "unique per payment: a retry reuses the payment that carries it.",
        },
        "daysAfterDueDateToRegistrationCancellation": {"type": "integer", "minimum": 0,
                                                       "description": "boleto only"},
        "discount": {"type": "object", "properties": {
            "value": {"type": "number", "minimum": 0},
            "dueDateLimitDays": {"type": "integer", "minimum": 0},
            "type": {"type": "string", "enum": ["FIXED", "PERCENTAGE"]},
        }},
        "interest": {**_AMOUNT, "description": "monthly interest, percent"},
        "fine": {**_AMOUNT, "description": "fine after the due date"},
    },
}
CREATE_INPUT = with_labels(CREATE_INPUT, {
    "customer": ("Customer", "Asaas customer id (cus_…): map it from a customer step, or choose one."),
    "billingType": ("Billing type", "How the customer pays; \"let the payer choose\" offers boleto, Pix and card."),
    "value": ("Value (R$)", "The amount to charge, in reais, e.g. 1234.56."),
    "dueDate": ("Due date", "The day the payment is due, YYYY-MM-DD."),
    "description": ("Description", "What the charge is for; shown to the customer (up to 500 characters)."),
    "externalReference": ("External reference", "Defaults to Ponte's idempotency key. If you map your own, it "
                          "must be unique per payment: a retry reuses the payment that carries it."),
    "daysAfterDueDateToRegistrationCancellation": (
        "Days until the boleto is cancelled", "Boleto only: days after the due date until it can no longer be paid."),
    "discount": ("Discount", "A discount for paying early: value, days before the due date, fixed or percent."),
    "interest": ("Interest", "Monthly interest after the due date, in percent."),
    "fine": ("Fine", "The fine charged after the due date."),
})
PAYMENT_OUTPUT: dict[str, Any] = {
    "type": "object",
    "required": ["id", "status", "value", "billingType", "dueDate", "customer", "reused"],
    "properties": {
        **{k: PAYMENT_SCHEMA["properties"][k] for k in OUTPUT_FIELDS},
        "reused": {"type": "boolean", "description": "true when a retry found the payment already made"},
    },
}

PAYMENT_SAMPLE: dict[str, Any] = {
    "id": "pay_n6ic32hq5hr1xcr1",
    "status": "PENDING",
    "value": 450.0,
    "netValue": 449.01,
    "billingType": "BOLETO",
    "dueDate": "2025-03-10",
    "invoiceUrl": "https://sandbox.asaas.com/i/n6ic32hq5hr1xcr1",
    "bankSlipUrl": "https://sandbox.asaas.com/b/pdf/n6ic32hq5hr1xcr1",
    "customer": "cus_000006326297",
    "externalReference": "ponte-42-2",
    "reused": False,
}


def _summary(payment: dict[str, Any], *, reused: bool) -> dict[str, Any]:
    return {**{k: payment.get(k) for k in OUTPUT_FIELDS}, "reused": reused}


def find_own_payment(client: HttpClient, body: dict[str, Any]) -> dict[str, Any] | None:
    """A live payment this step already made: same externalReference, customer, due date and value.

    Matching more than the reference keeps a user-mapped reference (say, a contract number shared
    by several monthly payments) from returning last month's payment.
    """
    wanted = _cents(body["value"])
    filters = {"externalReference": body["externalReference"], "customer": body["customer"]}
    for payment in iter_pages(client, "/payments", filters):  # a shared reference may have many
        if payment.get("deleted"):
            continue
        if payment.get("dueDate") == body["dueDate"] and _cents(payment.get("value")) == wanted:
            return payment
    return None


def _cents(value: Any) -> int | None:
    """A money amount in whole cents (R$ 99,999 is 10000; 2.675 is 268), or None when it is not a number.

    Asaas keeps two decimals; comparing cents, not floats, finds the payment an earlier attempt
    made even when the mapped value had more decimals. The amount is read through its text
    (a float's shortest ``repr`` is the JSON number it came from), never through float arithmetic,
    and rounded half-up: ``Decimal(2.675)`` would be 2.67499999… and round down.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        return None
    try:
        amount = Decimal(repr(value) if isinstance(value, float) else str(value).strip())
        if not amount.is_finite():
            return None
        return int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    except (InvalidOperation, ValueError):
        return None


def _as_sent(cents: int) -> float:
    """The amount as the JSON number Asaas reads: ``26800`` cents → ``268.0`` → ``268.0`` in the body.

    ``requests`` writes JSON with ``json.dumps``, which has no Decimal; ``cents / 100`` is the float
    nearest the two-decimal amount, and its ``repr`` (what ``json.dumps`` writes) is that amount's
    shortest text, e.g. ``2.68``, so the wire carries exactly the cents (assumed: Asaas reads the
    JSON number as a decimal, as its docs' examples with two decimals suggest).
    """
    return cents / 100


def _number(value: Any) -> float | None:
    """``value`` as a finite float, or None when Asaas sent something that is not a number."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def create_payment(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    body = {k: data[k] for k in PAYMENT_FIELDS if data.get(k) not in (None, "")}
    cents = _cents(body.get("value"))
    if cents is not None:
        body["value"] = _as_sent(cents)  # what Asaas will keep, sent as such
    reference = body.get("externalReference") or ctx.idempotency_key
    if reference:
        body["externalReference"] = reference
    client = client_for(ctx)
    if ctx.attempt > 1 and reference:
        existing = find_own_payment(client, body)
        if existing is not None:
            ctx.logger.info("attempt %s: reusing Asaas payment %s made by an earlier attempt",
                            ctx.attempt, existing.get("id"))
            return _summary(existing, reused=True)
    return _summary(client.post("/payments", json=body), reused=False)


def get_payment(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    payment = client_for(ctx).payment(str(data["id"]))
    if payment is None:
        raise PermanentError(f"payment not found: Asaas has no payment {data['id']!r}", status_code=404)
    return payment


LIST_INPUT: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "status": {"type": "string", "description": "e.g. PENDING, OVERDUE, RECEIVED"},
        "dueDate_ge": {**DATE, "description": "due on or after (dueDate[ge])"},
        "dueDate_le": {**DATE, "description": "due on or before (dueDate[le])"},
        "customer": {"type": "string", "pattern": "^cus_"},
        "externalReference": {"type": "string"},
        "offset": {"type": "integer", "minimum": 0, "default": 0},
        "limit": {"type": "integer", "minimum": 1, "maximum": PAGE_LIMIT, "default": PAGE_LIMIT},
    },
}
LIST_INPUT = with_labels(LIST_INPUT, {
    "status": ("Status", "Only payments in this status, e.g. PENDING, OVERDUE, RECEIVED."),
    "dueDate_ge": ("Due from", "Due on or after this day (dueDate[ge])."),
    "dueDate_le": ("Due until", "Due on or before this day (dueDate[le])."),
    "customer": ("Customer", "Only this customer's payments (cus_…)."),
    "externalReference": ("External reference", "Only payments carrying this reference."),
    "offset": ("Skip", "How many payments to skip, for the next page."),
    "limit": ("Page size", "How many payments to read, up to 100."),
})

LIST_OUTPUT: dict[str, Any] = {
    "type": "object",
    "required": ["data", "hasMore", "totalCount"],
    "properties": {
        "data": {"type": "array", "items": PAYMENT_SCHEMA},
        "hasMore": {"type": "boolean"},
        "totalCount": {"type": "integer"},
    },
}


def list_payments(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """One page of payments; the collection rule pages through with ``client.iter_payments``."""
    params = list_query({**data, "limit": min(int(data.get("limit") or PAGE_LIMIT), PAGE_LIMIT),
                         "offset": int(data.get("offset") or 0)})
    page = client_for(ctx).get("/payments", params=params)
    items = page_items(page, "/payments")
    total = _number(page.get("totalCount"))
    return {
        "data": items,
        "hasMore": bool(page.get("hasMore")),
        "totalCount": int(total) if total is not None else len(items),
    }


CREATE_PAYMENT = Action(
    key="create_payment",
    title="Create payment",
    description="Creates an Asaas payment (boleto, Pix, card or payer's choice) for a customer.",
    input_schema=CREATE_INPUT,
    output_schema=PAYMENT_OUTPUT,
    sample=PAYMENT_SAMPLE,
    run=create_payment,
    choices={"customer": dynamic("customers"), "billingType": BILLING_TYPES},
    summary=payment_summary,
    idempotency="externalReference defaults to the step's idempotency key (a mapped one is kept and "
    "used instead); on a retry (attempt > 1) the payment is first searched by externalReference, "
    "customer, due date and value, and returned with reused=true instead of created again.",
)

GET_PAYMENT = Action(
    key="get_payment",
    title="Get payment",
    description="Reads one Asaas payment by id (pay_…); fails the run when it does not exist.",
    input_schema={"type": "object", "required": ["id"], "additionalProperties": False,
                  "properties": {"id": {"type": "string", "minLength": 1, "title": "Payment id",
                                        "description": "The Asaas payment id (pay_…)."}}},
    output_schema=PAYMENT_SCHEMA,
    sample=TRIGGER_SAMPLE["payment"],
    run=get_payment,
    summary=payment_summary,
    idempotency="Read-only: safe to repeat.",
)

LIST_PAYMENTS = Action(
    key="list_payments",
    title="List payments",
    description="One page (up to 100) of Asaas payments filtered by status, customer or due date range.",
    input_schema=LIST_INPUT,
    output_schema=LIST_OUTPUT,
    sample={"data": [TRIGGER_SAMPLE["payment"]], "hasMore": False, "totalCount": 1},
    run=list_payments,
    choices={"customer": dynamic("customers"), "status": PAYMENT_STATUSES},
    summary=list_summary,
    idempotency="Read-only: safe to repeat. Counts against the 25,000 requests / 12 h Asaas quota.",
)
