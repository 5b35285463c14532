"""Where the dashboard's figures come from: Asaas payments read through a connection, and the
reminder runs Ponte stored. Reading Asaas costs quota (one call per 100 payments, five sweeps), so
the payments are cached per connection for ``COLLECTION_DASHBOARD_TTL`` seconds (default 600); the
page's "atualizar" button drops the entry. The cache is per process (each gunicorn worker keeps its
own), which only means a worker may read Asaas once more.

Sweeps: PENDING and OVERDUE in full (what is owed, however old), and RECEIVED, CONFIRMED and
RECEIVED_IN_CASH due in the last :data:`PERIOD_DAYS` days (the payments averaged and the ones a
reminder may have recovered). The reminders are the runs of the collection-rule recipes of the same
period, read from ``runs`` and their events (the step's day and payment are in the event).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.collection import dashboard
from app.collection.dashboard import Charge, Figures, Reminder
from app.collection.preview import TRIGGER_KEY, kind_of
from app.engine import clock
from app.models import Connection, Event, Recipe, Run
from connectors import registry
from connectors.sdk import Context

log = logging.getLogger("ponte.collection.dashboard")

PERIOD_DAYS = 90
DEFAULT_TTL = 600
SWEEPS: tuple[tuple[str, bool], ...] = (("PENDING", False), ("OVERDUE", False), ("RECEIVED", True),
                                        ("CONFIRMED", True), ("RECEIVED_IN_CASH", True))
LIST_ACTION = "asaas.list_payments"


@dataclass(frozen=True)
class Snapshot:
    """The payments of one connection as read at ``read_at`` (``time.time()``), with the reading day."""

    connection_id: int
    charges: tuple[Charge, ...]
    today: date
    read_at: float
    calls: int


_cache: dict[int, tuple[float, Snapshot]] = {}
_lock = threading.Lock()


def read_payments(connection: Connection, today: date) -> tuple[list[dict[str, Any]], int]:
    """Every payment of the sweeps, paged 100 at a time; (payments, calls made). Connector errors
    (bad key, Asaas down) go up as they are: the page shows their ``user_message``."""
    _, action = registry.get_action(LIST_ACTION)
    ctx = Context(config=connection.config(), logger=log, connection_name=connection.name,
                  timezone=clock.zone_name())
    since = (today - timedelta(days=PERIOD_DAYS)).isoformat()
    found: dict[str, dict[str, Any]] = {}
    calls = 0
    for status, recent_only in SWEEPS:
        offset = 0
        while True:
            query: dict[str, Any] = {"status": status, "offset": offset, "limit": 100}
            if recent_only:
                query["dueDate_ge"] = since
            page = action.run(ctx, query)
            calls += 1
            for payment in page["data"]:
                found.setdefault(str(payment.get("id")), payment)
            if not page["hasMore"] or not page["data"]:
                break
            offset += len(page["data"])
    return list(found.values()), calls


def snapshot(connection: Connection, *, ttl: int = DEFAULT_TTL, refresh: bool = False) -> Snapshot:
    """The cached payments of ``connection``, read again when older than ``ttl`` s or asked to."""
    now = time.time()
    with _lock:
        cached = _cache.get(connection.id)
    if cached is not None and not refresh and now - cached[0] < ttl:
        return cached[1]
    today = clock.today_in(clock.local_zone())
    payments, calls = read_payments(connection, today)
    charges = tuple(c for c in (dashboard.charge_from_payment(p) for p in payments) if c is not None)
    fresh = Snapshot(connection.id, charges, today, now, calls)
    with _lock:
        _cache[connection.id] = (now, fresh)
    return fresh


def forget(connection_id: int | None = None) -> None:
    """Drop the cached payments of one connection (all when None): the next page reads Asaas."""
    with _lock:
        if connection_id is None:
            _cache.clear()
        else:
            _cache.pop(connection_id, None)


def rule_recipes(session: Session, connection: Connection) -> list[Recipe]:
    """The connection's collection rules that send reminders (not the fee steps on the same trigger)."""
    found = session.scalars(select(Recipe).where(
        Recipe.trigger_key == TRIGGER_KEY, Recipe.trigger_connection_id == connection.id).order_by(Recipe.key))
    return [recipe for recipe in found if kind_of(recipe.definition) == "email"]


def last_step(recipes: list[Recipe]) -> int | None:
    """The latest day of the enabled rules (past it, no reminder is left): None without a rule."""
    days = [int(d) for r in recipes if r.enabled
            for d in ((r.definition.get("trigger") or {}).get("options") or {}).get("offsets") or [7]]
    return max(days) if days else None


def reminders(session: Session, recipes: list[Recipe], since: date) -> Iterator[Reminder]:
    """The reminder runs of ``recipes`` since ``since``: sent (succeeded) or failed for good."""
    if not recipes:
        return
    rows = session.execute(
        select(Run.status, Run.trigger_output, Event.payload).join(Event, Event.id == Run.event_id)
        .where(Run.recipe_id.in_([r.id for r in recipes]), Run.status.in_(("succeeded", "failed")),
               Event.received_at >= datetime.combine(since - timedelta(days=1), datetime.min.time(), UTC))
    ).all()
    for status, output, payload in rows:
        step = (payload or {}).get("reminder") or {}
        payment = (payload or {}).get("payment") or {}
        day = dashboard.parse_day(step.get("date"))
        if day is None or day < since or not payment.get("id") or "offset" not in step:
            continue
        name = str(((output or {}).get("customer") or {}).get("name") or "")
        yield Reminder(str(payment["id"]), int(step["offset"]), day, status, name)


def figures(session: Session, connection: Connection, *, ttl: int = DEFAULT_TTL, refresh: bool = False,
            recovery_days: int = dashboard.DEFAULT_RECOVERY_DAYS) -> tuple[Figures, Snapshot]:
    """The dashboard of one Asaas connection: its payments (cached) and its rules' reminder runs."""
    snap = snapshot(connection, ttl=ttl, refresh=refresh)
    recipes = rule_recipes(session, connection)
    since = snap.today - timedelta(days=PERIOD_DAYS)
    found = dashboard.compute(snap.charges, reminders(session, recipes, since), snap.today,
                              recovery_days=recovery_days, last_step=last_step(recipes), paid_since=since)
    return found, snap
