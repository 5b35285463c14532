"""The collection rule's ``notify_owner`` step: once a day, one e-mail to the account owner or the
finance team listing what is overdue, not one per payment.

``overdue_digest`` is a polling trigger that emits at most **one event per São Paulo day** (dedupe
key ``digest:<day>``, so a repeated poll, a second scheduler or a retried tick stores nothing new),
from ``hour`` on, listing the payments at least ``min_days`` past due. No event on a day with
nothing overdue. ``check_overdue_open`` then reads each listed payment again right before the
e-mail: those paid meanwhile drop out, and with none left the run is skipped (nothing is sent).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from connectors.sdk import Action, Context, InboundEvent, SkipError, Trigger

from .client import client_for, iter_payments
from .fees import open_payment
from .reminders import BRAZIL
from .summaries import CATALOG, money

EVENT_TYPE = "OVERDUE_DIGEST"
OVERDUE_LISTED = "%(count)d overdue payment(s)"
MAX_LISTED = 200

OPTIONS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "min_days": {"type": "integer", "minimum": 1, "maximum": 365, "default": 1, "title": "Days overdue",
                     "description": "List payments at least this many days past their due date."},
        "hour": {"type": "integer", "minimum": 0, "maximum": 23, "default": 8, "title": "Hour",
                 "description": "Send from this hour on (São Paulo time), once a day."},
    },
}

ITEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "value", "dueDate", "days_overdue"],
    "properties": {
        "id": {"type": "string"}, "customer": {"type": "string"}, "customer_name": {"type": "string"},
        "value": {"type": "number"}, "amount": {"type": "string", "description": "R$ 1.234,56"},
        "dueDate": {"type": "string"}, "due_date": {"type": "string", "description": "dd/mm/aaaa"},
        "days_overdue": {"type": "integer"}, "invoiceUrl": {"type": ["string", "null"]},
        "description": {"type": ["string", "null"]},
    },
}

OUTPUT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["event", "date", "payments", "count"],
    "properties": {
        "event": {"type": "string", "const": EVENT_TYPE},
        "date": {"type": "string", "format": "date", "description": "the São Paulo day of the digest"},
        "min_days": {"type": "integer"},
        "payments": {"type": "array", "items": ITEM_SCHEMA},
        "ids": {"type": "array", "items": {"type": "string"}, "description": "the listed payments' ids"},
        "count": {"type": "integer", "description": "payments overdue (may be more than listed)"},
    },
}

_ITEM = {"id": "pay_n6ic32hq5hr1xcr1", "customer": "cus_000006326297", "customer_name": "Marina Costa",
         "value": 450.0, "amount": "R$ 450,00", "dueDate": "2025-03-10", "due_date": "10/03/2025",
         "days_overdue": 5, "invoiceUrl": "https://sandbox.asaas.com/i/n6ic32hq5hr1xcr1",
         "description": "Mensalidade de março"}
SAMPLE: dict[str, Any] = {"event": EVENT_TYPE, "date": "2025-03-15", "min_days": 1, "payments": [_ITEM],
                          "ids": [_ITEM["id"]], "count": 1}


def _now(zone: str | None) -> datetime:
    return datetime.now(UTC).astimezone(ZoneInfo(zone) if zone else BRAZIL)


def _amount(value: Any) -> str:
    """"R$ 1.234,56" with a plain space (the e-mail's text part), "" for anything not a number."""
    return (money(value, "pt_BR") or "").replace("\xa0", " ")


def item(payment: Mapping[str, Any], today: date, customer_name: str = "") -> dict[str, Any]:
    """A listed payment, with the amount and the due date already written as people read them."""
    due = date.fromisoformat(str(payment.get("dueDate"))[:10])
    value = payment.get("value")
    amount = _amount(value)
    return {"id": str(payment.get("id")), "customer": str(payment.get("customer") or ""),
            "customer_name": customer_name, "value": value, "amount": amount, "dueDate": due.isoformat(),
            "due_date": due.strftime("%d/%m/%Y"), "days_overdue": (today - due).days,
            "invoiceUrl": payment.get("invoiceUrl"), "description": payment.get("description")}


def poll(ctx: Context, options: Mapping[str, Any], cursor: Any) -> tuple[list[InboundEvent], Any]:
    """Today's digest once the hour has come, unless today's was already emitted (the cursor)."""
    now = _now(ctx.timezone)
    today = now.date()
    if (isinstance(cursor, Mapping) and cursor.get("through") == today.isoformat()) \
            or now.hour < int(options.get("hour", 8)):
        return [], cursor
    latest = today - timedelta(days=int(options.get("min_days", 1)))
    found: dict[str, dict[str, Any]] = {}
    client = client_for(ctx)
    for status in ("OVERDUE", "PENDING"):  # PENDING: past due but not flipped by Asaas yet
        for payment in iter_payments(client, {"status": status, "dueDate_le": latest.isoformat()}):
            if payment.get("id") and not payment.get("deleted") and payment.get("dueDate"):
                found.setdefault(str(payment["id"]), payment)
    done = {"through": today.isoformat()}
    if not found:
        return [], done
    listed = sorted(found.values(), key=lambda p: (str(p.get("dueDate")), str(p.get("id"))))
    shown = [item(p, today) for p in listed[:MAX_LISTED]]
    payload = {"date": today.isoformat(), "min_days": int(options.get("min_days", 1)), "count": len(listed),
               "payments": shown, "ids": [p["id"] for p in shown]}
    return [InboundEvent(dedupe_key=f"digest:{today.isoformat()}", event_type=EVENT_TYPE, payload=payload,
                         occurred_at=now.isoformat())], done


def summary(output: dict[str, Any], locale: str) -> str:
    """"3 cobrança(s) vencida(s)": how many the digest (or the re-check) lists."""
    count = output.get("count")
    return CATALOG.gettext(OVERDUE_LISTED, locale) % {"count": count if isinstance(count, int) else 0}


def prepare(ctx: Context, payload: dict[str, Any], options: Mapping[str, Any]) -> dict[str, Any]:
    return {"event": EVENT_TYPE, **payload}


def check_overdue_open(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """The listed payments still open, read again one by one, with their customers' names."""
    client = client_for(ctx)
    today = _now(ctx.timezone).date()
    names: dict[str, str] = {}
    still: list[dict[str, Any]] = []
    for payment_id in data["ids"]:
        try:
            payment = open_payment(ctx, str(payment_id), None)
        except SkipError:
            continue  # paid or removed since the digest was made: it drops out
        customer_id = str(payment.get("customer") or "")
        if customer_id and customer_id not in names:
            customer = client.customer(customer_id) or {}
            names[customer_id] = str(customer.get("name") or "")
        still.append(item(payment, today, names.get(customer_id, "")))
    if not still:
        raise SkipError("every payment of the digest was paid or removed meanwhile: nothing to report")
    total = sum(float(p["value"]) for p in still if isinstance(p["value"], int | float))
    return {"payments": still, "count": len(still),
            "total": _amount(round(total, 2))}


OVERDUE_DIGEST = Trigger(
    key="overdue_digest",
    title="Collection rule: daily list of overdue payments",
    description="Once a day (from the chosen hour, São Paulo time), the payments at least N days past "
    "their due date, in one event: for one e-mail to the account owner or the finance team. No event "
    "on a day with nothing overdue.",
    output_schema=OUTPUT_SCHEMA,
    sample=SAMPLE,
    kind="polling",
    options_schema=OPTIONS_SCHEMA,
    event_types=(EVENT_TYPE,),
    prepare=prepare,
    poll=poll,
    summary=summary,
)

CHECK_OVERDUE_OPEN = Action(
    key="check_overdue_open",
    title="Keep the payments still open",
    description="Reads each listed payment again right before the digest is sent: those paid, "
    "refunded or removed meanwhile drop out; with none left the run is skipped (nothing is sent).",
    input_schema={"type": "object", "required": ["ids"], "additionalProperties": False, "properties": {
        "ids": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": MAX_LISTED,
                "title": "Payment ids", "description": "The payments to read again (pay_…)."}}},
    output_schema={"type": "object", "required": ["payments", "count"], "properties": {
        "payments": {"type": "array", "items": ITEM_SCHEMA}, "count": {"type": "integer"},
        "total": {"type": "string", "description": "R$ 1.234,56"}}},
    sample={"payments": [_ITEM], "count": 1, "total": "R$ 450,00"},
    run=check_overdue_open,
    summary=summary,
    idempotency="Read-only (GET /payments/{id}, GET /customers/{id}): safe to repeat.",
)
