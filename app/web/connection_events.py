"""The connection page's "last events received": every stored event, with or without a run.

Ponte stores every event a service sends (even a family no trigger covers: Asaas TRANSFER_*,
INVOICE_*, a ZapSign event added after this release), so a person can see it arrived and why it
started nothing: no trigger knows this kind of event, or one does but no enabled automation uses
it, or one does but its options left this event out (a "document signed" automation waits for the
last signature), or it waits for the executor. The page reads the same rows the engine does (events, runs).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Connection, Event, Recipe, Run
from app.web import metadata
from connectors import registry
from connectors.sdk import Trigger

LIMIT = 20


@dataclass(frozen=True)
class EventRow:
    """One stored event as the page shows it."""

    id: int
    received_at: datetime
    event_type: str
    title: str  # the title of the trigger made for this event ("" when none is)
    state: str  # "runs" | "waiting" | "not_fired" | "no_recipe" | "no_trigger"
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


def concerns(trigger: Trigger, event_type: str) -> bool:
    """Whether ``trigger`` is about ``event_type``: it lists it, or (listing none) its ``matches``
    accepts it with no options (Asaas "any payment event"); options can only narrow it further."""
    if trigger.kind != "webhook":
        return False
    if trigger.event_types:
        return event_type in trigger.event_types
    try:
        return trigger.matches is not None and bool(trigger.matches(event_type, {}, {}))
    except Exception:  # noqa: BLE001 - a trigger that cannot judge without a payload is not proof
        return False


def _concerned(connector_key: str, event_type: str, trigger_keys: set[str] | None = None) -> bool:
    try:
        connector = registry.get_connector(connector_key)
    except LookupError:
        return False
    return any(concerns(t, event_type) for t in connector.triggers
               if trigger_keys is None or f"{connector_key}.{t.key}" in trigger_keys)


def recent_events(session: Session, connection: Connection, limit: int = LIMIT) -> list[EventRow]:
    """The connection's last ``limit`` events, newest first, each with its runs and why it has none."""
    events = session.scalars(select(Event).where(Event.connection_id == connection.id)
                             .order_by(Event.id.desc()).limit(limit)).all()
    if not events:
        return []
    counts = {event_id: (n, last) for event_id, n, last in session.execute(
        select(Run.event_id, func.count(Run.id), func.max(Run.id))
        .where(Run.event_id.in_([e.id for e in events])).group_by(Run.event_id))}
    in_use = set(session.scalars(select(Recipe.trigger_key).where(
        Recipe.trigger_connection_id == connection.id, Recipe.enabled.is_(True))))
    rows = []
    for event in events:
        runs, last = counts.get(event.id, (0, None))
        if runs:
            state = "runs"
        elif not _concerned(connection.connector_key, event.event_type):
            state = "no_trigger"
        elif event.dispatched_at is None:
            state = "waiting"
        elif _concerned(connection.connector_key, event.event_type, in_use):
            state = "not_fired"  # e.g. "document signed" waits for the last signer; once per document
        else:
            state = "no_recipe"
        rows.append(EventRow(event.id, event.received_at, event.event_type,
                             trigger_title(connection.connector_key, event.event_type), state, runs, last,
                             event.source))
    return rows
