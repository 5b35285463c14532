"""Catch-up for Asaas: the payment events a paused queue or an outage kept from Ponte, from ``GET /payments``.

Asaas lists payments by day (``dateCreated[ge]``, ``paymentDate[ge]``, ``dueDate[le]``, São Paulo
dates), never by event, so the catch-up rebuilds the events a payment's state proves happened:
created (``dateCreated``), confirmed / received (``paymentDate`` and the status), overdue (``status``
OVERDUE with ``dueDate`` in the window). Events the state cannot prove (updated, viewed, refunds)
are left to the queue Asaas keeps for 14 days and resumes on reactivation.

:func:`change_key` names the business change, not the delivery: ``pay_1:PAYMENT_RECEIVED:2025-03-06``
is the same for the webhook Asaas sends and for the event rebuilt here, so the engine runs a recipe
once for it whichever comes first. Day granularity means one catch-up re-lists changes already
delivered that day; the key makes those a no-op.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from connectors.sdk import Context, InboundEvent
from connectors.sdk.base import JSON

from .client import client_for, iter_payments

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
#: The payment field that tells one occurrence of each event from a later one (None: once per payment).
_MARKERS: dict[str, str | None] = {
    "PAYMENT_CREATED": None,
    "PAYMENT_CONFIRMED": "confirmedDate",
    "PAYMENT_RECEIVED": "paymentDate",
    "PAYMENT_OVERDUE": "dueDate",
    "PAYMENT_REFUNDED": None,
    "PAYMENT_DELETED": None,
    "PAYMENT_RESTORED": None,
}
PAID = ("RECEIVED", "RECEIVED_IN_CASH")


def change_key(event_type: str, payload: JSON) -> str | None:
    """``<payment id>:<event>[:<marker>]`` for the events a state can prove; None for the others."""
    if event_type not in _MARKERS:
        return None
    payment = payload.get("payment")
    if not isinstance(payment, dict) or not isinstance(payment.get("id"), str) or not payment["id"]:
        return None
    field = _MARKERS[event_type]
    marker = f":{payment.get(field) or ''}" if field else ""
    return f"{payment['id']}:{event_type}{marker}"


def _day(moment: datetime) -> str:
    return moment.astimezone(SAO_PAULO).date().isoformat()


def _event(event_type: str, payment: JSON, now: str) -> InboundEvent | None:
    envelope: JSON = {"id": "", "event": event_type, "dateCreated": now, "payment": payment, "recovered": True}
    key = change_key(event_type, envelope)
    if key is None:
        return None
    envelope["id"] = f"recovered:{key}"
    return InboundEvent(dedupe_key=f"recovered:{key}", event_type=event_type, payload=envelope, occurred_at=now)


def recover(ctx: Context, since: datetime, until: datetime) -> list[InboundEvent]:
    """The events the state of Asaas's payments proves happened from ``since`` to ``until``."""
    client = client_for(ctx)
    first, last = _day(since), _day(until)
    now = datetime.now(SAO_PAULO).strftime("%Y-%m-%d %H:%M:%S")
    found: dict[str, InboundEvent] = {}

    def add(event_type: str, payment: dict[str, Any]) -> None:
        event = _event(event_type, payment, now)
        if event is not None:
            found.setdefault(event.dedupe_key, event)

    for payment in iter_payments(client, {"dateCreated_ge": first, "dateCreated_le": last}):
        add("PAYMENT_CREATED", payment)
    for payment in iter_payments(client, {"paymentDate_ge": first, "paymentDate_le": last}):
        status = payment.get("status")
        if status in PAID or status == "CONFIRMED":
            if payment.get("confirmedDate"):
                add("PAYMENT_CONFIRMED", payment)
            if status in PAID:
                add("PAYMENT_RECEIVED", payment)
    # A payment becomes OVERDUE the day after its due date.
    due_first = (since.astimezone(SAO_PAULO).date() - timedelta(days=1)).isoformat()
    for payment in iter_payments(client, {"status": "OVERDUE", "dueDate_ge": due_first, "dueDate_le": last}):
        add("PAYMENT_OVERDUE", payment)
    return list(found.values())  # created, then paid, then overdue: the order they happen in
