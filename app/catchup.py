"""Catch-up: Ponte does not trust webhooks alone; it asks each service what changed and fills the gaps.

On a schedule (``CATCHUP_INTERVAL_SECONDS``), after a paused queue was found (app/webhook_watch.py)
and so after Ponte's own downtime (the first run after a start covers everything since the last
one), each connection whose connector has a ``webhook_admin`` lists the changes from the end of its
previous catch-up (minus ``CATCHUP_OVERLAP_MINUTES``) to now, never further back than
``CATCHUP_WINDOW_HOURS`` nor before the connection existed (a new connection must not act on last
week's payments). Changes a webhook already delivered are skipped; the others are stored as events
with ``source = "recovered"`` (shown as "recuperado" / "recovered") and dispatched like any event.

Exactly once: a recovered event's dedupe key is ``recovered:<change key>`` (the same change listed
twice is stored once) and the engine keys a run on the change (``<recipe>:change:<key>``,
app/engine/dispatch.py), so the webhook that arrives late for a change already recovered finds its
run taken and starts nothing. ``dry_run`` lists what would be stored and stores nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.engine.store import insert_ignore
from app.models import Connection, Event, utcnow
from app.webhook_setup import admin_of, context, load_state, save_state
from connectors.sdk import ConnectorError

log = logging.getLogger("ponte.catchup")
RECOVERED = "recovered"


@dataclass
class CatchUpReport:
    """What one connection's catch-up saw (``listed``), what was new and how many were stored."""

    connection: str
    since: datetime
    until: datetime
    listed: int = 0
    new: list[dict[str, Any]] = field(default_factory=list)
    stored: int = 0
    dry_run: bool = False
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"connection": self.connection, "since": self.since.isoformat(), "until": self.until.isoformat(),
                "listed": self.listed, "new": self.new, "stored": self.stored, "dry_run": self.dry_run,
                "error": self.error}


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def window(session: Session, connection: Connection, settings: Mapping[str, Any], now: datetime) -> datetime:
    """Where this catch-up starts: the last one's end minus the overlap, bounded by the window and
    the connection's creation."""
    state = load_state(session, connection, "catchup")
    floor = max(now - timedelta(hours=int(settings.get("CATCHUP_WINDOW_HOURS", 72))), _aware(connection.created_at))
    last = state.get("until")
    if not last:
        return floor
    overlap = timedelta(minutes=int(settings.get("CATCHUP_OVERLAP_MINUTES", 15)))
    return max(floor, datetime.fromisoformat(last) - overlap)


def catch_up(session: Session, connection: Connection, settings: Mapping[str, Any], *,
             since: datetime | None = None, dry_run: bool | None = None) -> CatchUpReport | None:
    """Recover one connection's missed events; None when its connector cannot list changes. Commits."""
    admin = admin_of(connection)
    if admin is None:
        return None
    dry = bool(settings.get("CATCHUP_DRY_RUN")) if dry_run is None else dry_run
    until = utcnow()
    start = _aware(since) if since is not None else window(session, connection, settings, until)
    report = CatchUpReport(connection.name, start, until, dry_run=dry)
    try:
        events = admin.recover(context(connection), start, until)
    except ConnectorError as exc:
        report.error = exc.user_message
        log.warning("catch-up of %s failed: %s", connection.name, exc.user_message)
        return report
    report.listed = len(events)
    seen = _delivered(session, connection, admin, start)
    for event in events:
        change = admin.change_key(event.event_type, event.payload)
        if change in seen:
            continue
        seen.add(change)
        report.new.append({"event_type": event.event_type, "change": change, "dedupe_key": event.dedupe_key})
        if dry:
            continue
        report.stored += insert_ignore(session, Event, {
            "connection_id": connection.id, "dedupe_key": event.dedupe_key[:255], "event_type": event.event_type[:100],
            "payload": event.payload, "received_at": utcnow(), "source": RECOVERED,
        }, ["connection_id", "dedupe_key"])
    if not dry:
        save_state(session, connection, "catchup", {"until": until.isoformat(), "stored": report.stored,
                                                    "listed": report.listed})
    session.commit()
    if report.new:
        log.info("catch-up of %s: %d change(s) missed by webhooks%s", connection.name, len(report.new),
                 " (dry run: nothing stored)" if dry else "")
    return report


def _delivered(session: Session, connection: Connection, admin: Any, since: datetime) -> set[str | None]:
    """Change keys of the events stored since a day before ``since`` (webhooks, earlier catch-ups)."""
    rows = session.scalars(select(Event).where(Event.connection_id == connection.id,
                                               Event.received_at >= since - timedelta(days=1)))
    return {admin.change_key(e.event_type, e.payload) for e in rows} - {None}


def catch_up_all(session: Session, settings: Mapping[str, Any]) -> list[CatchUpReport]:
    """The scheduler's job: every connection whose connector can list changes."""
    reports = []
    if not settings.get("WEBHOOK_AUTO_REGISTER", True):  # manual mode: Ponte leaves the webhooks alone
        return []
    for connection in session.scalars(select(Connection).order_by(Connection.id)).all():
        if admin_of(connection) is None:
            continue
        try:
            report = catch_up(session, connection, settings)
        except Exception:  # noqa: BLE001 - one connection's failure must not stop the others
            session.rollback()
            log.exception("catch-up of connection %s failed", connection.name)
            continue
        if report is not None:
            reports.append(report)
    return reports
