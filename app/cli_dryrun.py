"""Dry runs for ``flask recipes test``: which events to try, and what the recipe would do with each.

Nothing here calls an action or a service. An event can be a trigger output (what filters and
mappings read) or a raw webhook delivery (the body Asaas or ZapSign sent): a raw delivery is
recognised by the trigger connector's own webhook parser and used as the stored event payload
would be. Turning a payload into the trigger output runs the trigger's ``prepare`` with no
credentials, so a trigger that needs its service (Asaas fetches the customer) cannot call out; the
payload is then used as it is, and the result says so.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.engine.preview import preview_spec
from app.engine.spec import RecipeSpec
from app.models import Connection, Event, Recipe, Run
from connectors import registry
from connectors.sdk import Context, parse_json

SCAN_BATCH = 200


@dataclass
class Trial:
    """One event put through a recipe: where it came from, notes, and the preview."""

    label: str
    output: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    fires: bool = True

    def result(self, spec: RecipeSpec) -> dict[str, Any]:
        return {"event": self.label, "fires": self.fires, "notes": self.notes, **preview_spec(spec, self.output)}


def _offline_output(spec: RecipeSpec, payload: dict[str, Any], notes: list[str]) -> dict[str, Any]:
    """The trigger output built without credentials; the payload as-is when the trigger needs its service."""
    _, trigger = registry.get_trigger(spec.trigger.event)
    ctx = Context(config={}, logger=logging.getLogger("ponte.dryrun"), connection_name="<dry run>")
    try:
        return trigger.output(ctx, payload, spec.trigger.options or {})
    except Exception as exc:  # noqa: BLE001 - any failure here only means "cannot prepare offline"
        reason = getattr(exc, "user_message", None) or str(exc)
        notes.append(f"{spec.trigger.event} cannot build its output without calling the service ({reason}); "
                     "the payload is used as-is, so fields the trigger would add have no value")
        return dict(payload)


def trial_from_file(spec: RecipeSpec, path: Path) -> Trial:
    """A JSON file holding a trigger output or a raw webhook body (``-`` reads stdin)."""
    text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    try:
        body = parse_json(text)
    except ValueError as exc:
        raise ValueError(f"{path} is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise ValueError(f"{path}: expected a JSON object, got {type(body).__name__}")
    connector, trigger = registry.get_trigger(spec.trigger.event)
    webhook = getattr(connector, "webhook", None)
    try:
        events = webhook.parse(body) if webhook is not None else []
    except (ValueError, TypeError, KeyError):
        events = []
    if not events:
        return Trial(f"{path} (trigger output)", body)
    event = events[0]
    trial = Trial(f"{path} (raw {connector.key} webhook delivery, event {event.event_type})", {})
    trial.notes.append(f"{path} is a raw {connector.title} webhook body: used as the event payload as-is")
    trial.fires = trigger.fires_on(event.event_type, event.payload, spec.trigger.options or {})
    if not trial.fires:
        trial.notes.append(f"event {event.event_type} does not fire {spec.trigger.event}: no run would start")
    trial.output = _offline_output(spec, event.payload, trial.notes)
    return trial


def trials_from_last(session: Session, spec: RecipeSpec, recipe: Recipe | None, count: int) -> list[Trial]:
    """The last ``count`` stored events of the trigger connection (of the recipe, for a trigger that needs
    no connection) that fire the trigger (newest first)."""
    if spec.trigger.connection is None:
        if recipe is None:
            raise LookupError(f"recipe {spec.key!r} is not applied yet; it has no stored events")
        source = Event.recipe_id == recipe.id
    else:
        connection = session.scalar(select(Connection).where(Connection.name == spec.trigger.connection))
        if connection is None:
            raise LookupError(f"no connection named {spec.trigger.connection!r}; it has no stored events")
        source = Event.connection_id == connection.id
    _, trigger = registry.get_trigger(spec.trigger.event)
    options = spec.trigger.options or {}
    found: list[Event] = []
    before: int | None = None
    while len(found) < count:
        query = select(Event).where(source).order_by(Event.id.desc()).limit(SCAN_BATCH)
        batch = list(session.scalars(query.where(Event.id < before) if before else query))
        if not batch:
            break
        found += [e for e in batch if trigger.fires_on(e.event_type, e.payload, options)]
        before = batch[-1].id
    return [_trial_from_event(session, spec, recipe, event) for event in found[:count]]


def _trial_from_event(session: Session, spec: RecipeSpec, recipe: Recipe | None, event: Event) -> Trial:
    label = f"event {event.id} ({event.event_type}, received {event.received_at:%Y-%m-%d %H:%M:%S})"
    query = select(Run).where(Run.event_id == event.id, Run.trigger_output.is_not(None))
    if recipe is not None:
        query = query.where(Run.recipe_id == recipe.id)
    run = session.scalar(query.order_by(Run.id.desc()).limit(1))
    if run is not None:
        return Trial(label, dict(run.trigger_output or {}), [f"trigger output recorded by run {run.id}"])
    trial = Trial(label, {}, ["no run recorded this event's trigger output: using the stored payload"])
    trial.output = _offline_output(spec, dict(event.payload or {}), trial.notes)
    return trial
