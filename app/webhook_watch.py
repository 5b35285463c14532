"""Health watch: a webhook queue that stops is seen by a person and resumed, never left silent.

Every ``WEBHOOK_HEALTH_SECONDS`` the scheduler reads, for each connection whose connector has a
``webhook_admin``, the state of its webhook configs in the service (Asaas: ``GET /v3/webhooks``):

* a registration never made, failed for a passing reason, or made for another URL (a changed
  ``PUBLIC_BASE_URL``) is made again (app/webhook_setup.py);
* a queue ``interrupted`` (Asaas pauses it after 15 consecutive failures) or disabled raises an
  alert: an e-mail through app/notifications.py (subject ``webhook:<connection id>``, once per hour
  at most) and a banner on the dashboard and the connection page (``alerting`` in the state);
* once Ponte itself is healthy (the database answers and no stored event has waited more than
  ``BACKLOG_MINUTES`` to be dispatched: a Ponte that cannot keep up would only fail the re-sent
  events again) the queue is resumed (``reactivate``), so the service re-sends what it kept, and a
  catch-up (app/catchup.py) recovers what it did not keep.

The state per connection (scope ``health`` in ``trigger_states``) is what the pages show.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.catchup import catch_up
from app.models import Connection, Event, WebhookDelivery, utcnow
from app.webhook_setup import admin_of, context, load_state, register, save_state, stale, target_for
from connectors.sdk import ConnectorError

log = logging.getLogger("ponte.webhook_watch")
BACKLOG_MINUTES = 5


def ponte_healthy(session: Session) -> bool:
    """The database answers and the engine keeps up with what is stored."""
    try:
        cutoff = utcnow() - timedelta(minutes=BACKLOG_MINUTES)
        waiting = session.scalar(select(func.count()).select_from(Event).where(
            Event.dispatched_at.is_(None), Event.received_at < cutoff))
    except Exception:  # noqa: BLE001 - a database that cannot answer is not healthy
        session.rollback()
        return False
    return not waiting


def check(app: Flask | None, session: Session, connection: Connection, settings: Mapping[str, Any]) -> dict[str, Any]:
    """Watch one connection: re-register if needed, read its queues, alert, resume. Commits."""
    before = load_state(session, connection, "health")
    if stale(session, connection, settings):
        register(session, connection, settings)
        session.commit()
    admin = admin_of(connection)
    state: dict[str, Any] = {"checked_at": utcnow().isoformat(), "alerting": False,
                             "reactivated_at": before.get("reactivated_at")}
    try:
        queues = admin.queues(context(connection), target_for(session, connection, settings))
    except ConnectorError as exc:
        state.update(error=exc.user_message, queues=before.get("queues"))
        save_state(session, connection, "health", state)
        session.commit()
        return state
    if queues is None:
        state["queues"] = None  # the service cannot tell (ZapSign): the catch-up covers it
        save_state(session, connection, "health", state)
        session.commit()
        return state
    state["queues"] = [{"id": q.id, "url": q.url, "enabled": q.enabled, "interrupted": q.interrupted}
                       for q in queues]
    stopped = [q for q in queues if not q.healthy]
    if stopped:
        state["alerting"] = True
        state["paused_since"] = before.get("paused_since") or utcnow().isoformat()
        if app is not None:
            _alert(app, connection, stopped)
        if ponte_healthy(session):
            for queue in stopped:
                try:
                    admin.reactivate(context(connection), queue.id)
                except ConnectorError as exc:
                    state["error"] = exc.user_message
                    continue
                queue_state = next(q for q in state["queues"] if q["id"] == queue.id)
                queue_state.update(enabled=True, interrupted=False)
                state["reactivated_at"] = utcnow().isoformat()
            state["alerting"] = any(q["interrupted"] or not q["enabled"] for q in state["queues"])
            save_state(session, connection, "health", state)
            session.commit()
            catch_up(session, connection, settings)
            return state
    save_state(session, connection, "health", state)
    session.commit()
    return state


def _alert(app: Flask, connection: Connection, stopped: list[Any]) -> None:
    from app.notifications import record

    names = ", ".join(f"{q.id} ({'paused' if q.interrupted else 'disabled'})" for q in stopped)
    record(app, f"webhook:{connection.id}", connection_id=connection.id, error=names)


def watch_all(app: Flask | None, session: Session, settings: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The scheduler's job: every connection whose connector manages its webhooks."""
    states = {}
    if not settings.get("WEBHOOK_AUTO_REGISTER", True):  # manual mode: Ponte leaves the webhooks alone
        return {}
    for connection in session.scalars(select(Connection).order_by(Connection.id)).all():
        if admin_of(connection) is None:
            continue
        try:
            states[connection.name] = check(app, session, connection, settings)
        except Exception:  # noqa: BLE001 - one connection's failure must not stop the others
            session.rollback()
            log.exception("webhook health check of connection %s failed", connection.name)
    return states


def overview(session: Session, connection: Connection) -> dict[str, Any]:
    """What the connection page shows: last delivery, queue active/paused, refused in 24 h, recovered."""
    since = utcnow() - timedelta(hours=24)
    last = session.scalar(select(func.max(Event.received_at)).where(
        Event.connection_id == connection.id, Event.source == "webhook"))
    refused = session.scalar(select(func.count()).select_from(WebhookDelivery).where(
        WebhookDelivery.connection_id == connection.id, WebhookDelivery.received_at >= since)) or 0
    recovered = session.scalar(select(func.count()).select_from(Event).where(
        Event.connection_id == connection.id, Event.source == "recovered", Event.received_at >= since)) or 0
    health = load_state(session, connection, "health")
    queues = health.get("queues")
    return {"last_delivery": last, "refused_24h": refused, "recovered_24h": recovered,
            "queue": None if queues is None else ("paused" if health.get("alerting") else "active"),
            "checked_at": health.get("checked_at"), "alerting": bool(health.get("alerting")),
            "error": health.get("error"), "registration": load_state(session, connection, "registration"),
            "catchup": load_state(session, connection, "catchup")}


def alerting(session: Session) -> list[Connection]:
    """Connections whose webhook queue is paused or disabled right now (the dashboard banner)."""
    out = []
    for connection in session.scalars(select(Connection).order_by(Connection.name)).all():
        if admin_of(connection) is not None and load_state(session, connection, "health").get("alerting"):
            out.append(connection)
    return out
