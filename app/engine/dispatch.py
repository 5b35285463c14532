"""Turn stored events into queued runs: one run per (enabled recipe whose trigger fires, event).

Matching reads only the recipes of the event's connection whose trigger could fire on the event's
type (indexed on connection, trigger and enabled; the candidate trigger keys come from the registry),
so an event costs the same with 10 or 10,000 recipes on other triggers. The runs of all matching
recipes are queued with one multi-row ``INSERT ... ON CONFLICT DO NOTHING RETURNING id``, not an
INSERT and a SELECT per recipe (`bench/dispatch.py`). A run's ``dedupe_key``
(``<recipe>:<event>``) is unique, so two dispatchers racing on one event still make one run; a
trigger that acts once per business object (a signed document) names it instead of the event, so
two deliveries about one document make one run too.
An event stored by a polling trigger carries its ``recipe_id`` and goes to that recipe alone
(app/engine/polling.py).
"""

from __future__ import annotations

import hashlib
import json
import logging
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import Text, select, type_coerce
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.models import Event, Recipe, Run, utcnow
from connectors import registry

log = logging.getLogger("ponte.engine.dispatch")


class Candidate(NamedTuple):
    """What dispatch needs of a recipe: read as columns (the trigger options and retry limit taken out
    of the stored definition by the database), never the whole definition decoded per recipe.

    ``options_key`` is the options as the database returned them (JSON text on SQLite): recipes with
    the same trigger and the same options get the same verdict and run-key suffix for an event, so
    those are worked out once per distinct pair, not once per recipe (1,000 recipes on one trigger
    usually share a handful of option sets).
    """

    id: int
    key: str
    version: int
    trigger_key: str
    options_key: Any
    max_attempts: Any

    @property
    def options(self) -> Any:
        return _options(self.options_key)


_COLUMNS = (Recipe.id, Recipe.key, Recipe.version, Recipe.trigger_key,
            type_coerce(Recipe.definition[("trigger", "options")], Text),
            Recipe.definition[("retry", "max_attempts")].as_integer())


def _options(raw: Any) -> Any:
    """Decoded options (PostgreSQL's driver may already have decoded them)."""
    return _decode(raw) if isinstance(raw, str) else raw


@lru_cache(maxsize=256)
def _decode(raw: str) -> Any:
    """Options JSON text -> a value; cached, so callers must not mutate it (triggers only read options)."""
    return json.loads(raw)


def _memo_key(recipe: Candidate) -> tuple[str, str | None]:
    raw = recipe.options_key
    return recipe.trigger_key, raw if isinstance(raw, str) or raw is None else json.dumps(raw, sort_keys=True)


def matching_recipes(session: Session, event: Event) -> list[Candidate]:
    """The enabled recipes this event fires (see the module docstring for what is read)."""
    if event.recipe_id is not None:  # polled by one recipe: it goes to that recipe only
        query = select(*_COLUMNS).where(Recipe.id == event.recipe_id, Recipe.enabled.is_(True))
        return [Candidate(*row) for row in session.execute(query)]
    candidates = candidate_trigger_keys(event.event_type)
    if not candidates:
        return []
    rows = session.execute(
        select(*_COLUMNS).where(Recipe.trigger_connection_id == event.connection_id,
                                Recipe.trigger_key.in_(candidates), Recipe.enabled.is_(True))
    )
    verdicts: dict[tuple[str, str | None], bool] = {}
    matched = []
    for row in rows:
        recipe = Candidate(*row)
        memo = _memo_key(recipe)
        if memo not in verdicts:
            verdicts[memo] = _fires(recipe, event)
        if verdicts[memo]:
            matched.append(recipe)
    return matched


def _fires(recipe: Candidate, event: Event) -> bool:
    try:
        trigger = _trigger(recipe.trigger_key)
    except LookupError:
        log.warning("recipe %s names an unknown trigger %s", recipe.key, recipe.trigger_key)
        return False
    try:
        return trigger.kind == "webhook" and bool(trigger.fires_on(event.event_type, event.payload,
                                                                   recipe.options or {}))
    except Exception:  # noqa: BLE001 - one recipe's bad options must not hold the event back from others
        log.exception("recipe %s: trigger %s could not judge event %s", recipe.key, recipe.trigger_key, event.id)
        return False


@lru_cache(maxsize=1024)
def _pair(key: str) -> tuple[Any, Any]:
    """The registry's (connector, trigger) for ``key`` (LookupError if none), remembered: the registry is fixed."""
    return registry.get_trigger(key)


def _trigger(key: str) -> Any:
    return _pair(key)[1]


@lru_cache(maxsize=1024)
def candidate_trigger_keys(event_type: str) -> tuple[str, ...]:
    """Webhook trigger keys that may fire on ``event_type``: those listing it in ``event_types``
    and those with a ``matches`` function (which is then asked per recipe, with its options).

    The registry is fixed for the life of the process, so the answer is cached per event type.
    """
    keys = []
    for connector in registry.CONNECTORS:
        for trigger in connector.triggers:
            if trigger.kind == "webhook" and (trigger.matches is not None or event_type in trigger.event_types):
                keys.append(f"{connector.key}.{trigger.key}")
    return tuple(keys)


def run_key(recipe: Candidate, event: Event) -> str:
    """The run's unique key: ``<recipe>:<event>``, or ``<recipe>:once:<name>`` for a trigger that acts
    once per business object (``Trigger.once_per``), or ``<recipe>:change:<key>`` when the connector's
    webhook admin names the business change (the webhook delivery and the catch-up's recovered event
    of one change make one run, whichever comes first); names too long for the column are hashed."""
    return _with_suffix(recipe, event, _run_key_suffix(recipe, event))


def _with_suffix(recipe: Candidate, event: Event, suffix: str | None) -> str:
    return f"{recipe.id}:{suffix}" if suffix else f"{recipe.id}:{event.id}"


def _run_key_suffix(recipe: Candidate, event: Event) -> str | None:
    """What follows ``<recipe>:`` in the run key when it is not the event id; it depends only on the
    trigger, the options and the event, so dispatch works it out once per distinct options."""
    try:
        connector, trigger = _pair(recipe.trigger_key)
    except LookupError:
        connector, trigger = None, None
    options = recipe.options or {}
    once = trigger.once_per(event.event_type, event.payload, options) if trigger and trigger.once_per else None
    kind = "once"
    if not once and event.connection_id is not None and getattr(connector, "webhook_admin", None) is not None:
        once, kind = connector.webhook_admin.change_key(event.event_type, event.payload), "change"
    if not once:
        return None
    if len(once) > 200:
        once = "sha256:" + hashlib.sha256(once.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{kind}:{once}"


@lru_cache(maxsize=4)
def _insert_statement(dialect: str) -> Any:
    """One ``INSERT INTO runs ... ON CONFLICT (dedupe_key) DO NOTHING RETURNING id``, built once; run
    with a list of rows, SQLAlchemy's "insertmanyvalues" sends them as a few multi-row statements."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = Run.__table__
    return insert(table).on_conflict_do_nothing(  # type: ignore[arg-type]  # a Table, typed as FromClause
        index_elements=["dedupe_key"]).returning(table.c.id)


def _insert_runs(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` into runs, skipping dedupe keys that exist; the ids of the rows inserted.

    Relies on the unique ``dedupe_key``, not on a prior SELECT, so racing dispatchers make one run.
    RETURNING lists only the rows this statement inserted (a conflict returns nothing).
    """
    statement = _insert_statement(session.get_bind().dialect.name)
    return sorted(session.connection().execute(statement, rows).scalars())


def dispatch_event(session: Session, event: Event) -> list[int]:
    """Queue a run for every recipe this event fires; returns the new run ids. Commits."""
    now = utcnow()
    suffixes: dict[tuple[str, str | None], str | None] = {}
    rows = []
    for recipe in matching_recipes(session, event):
        memo = _memo_key(recipe)
        if memo not in suffixes:
            suffixes[memo] = _run_key_suffix(recipe, event)
        rows.append({
            "recipe_id": recipe.id,
            "recipe_version": recipe.version,
            "event_id": event.id,
            "dedupe_key": _with_suffix(recipe, event, suffixes[memo]),
            "status": "queued",
            "attempt": 0,
            "max_attempts": int(recipe.max_attempts if recipe.max_attempts is not None else 6),
            "created_at": now,
            "next_attempt_at": now,
        })
    created = _insert_runs(session, rows) if rows else []
    event.dispatched_at = now
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
