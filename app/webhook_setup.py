"""Ponte registers its own webhooks: on connection create, test, rotate, from a button and the CLI.

Through the connector's ``webhook_admin`` (connectors/sdk/webhook_admin.py); nothing here names a
service. What the service returned (its config ids, the URL registered) and the outcome the person
sees are kept per connection in ``trigger_states`` (trigger ``webhook``, scope ``registration``),
so the next call corrects or replaces the same configs instead of adding one, a changed
``PUBLIC_BASE_URL`` is noticed (the stored URL differs) and deleting the connection removes them.

A refusal (no permission, a local URL the service cannot call, the account's limit) is recorded with
its reason; the connection page shows the reason in the person's language, the service's words and
the manual steps. A transient failure is recorded as ``error`` and retried by the health watch.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from app.engine.store import insert_ignore
from app.models import Connection, Event, Recipe, TriggerState, User, utcnow
from app.vault import REDACTOR, VaultError
from connectors import registry
from connectors.sdk import ConnectorError, Context
from connectors.sdk.webhook_admin import Registration, RegistrationRefused, WebhookTarget

log = logging.getLogger("ponte.webhook_setup")

STATE_KEY = "webhook"


@dataclass(frozen=True)
class Outcome:
    """What a registration did, for the CLI's JSON and the connection page."""

    status: str  # registered | refused | error | manual (the connector has no webhook API)
    action: str | None = None  # created | updated | replaced | unchanged | removed
    reason: str | None = None  # a RegistrationRefused reason, or "error"
    message: str = ""
    ids: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "action": self.action, "reason": self.reason, "message": self.message,
                "ids": list(self.ids)}


def webhook_url(base_url: str, connection: Connection) -> str:
    return f"{base_url.rstrip('/')}/webhooks/{connection.uid}"


def admin_of(connection: Connection) -> Any:
    try:
        connector = registry.get_connector(connection.connector_key)
    except LookupError:
        return None
    return connector.webhook_admin if connector.webhook is not None else None


def load_state(session: Session, connection: Connection, scope: str) -> dict[str, Any]:
    row = session.scalar(select(TriggerState).where(TriggerState.connection_id == connection.id,
                                                    TriggerState.trigger_key == STATE_KEY,
                                                    TriggerState.scope == scope))
    return dict(row.cursor or {}) if row is not None and isinstance(row.cursor, dict) else {}


def save_state(session: Session, connection: Connection, scope: str, state: Mapping[str, Any]) -> None:
    """Upsert the connection's ``scope`` state (the caller commits)."""
    insert_ignore(session, TriggerState, {"connection_id": connection.id, "trigger_key": STATE_KEY, "scope": scope,
                                          "cursor": {}, "updated_at": utcnow()},
                  ["connection_id", "trigger_key", "scope"])
    row = session.scalar(select(TriggerState).where(TriggerState.connection_id == connection.id,
                                                    TriggerState.trigger_key == STATE_KEY,
                                                    TriggerState.scope == scope))
    assert row is not None
    row.cursor = dict(state)
    row.updated_at = utcnow()
    session.flush()


def alert_email(session: Session, settings: Mapping[str, Any]) -> str | None:
    """Where the service sends its own failure notices: WEBHOOK_ALERT_EMAIL, else the first admin."""
    if settings.get("WEBHOOK_ALERT_EMAIL"):
        return str(settings["WEBHOOK_ALERT_EMAIL"])
    return session.scalar(select(User.email).where(User.role == "admin", User.active.is_(True)).order_by(User.id))


def target_for(session: Session, connection: Connection, settings: Mapping[str, Any]) -> WebhookTarget:
    """Every event (empty list): events no recipe uses yet are still stored and shown, and a recipe
    added later needs no new registration."""
    connector = registry.get_connector(connection.connector_key)
    field = connector.webhook.secret_field if connector.webhook is not None else ""
    secret = str(connection.get_credentials().get(field) or "") if field else ""
    return WebhookTarget(url=webhook_url(str(settings["PUBLIC_BASE_URL"]), connection), secret=secret,
                         email=alert_email(session, settings), name=f"Ponte · {connection.name}"[:50],
                         known=load_state(session, connection, "registration"))


def context(connection: Connection) -> Context:
    return Context(config=connection.config(), connection_name=connection.name,
                   logger=logging.getLogger("ponte.connector"))


def register(session: Session, connection: Connection, settings: Mapping[str, Any]) -> Outcome:
    """Register (or correct) the connection's webhooks in its service and record the outcome."""
    admin = admin_of(connection)
    if admin is None:
        return Outcome("manual")
    known = load_state(session, connection, "registration")
    target_url = webhook_url(str(settings["PUBLIC_BASE_URL"]), connection)
    try:
        target = target_for(session, connection, settings)
        done: Registration = admin.register(context(connection), target)
    except RegistrationRefused as exc:
        outcome = Outcome("refused", reason=exc.reason, message=REDACTOR.text(exc.user_message))
    except (ConnectorError, VaultError) as exc:
        message = getattr(exc, "user_message", None) or str(exc)
        outcome = Outcome("error", reason="error", message=REDACTOR.text(message))
    else:
        outcome = Outcome("registered", action=done.action, ids=done.ids)
        known = done.as_state()
    if outcome.status != "registered":
        log.warning("webhook of connection %s not registered: %s", connection.name, outcome.message)
    save_state(session, connection, "registration",
               {**known, **outcome.as_dict(), "ids": known.get("ids", []), "target_url": target_url,
                "at": utcnow().isoformat()})
    return outcome


def unregister(session: Session, connection: Connection, settings: Mapping[str, Any]) -> Outcome:
    """Remove the connection's webhook configs from its service (before the connection is deleted)."""
    admin = admin_of(connection)
    if admin is None:
        return Outcome("manual")
    try:
        removed = admin.unregister(context(connection), target_for(session, connection, settings))
    except (ConnectorError, VaultError) as exc:
        message = getattr(exc, "user_message", None) or str(exc)
        return Outcome("error", reason="error", message=REDACTOR.text(message))
    return Outcome("registered", action="removed", ids=tuple(removed))


def remove_before_delete(session: Session, connection: Connection, settings: Mapping[str, Any]) -> Outcome | None:
    """Before a delete (CLI, API): remove the service's webhook configs, but only when the delete can
    succeed (no event or recipe refers to the connection) and Ponte manages webhooks (auto mode).
    None when nothing was tried."""
    if not settings.get("WEBHOOK_AUTO_REGISTER", True) or admin_of(connection) is None:
        return None
    used = session.scalar(select(exists().where(Event.connection_id == connection.id))) or session.scalar(
        select(exists().where(Recipe.trigger_connection_id == connection.id)))
    return None if used else unregister(session, connection, settings)


def auto_register(session: Session, connection: Connection, settings: Mapping[str, Any]) -> Outcome | None:
    """``register`` when ``WEBHOOK_AUTO_REGISTER`` is on (off in tests that do not ask for it)."""
    if not settings.get("WEBHOOK_AUTO_REGISTER", True) or admin_of(connection) is None:
        return None
    outcome = register(session, connection, settings)
    session.commit()
    return outcome


def stale(session: Session, connection: Connection, settings: Mapping[str, Any]) -> bool:
    """True when the registration must be redone: never done, failed for a passing reason, or made for
    another URL (``PUBLIC_BASE_URL`` changed). A refusal for the same URL waits for the person."""
    state = load_state(session, connection, "registration")
    current = webhook_url(str(settings["PUBLIC_BASE_URL"]), connection)
    if state.get("status") == "refused":
        return state.get("target_url") != current
    return state.get("status") != "registered" or state.get("url") != current
