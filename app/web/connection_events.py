"""The connection page's "last events received": every stored event, with or without a run.

Ponte stores every event a service sends (even a family no trigger covers: Asaas TRANSFER_*,
INVOICE_*, a ZapSign event added after this release), so a person can see it arrived and why it
started nothing: no trigger knows this kind of event, or one does but no enabled automation uses
it, or it waits for the executor. The page reads the same rows the engine does (events, runs).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.engine.dispatch import candidate_trigger_keys
from app.models import Connection, Event, Run
from app.web import metadata
from connectors import registry

LIMIT = 20


@dataclass(frozen=True)
class EventRow:
    """One stored event as the page shows it."""

    id: int
    received_at: datetime
    event_type: str
    title: str  # the title of the trigger made for this event ("" when none is)
    state: str  # "runs" | "waiting" | "no_recipe" | "no_trigger"
    runs: int
    last_run_id: int | None
    source: str


def trigger_title(connector_key: str, event_type: str) -> str:
    """The title of the connector's trigger made for ``event_type`` (listing it), in the page's language."""
    try:
        connector = registry.get_connector(connector_key)
    except LookupError:
        return ""
    for trigger in connector.triggers:
        if trigger.kind == "webhook" and event_type in trigger.event_types:
            return metadata.title(connector, trigger)
    return ""


def covered(connector_key: str, event_type: str) -> bool:
    """Whether any trigger of the connector may start a recipe on ``event_type``.

    A trigger with a ``matches`` function (Asaas "any payment event") is asked with no options,
    which is how it is used in the wizard; options can only narrow it further.
    """
    for key in candidate_trigger_keys(event_type):
        if not key.startswith(f"{connector_key}."):
            continue
        try:
            trigger = registry.get_trigger(key)[1]
        except LookupError:
            continue
        try:
            if trigger.event_types and event_type in trigger.event_types:
                return True
            if trigger.matches is not None and trigger.matches(event_type, {}, {}):
                return True
        except Exception:  # noqa: BLE001, S112 - a trigger that cannot judge without a payload is not proof
            continue
    return False


def recent_events(session: Session, connection: Connection, limit: int = LIMIT) -> list[EventRow]:
    """The connection's last ``limit`` events, newest first, each with its runs and why it has none."""
    events = session.scalars(select(Event).where(Event.connection_id == connection.id)
                             .order_by(Event.id.desc()).limit(limit)).all()
    if not events:
        return []
    counts = {event_id: (n, last) for event_id, n, last in session.execute(
        select(Run.event_id, func.count(Run.id), func.max(Run.id))
        .where(Run.event_id.in_([e.id for e in events])).group_by(Run.event_id))}
    rows = []
    for event in events:
        runs, last = counts.get(event.id, (0, None))
        if runs:
            state = "runs"
        elif not covered(connection.connector_key, event.event_type):
            state = "no_trigger"
        elif event.dispatched_at is None:
            state = "waiting"
        else:
            state = "no_recipe"
        rows.append(EventRow(event.id, event.received_at, event.event_type,
                             trigger_title(connection.connector_key, event.event_type), state, runs, last,
                             event.source))
    return rows
