"""Turn stored events into queued runs: one run per (enabled recipe whose trigger fires, event).

Matching reads only the recipes of the event's connection (indexed on connection, trigger and
enabled), so its cost does not grow with the number of recipes elsewhere. A run's ``dedupe_key``
(``<recipe>:<event>``) is unique, so two dispatchers racing on one event still make one run; a
trigger that acts once per business object (a signed document) names it instead of the event, so
two deliveries about one document make one run too.
An event stored by a polling trigger carries its ``recipe_id`` and goes to that recipe alone
(app/engine/polling.py).
"""

from __future__ import annotations

import hashlib
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.engine.store import insert_ignore
from app.models import Event, Recipe, Run, utcnow
from connectors import registry

log = logging.getLogger("ponte.engine.dispatch")


def matching_recipes(session: Session, event: Event) -> list[Recipe]:
    if event.recipe_id is not None:  # polled by one recipe: it goes to that recipe only
        recipe = session.get(Recipe, event.recipe_id)
        return [recipe] if recipe is not None and recipe.enabled else []
    recipes = session.scalars(
        select(Recipe).where(Recipe.trigger_connection_id == event.connection_id, Recipe.enabled.is_(True))
    )
    matched = []
    for recipe in recipes:
        try:
            _, trigger = registry.get_trigger(recipe.trigger_key)
        except LookupError:
            log.warning("recipe %s names an unknown trigger %s", recipe.key, recipe.trigger_key)
            continue
        options = (recipe.definition.get("trigger") or {}).get("options") or {}
        try:
            fires = trigger.kind == "webhook" and trigger.fires_on(event.event_type, event.payload, options)
        except Exception:  # noqa: BLE001 - one recipe's bad options must not hold the event back from others
            log.exception("recipe %s: trigger %s could not judge event %s", recipe.key, recipe.trigger_key, event.id)
            continue
        if fires:
            matched.append(recipe)
    return matched


def run_key(recipe: Recipe, event: Event) -> str:
    """The run's unique key: ``<recipe>:<event>``, or ``<recipe>:once:<name>`` for a trigger that acts
    once per business object (``Trigger.once_per``); names too long for the column are hashed."""
    try:
        _, trigger = registry.get_trigger(recipe.trigger_key)
    except LookupError:
        trigger = None
    options = (recipe.definition.get("trigger") or {}).get("options") or {}
    once = trigger.once_per(event.event_type, event.payload, options) if trigger and trigger.once_per else None
    if not once:
        return f"{recipe.id}:{event.id}"
    if len(once) > 200:
        once = "sha256:" + hashlib.sha256(once.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{recipe.id}:once:{once}"


def dispatch_event(session: Session, event: Event) -> list[int]:
    """Queue a run for every recipe this event fires; returns the new run ids. Commits."""
    created: list[int] = []
    for recipe in matching_recipes(session, event):
        values = {
            "recipe_id": recipe.id,
            "recipe_version": recipe.version,
            "event_id": event.id,
            "dedupe_key": run_key(recipe, event),
            "status": "queued",
            "attempt": 0,
            "max_attempts": int((recipe.definition.get("retry") or {}).get("max_attempts", 6)),
            "created_at": utcnow(),
            "next_attempt_at": utcnow(),
        }
        if insert_ignore(session, Run, values, ["dedupe_key"]):
            run_id = session.scalar(select(Run.id).where(Run.dedupe_key == values["dedupe_key"]))
            created.append(run_id)
    event.dispatched_at = utcnow()
    session.commit()
    return created


def dispatch_pending(session: Session, limit: int = 100) -> int:
    """Dispatch events not dispatched yet (oldest first); returns how many events were handled."""
    events = list(
        session.scalars(select(Event).where(Event.dispatched_at.is_(None)).order_by(Event.id).limit(limit))
    )
    for event in events:
        event_id = event.id
        try:
            dispatch_event(session, event)
        except Exception:  # noqa: BLE001 - the event stays undispatched and is tried again; the rest go on
            session.rollback()
            log.exception("event %s could not be dispatched; it will be tried again", event_id)
    return len(events)


def dispatch_ready(session: Session, limit: int = 2000) -> list[int]:
    """Dispatch pending events one transaction each, until none is left (or ``limit``); the new runs' ids.

    For a queue worker that sends one message per new run. On PostgreSQL each event is locked with
    ``FOR NO KEY UPDATE SKIP LOCKED`` (the runs' foreign key may still reference it), so concurrent
    dispatchers take different events; one event per transaction keeps two of them from ever
    waiting on each other's locks in a cycle.
    """
    created: list[int] = []
    postgresql = session.get_bind().dialect.name == "postgresql"
    for _ in range(limit):
        query = select(Event).where(Event.dispatched_at.is_(None)).order_by(Event.id).limit(1)
        if postgresql:
            query = query.with_for_update(skip_locked=True, key_share=True)
        event = session.scalar(query)
        if event is None:
            break
        event_id = event.id
        try:
            created.extend(dispatch_event(session, event))
        except Exception:  # noqa: BLE001 - the event stays undispatched and is tried again later
            session.rollback()
            log.exception("event %s could not be dispatched; it will be tried again", event_id)
            break
    session.commit()
    return created
