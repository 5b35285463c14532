"""The collection rule's ``apply_fees`` step: after N days late, put a fine and monthly interest on
the payment itself, so whatever the customer pays from then on carries them.

Asaas documents two ways (docs.asaas.com, "Atualizar cobrança existente"): update the payment
(``POST /v3/payments/{id}``, allowed while it is PENDING or OVERDUE; ``billingType``, ``value`` and
``dueDate`` are required, ``fine`` and ``interest`` optional), or create a new payment with them.
Ponte updates: a second payment would leave the first one open, and the customer could pay both.

Assumed (the docs do not say it outright): ``fine.value`` with ``type: PERCENTAGE`` is a percent of
the value charged once after the due date, and ``interest.value`` a percent *per month* (the Asaas
UI's "juros ao mês"); Asaas computes both when the payment is made, so setting them on a payment
already overdue charges them from the due date. The current ``billingType``, ``value`` and
``dueDate`` are sent back unchanged (assumed accepted for an overdue payment, as the update is
documented for OVERDUE ones).

Idempotent by construction: the update *sets* two percentages, it adds nothing, so a retried or
replayed run cannot charge twice; and the payment is read first: fees already in place are not
sent again (``applied: false``). Each run re-reads the payment and stops (skipped, not failed) when
it was paid, refunded, removed, or its due date moved.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

from connectors.sdk import Action, Context, SkipError

from .client import client_for
from .reminders import CLOSED_STATUSES

_PERCENT = {"type": "number", "minimum": 0, "maximum": 100}

INPUT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "fine", "interest"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "pattern": "^pay_", "title": "Payment id", "description": "Asaas payment id (pay_…)"},
        "fine": {**_PERCENT, "title": "Fine (%)",
                 "description": "Charged once on the value after the due date, in percent (e.g. 2)."},
        "interest": {**_PERCENT, "title": "Interest (% a month)",
                     "description": "Interest per month after the due date, in percent (e.g. 1)."},
        "due_date": {"type": "string", "format": "date", "title": "Due date",
                     "description": "optional: skip when the payment's due date is no longer this one"},
    },
}

OUTPUT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "applied", "fine", "interest"],
    "properties": {
        "id": {"type": "string"},
        "applied": {"type": "boolean", "description": "false when the payment already had these fees"},
        "fine": {"type": "number"},
        "interest": {"type": "number"},
        "status": {"type": "string"},
        "value": {"type": "number"},
        "dueDate": {"type": "string"},
    },
}

SAMPLE: dict[str, Any] = {"id": "pay_n6ic32hq5hr1xcr1", "applied": True, "fine": 2.0, "interest": 1.0,
                          "status": "OVERDUE", "value": 450.0, "dueDate": "2025-03-10"}


def _percent(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)).quantize(Decimal("0.01")) if value is not None else None
    except InvalidOperation:
        return None


def has_fees(payment: dict[str, Any], fine: Any, interest: Any) -> bool:
    """The payment already carries exactly this fine (percent) and monthly interest."""
    fine_now, interest_now = payment.get("fine"), payment.get("interest")
    current_fine: dict[str, Any] = fine_now if isinstance(fine_now, dict) else {}
    current_interest: dict[str, Any] = interest_now if isinstance(interest_now, dict) else {}
    return (_percent(current_fine.get("value")) == _percent(fine)
            and str(current_fine.get("type") or "PERCENTAGE") == "PERCENTAGE"
            and _percent(current_interest.get("value")) == _percent(interest))


def open_payment(ctx: Context, payment_id: str, due_date: str | None) -> dict[str, Any]:
    """The payment as Asaas has it now; SkipError when it was paid, refunded, removed or moved."""
    payment = client_for(ctx).payment(payment_id)
    if payment is None or payment.get("deleted"):
        raise SkipError(f"payment already paid / removed: Asaas no longer has payment {payment_id}")
    status = str(payment.get("status") or "")
    if status in CLOSED_STATUSES or status not in ("PENDING", "OVERDUE"):
        raise SkipError(f"payment already paid / removed: {payment_id} is {status}")
    if due_date and payment.get("dueDate") != due_date:
        raise SkipError(f"the due date of {payment_id} changed from {due_date} to {payment.get('dueDate')}")
    return payment


def apply_fees(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    payment_id = str(data["id"])
    fine, interest = float(data["fine"]), float(data["interest"])
    payment = open_payment(ctx, payment_id, data.get("due_date"))
    if payment.get("billingType") == "CREDIT_CARD":
        raise SkipError(f"{payment_id} is a credit card payment: Asaas charges no fine or interest on those")
    result = {"id": payment_id, "fine": fine, "interest": interest}
    if has_fees(payment, fine, interest):
        return {**result, "applied": False, "status": payment.get("status"), "value": payment.get("value"),
                "dueDate": payment.get("dueDate")}
    body = {"billingType": payment.get("billingType"), "value": payment.get("value"),
            "dueDate": payment.get("dueDate"), "fine": {"value": fine, "type": "PERCENTAGE"},
            "interest": {"value": interest}}
    updated = client_for(ctx).post(f"/payments/{quote(payment_id, safe='')}", json=body)
    return {**result, "applied": True, "status": updated.get("status"), "value": updated.get("value"),
            "dueDate": updated.get("dueDate")}


def _summary(output: dict[str, Any], locale: str) -> str:
    return f"{output.get('id')} · {output.get('fine')}% + {output.get('interest')}%/m"


APPLY_FEES = Action(
    key="apply_fees",
    title="Apply fine and interest to a payment",
    description="Collection rule escalation: reads the payment again (skips it when paid, refunded, "
    "removed or moved to another due date) and updates it with a fine (percent) and a monthly "
    "interest (percent), as Asaas charges them on late payments. Nothing is sent when it already "
    "has them.",
    input_schema=INPUT_SCHEMA,
    output_schema=OUTPUT_SCHEMA,
    sample=SAMPLE,
    run=apply_fees,
    summary=_summary,
    idempotency="Sets two percentages on the payment (POST /payments/{id}), never adds an amount: "
    "repeating it cannot charge twice; the payment is read first and fees already in place are not "
    "sent again.",
)
