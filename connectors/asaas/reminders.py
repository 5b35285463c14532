"""The collection rule (régua de cobrança): the ``payment_due_reminder`` polling trigger and the
``check_payment_open`` action that a reminder recipe calls right before it sends anything.

A rule is a list of day offsets relative to the due date (``-5`` = five days before, ``0`` = on the
day, ``7`` = a week late). Each tick sweeps Asaas once per status (PENDING, OVERDUE) over the one due
date range that covers every offset, 100 payments per call, and emits one event per
(payment, offset, due date) whose reminder day has come. The dedupe key carries the due date, so a
payment whose due date moves gets its steps again for the new date.

The cursor ``{"through": "YYYY-MM-DD"}`` is the last day whose reminders were all emitted. Today is
never "through" (a payment created at 15:00 due today still gets its D0), so every tick rescans today
and the engine's dedupe absorbs repeats. Without a cursor (a new recipe) the window starts today:
reminder days already past are never replayed. After an outage, missed days are caught up, at most
:data:`MAX_CATCH_UP_DAYS` back. Days are São Paulo days (UTC−3, no daylight saving since 2019).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from connectors.sdk import Action, Context, InboundEvent, SkipError, Trigger

from .client import client_for, iter_payments
from .summaries import event_summary, payment_summary
from .triggers import CUSTOMER_SCHEMA, PAYMENT_SCHEMA, SAMPLE
from .triggers import prepare as enrich

BRAZIL = timezone(timedelta(hours=-3), "America/Sao_Paulo")
DEFAULT_OFFSETS = (-5, 0, 1, 7)
OPEN_STATUSES = ("PENDING", "OVERDUE")
CLOSED_STATUSES = frozenset({"RECEIVED", "CONFIRMED", "RECEIVED_IN_CASH", "REFUNDED", "REFUND_REQUESTED",
                             "REFUND_IN_PROGRESS", "DUNNING_RECEIVED"})
MAX_CATCH_UP_DAYS = 3
EVENT_TYPE = "PAYMENT_DUE_REMINDER"

OPTIONS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "offsets": {
            "type": "array",
            "title": "Reminder days",
            "description": "Days relative to the due date: -5 = five days before, 0 = on the due date, "
            "7 = seven days after.",
            "items": {"type": "integer", "minimum": -90, "maximum": 90},
            "minItems": 1,
            "maxItems": 12,
            "uniqueItems": True,
            "default": list(DEFAULT_OFFSETS),
        },
    },
}

REMINDER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["offset", "phase", "days", "due_date"],
    "properties": {
        "offset": {"type": "integer", "description": "days from the due date (negative: before)"},
        "phase": {"type": "string", "enum": ["before", "due", "after"]},
        "days": {"type": "integer", "minimum": 0, "description": "abs(offset)"},
        "due_date": {"type": "string", "format": "date", "description": "the due date this step is for"},
        "date": {"type": "string", "format": "date", "description": "the reminder day (São Paulo)"},
    },
}

OUTPUT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["event", "payment", "customer", "reminder"],
    "properties": {
        "event": {"type": "string", "const": EVENT_TYPE},
        "payment": PAYMENT_SCHEMA,
        "customer": CUSTOMER_SCHEMA,
        "reminder": REMINDER_SCHEMA,
    },
}

REMINDER_SAMPLE: dict[str, Any] = {
    "event": EVENT_TYPE,
    "payment": SAMPLE["payment"],
    "customer": SAMPLE["customer"],
    "reminder": {"offset": -5, "phase": "before", "days": 5, "due_date": "2025-03-10", "date": "2025-03-05"},
}


def today_in_brazil(now: datetime | None = None, zone: str | None = None) -> date:
    """The calendar day in the business's zone (São Paulo unless set): Asaas due dates are local days."""
    return (now or datetime.now(UTC)).astimezone(ZoneInfo(zone) if zone else BRAZIL).date()


def offsets_of(options: Mapping[str, Any]) -> list[int]:
    return sorted({int(o) for o in (options.get("offsets") or DEFAULT_OFFSETS)})


def reminder(offset: int, due: date) -> dict[str, Any]:
    """The ``reminder`` block of the trigger output for one step of the rule."""
    phase = "before" if offset < 0 else "due" if offset == 0 else "after"
    return {"offset": offset, "phase": phase, "days": abs(offset), "due_date": due.isoformat(),
            "date": (due + timedelta(days=offset)).isoformat()}


def window_start(cursor: Any, today: date) -> date:
    """First reminder day to emit: today for a new rule, else the day after ``through`` (capped)."""
    through = _day(cursor.get("through")) if isinstance(cursor, Mapping) else None
    if through is None:
        return today
    return min(today, max(through + timedelta(days=1), today - timedelta(days=MAX_CATCH_UP_DAYS)))


def due_range(start: date, today: date, offsets: list[int]) -> tuple[date, date]:
    """Due dates whose reminder day ``due + offset`` falls in [start, today] for some offset."""
    return start - timedelta(days=max(offsets)), today - timedelta(days=min(offsets))


def steps_due(payment: Mapping[str, Any], offsets: list[int], start: date, today: date) -> list[int]:
    """The offsets of ``payment`` whose reminder day is in [start, today]."""
    due = _day(payment.get("dueDate"))
    if due is None or payment.get("deleted"):
        return []
    return [o for o in offsets if start <= due + timedelta(days=o) <= today]


def poll(ctx: Context, options: Mapping[str, Any], cursor: Any) -> tuple[list[InboundEvent], Any]:
    """One sweep per open status over the rule's due date range; one event per step whose day came."""
    today = today_in_brazil(zone=ctx.timezone)
    offsets = offsets_of(options)
    start = window_start(cursor, today)
    low, high = due_range(start, today, offsets)
    client = client_for(ctx)
    events: list[InboundEvent] = []
    seen: set[str] = set()
    for status in OPEN_STATUSES:
        filters = {"status": status, "dueDate_ge": low.isoformat(), "dueDate_le": high.isoformat()}
        for payment in iter_payments(client, filters):
            payment_id = str(payment.get("id") or "")
            if not payment_id or payment_id in seen:  # a payment turning OVERDUE between the two sweeps
                continue
            seen.add(payment_id)
            due = _day(payment.get("dueDate"))
            for offset in steps_due(payment, offsets, start, today):
                assert due is not None
                events.append(InboundEvent(
                    dedupe_key=f"{payment_id}:{offset:+d}:{due.isoformat()}",
                    event_type=EVENT_TYPE,
                    payload={"payment": payment, "reminder": reminder(offset, due)},
                    occurred_at=(due + timedelta(days=offset)).isoformat(),
                ))
    return events, {"through": (today - timedelta(days=1)).isoformat()}


def prepare(ctx: Context, payload: dict[str, Any], options: Mapping[str, Any]) -> dict[str, Any]:
    """The stored ``{payment, reminder}`` → ``{event, payment, customer, reminder}`` (customer fetched)."""
    enriched = enrich(ctx, {"payment": payload.get("payment") or {}}, options)
    return {"event": EVENT_TYPE, "payment": enriched["payment"], "customer": enriched["customer"],
            "reminder": payload.get("reminder") or {}}


def check_payment_open(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """The payment as Asaas has it now; SkipError when it was paid, refunded or removed meanwhile."""
    payment_id = str(data["id"])
    payment = client_for(ctx).payment(payment_id)
    if payment is None or payment.get("deleted"):
        raise SkipError(f"payment already paid / removed: Asaas no longer has payment {payment_id}")
    status = str(payment.get("status") or "")
    if status in CLOSED_STATUSES:
        raise SkipError(f"payment already paid / removed: {payment_id} is {status}")
    due_date = data.get("due_date")
    if due_date and payment.get("dueDate") != due_date:
        raise SkipError(f"the due date of {payment_id} changed from {due_date} to {payment.get('dueDate')}; "
                        "the reminders of the new date come on their own days")
    return payment


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


PAYMENT_DUE_REMINDER = Trigger(
    key="payment_due_reminder",
    title="Collection rule: payment due reminders",
    description="Fires for each open payment (PENDING or OVERDUE) on the chosen days before, on and after "
    "its due date, once per payment, day and due date. Polls Asaas; the output is the payment, its "
    "customer and the reminder step (offset, phase before/due/after, days, due date).",
    output_schema=OUTPUT_SCHEMA,
    sample=REMINDER_SAMPLE,
    kind="polling",
    options_schema=OPTIONS_SCHEMA,
    event_types=(EVENT_TYPE,),
    prepare=prepare,
    poll=poll,
    summary=event_summary,
)

CHECK_PAYMENT_OPEN = Action(
    key="check_payment_open",
    title="Check that a payment is still open",
    description="Reads the payment again right before a reminder is sent: a payment already paid, "
    "refunded or removed (or, given due_date, whose due date moved) skips the run (recorded as skipped, "
    "not failed); otherwise returns the payment.",
    input_schema={
        "type": "object",
        "required": ["id"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "string", "pattern": "^pay_", "title": "Payment id",
                   "description": "Asaas payment id (pay_…)"},
            "due_date": {"type": "string", "format": "date", "title": "Due date",
                         "description": "optional: skip too when the payment's due date is no longer this one"},
        },
    },
    output_schema=PAYMENT_SCHEMA,
    sample=SAMPLE["payment"],
    run=check_payment_open,
    summary=payment_summary,
    idempotency="Read-only (GET /payments/{id}): safe to repeat.",
)
