"""Polling triggers: ask each enabled polling recipe's trigger for new items and store them as events.

For one recipe, the events a poll returns and the cursor it moves to are written in ONE transaction:
a crash before the commit stores neither (the next poll asks again from the old cursor and gets the
same items, whose dedupe keys absorb any repeat); after it, both. Nothing is skipped, nothing runs
twice. Events carry the recipe's id, so they dispatch to that recipe alone, and their dedupe key is
prefixed with it, so two recipes polling one connection each get their own copy. The cursor lives in
``trigger_states`` (scope = the recipe's key); a recipe without one gets the trigger's baseline
(``cursor=None``: no history replayed), and a disabled recipe loses its cursor, so enabling it again
replays nothing either. A poll only stores rows; the executor runs them.

A trigger whose connector needs no connection (the schedule) polls with an empty config; its events
and cursor have no connection and are unique per recipe instead (partial unique indexes). Clock
triggers (``Trigger.clock``) are polled by their own, more frequent scheduler job.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.orm import Session

from app.engine import hooks
from app.engine.clock import zone_name
from app.engine.store import insert_ignore
from app.models import Connection, Event, Recipe, TriggerState, utcnow
from app.vault import REDACTOR
from connectors import registry
from connectors.sdk import ConfigError, ConnectorError, Context, InboundEvent, Trigger

log = logging.getLogger("ponte.engine.polling")


@dataclass
class PollResult:
    """What one recipe's poll did: events returned, events new to the database, or why it failed."""

    recipe_key: str
    returned: int = 0
    stored: int = 0
    error: str | None = None


def polling_recipes(session: Session, clock: bool | None = None) -> list[tuple[Recipe, Trigger]]:
    """Enabled recipes whose trigger is a polling trigger, with that trigger (only clock ones, or none)."""
    found = []
    for recipe in session.scalars(select(Recipe).where(Recipe.enabled.is_(True)).order_by(Recipe.id)):
        try:
            _, trigger = registry.get_trigger(recipe.trigger_key)
        except LookupError:
            continue
        if trigger.kind == "polling" and trigger.poll is not None and clock in (None, trigger.clock):
            found.append((recipe, trigger))
    return found


def forget_disabled(session: Session) -> None:
    """Drop the cursors of disabled recipes: enabling one again starts from a new baseline, no replay."""
    disabled = select(Recipe.id).where(Recipe.enabled.is_(False))
    session.execute(delete(TriggerState).where(TriggerState.recipe_id.in_(disabled))
                    .execution_options(synchronize_session=False))
    session.commit()


def poll_all(session: Session, clock: bool | None = None) -> list[PollResult]:
    """Poll every enabled polling recipe once (``clock``: only clock triggers, or none of them); one
    recipe's failure does not stop the others."""
    forget_disabled(session)
    results = []
    for recipe, trigger in polling_recipes(session, clock):
        try:
            results.append(poll_recipe(session, recipe, trigger))
        except Exception as exc:  # noqa: BLE001 - a bug in one trigger must not starve the rest
            session.rollback()
            log.exception("polling recipe %s failed", recipe.key)
            results.append(PollResult(recipe.key, error=f"{exc.__class__.__name__}: {exc}"))
    return results


def trigger_state(session: Session, recipe: Recipe) -> TriggerState | None:
    return session.scalar(select(TriggerState).where(*_state_key(recipe)))


def _state_key(recipe: Recipe) -> tuple[ColumnElement[bool], ...]:
    return (TriggerState.connection_id.is_(None) if recipe.trigger_connection_id is None
            else TriggerState.connection_id == recipe.trigger_connection_id,
            TriggerState.trigger_key == recipe.trigger_key, TriggerState.scope == recipe.key)


def poll_recipe(session: Session, recipe: Recipe, trigger: Trigger) -> PollResult:
    """Call ``trigger.poll`` with the recipe's cursor; store its events and new cursor together."""
    result = PollResult(recipe.key)
    connector, _ = registry.get_trigger(recipe.trigger_key)
    connection = session.get(Connection, recipe.trigger_connection_id) if recipe.trigger_connection_id else None
    if (connection is None and getattr(connector, "needs_connection", True)) or trigger.poll is None:
        result.error = "the recipe's trigger connection does not exist"
        return result
    state = trigger_state(session, recipe)
    options = (recipe.definition.get("trigger") or {}).get("options") or {}
    ctx = Context(config=connection.config() if connection else {},
                  logger=logging.getLogger(f"ponte.connector.{connector.key}"),
                  connection_name=connection.name if connection else "", timezone=zone_name())
    try:
        events, cursor = trigger.poll(ctx, options, state.cursor if state is not None else None)
    except ConnectorError as exc:
        session.rollback()
        result.error = REDACTOR.text(exc.user_message)
        log.warning("poll of recipe %s failed (%s): %s", recipe.key, exc.kind, REDACTOR.text(exc.internal_message))
        if isinstance(exc, ConfigError) and connection is not None:
            _flag_connection(session, connection, result.error)
        return result
    result.returned = len(events)
    try:
        result.stored = store_events(session, recipe, events, source="schedule" if trigger.clock else "poll")
        save_cursor(session, recipe, cursor)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    if result.stored:
        log.info("recipe %s: %d new event(s) polled", recipe.key, result.stored)
    return result


def store_events(session: Session, recipe: Recipe, events: list[InboundEvent], source: str = "poll") -> int:
    """Insert the polled events (absorbing ones already stored); the caller commits."""
    unique, where = ((["connection_id", "dedupe_key"], None) if recipe.trigger_connection_id is not None
                     else (["recipe_id", "dedupe_key"], Event.connection_id.is_(None)))
    stored = 0
    for event in events:
        values: dict[str, Any] = {
            "connection_id": recipe.trigger_connection_id, "dedupe_key": event_key(recipe, event.dedupe_key),
            "event_type": event.event_type, "payload": event.payload, "received_at": utcnow(),
            "source": source, "recipe_id": recipe.id,
        }
        stored += insert_ignore(session, Event, values, unique, where)
    return stored


def save_cursor(session: Session, recipe: Recipe, cursor: Any) -> None:
    """Insert or move the recipe's cursor; the caller commits (with the events)."""
    values = {"recipe_id": recipe.id, "connection_id": recipe.trigger_connection_id,
              "trigger_key": recipe.trigger_key, "scope": recipe.key, "cursor": cursor, "updated_at": utcnow()}
    unique, where = ((["connection_id", "trigger_key", "scope"], None) if recipe.trigger_connection_id is not None
                     else (["trigger_key", "scope"], TriggerState.connection_id.is_(None)))
    if not insert_ignore(session, TriggerState, values, unique, where):
        session.execute(update(TriggerState).where(*_state_key(recipe))
                        .values(cursor=cursor, updated_at=utcnow()).execution_options(synchronize_session=False))


def event_key(recipe: Recipe, dedupe_key: str) -> str:
    """``<recipe id>:<trigger's key>``, hashed when it would not fit the column."""
    key = f"{recipe.id}:{dedupe_key}"
    return key if len(key) <= 255 else f"{recipe.id}:sha256:{hashlib.sha256(dedupe_key.encode()).hexdigest()}"


def _flag_connection(session: Session, connection: Connection, message: str) -> None:
    """Credentials or plan rejected while polling: flag the connection and tell people (as runs do)."""
    connection.status = "error"
    connection.status_message = message
    session.commit()
    hooks.fire("connection_rejected", connection_id=connection.id, name=connection.name, error=message)
