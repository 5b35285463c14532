"""How failure alerts are set up: on or off, through which e-mail connection, to whom.

Set on the Alerts page (``alert_settings``, one row). With no row yet, alerts are on and go through
the first connection of the notifier connector (the e-mail one) as soon as one exists, to the active
admins and the recipe's owner: nobody has to find a setting for failures to be told. The platform's
``SMTP_HOST`` settings remain a fallback when no e-mail connection is chosen. :func:`problem` says
when nobody would be told, for the dashboard.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import AlertSettings, Connection, User
from connectors import registry

SEND_TIMEOUT_SECONDS = 5.0
_ADDRESS = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")


@dataclass
class AlertSetup:
    enabled: bool
    connection: Connection | None
    notify_admins: bool
    recipients: list[str] = field(default_factory=list)
    saved: bool = False


def email_connections(session: Session) -> list[Connection]:
    """The connections that can deliver Ponte's notices (the notifier connector's)."""
    connector = registry.notifier()
    if connector is None:
        return []
    return list(session.scalars(select(Connection).where(Connection.connector_key == connector.key)
                                .order_by(Connection.id)))


def current(session: Session) -> AlertSetup:
    row = session.get(AlertSettings, 1)
    if row is None:
        connections = email_connections(session)
        return AlertSetup(True, connections[0] if connections else None, True)
    connection = session.get(Connection, row.connection_id) if row.connection_id else None
    return AlertSetup(bool(row.enabled), connection, bool(row.notify_admins), list(row.recipients or []), True)


def save(session: Session, *, enabled: bool, connection_id: int | None, notify_admins: bool,
         recipients: list[str], by: int | None) -> AlertSettings:
    from app.models import utcnow

    row = session.get(AlertSettings, 1) or AlertSettings(id=1)
    row.enabled, row.connection_id, row.notify_admins = enabled, connection_id, notify_admins
    row.recipients, row.updated_by_id, row.updated_at = recipients, by, utcnow()
    session.add(row)
    return row


def parse_recipients(text: str) -> tuple[list[str], list[str]]:
    """Addresses typed one per line (or separated by , ;), and the ones that are not addresses."""
    parts = [p.strip().lower() for p in re.split(r"[\s,;]+", text or "") if p.strip()]
    good = list(dict.fromkeys(p for p in parts if _ADDRESS.match(p)))
    return good, [p for p in parts if not _ADDRESS.match(p)]


def transport(setup: AlertSetup, config: Mapping[str, Any]) -> dict[str, Any] | None:
    """The notifier's connection-shaped settings (the chosen connection, else the SMTP_* settings)."""
    if setup.connection is not None:
        return {**setup.connection.config(), "timeout_seconds": SEND_TIMEOUT_SECONDS}
    if config.get("SMTP_HOST"):
        return {"host": config["SMTP_HOST"], "port": config.get("SMTP_PORT") or 587,
                "security": config.get("SMTP_SECURITY") or "starttls", "username": config.get("SMTP_USERNAME") or "",
                "password": config.get("SMTP_PASSWORD") or "", "from_address": config.get("SMTP_FROM") or "",
                "from_name": "Ponte", "timeout_seconds": SEND_TIMEOUT_SECONDS}
    return None


def problem(session: Session, config: Mapping[str, Any]) -> str | None:
    """Why a failure would reach nobody: "disabled", "no_transport", "nobody"; None when someone hears."""
    setup = current(session)
    if not setup.enabled:
        return "disabled"
    if transport(setup, config) is None:
        return "no_transport"
    admins = session.scalar(select(User.id).where(User.role == "admin", User.active.is_(True)).limit(1))
    if not setup.recipients and not (setup.notify_admins and admins is not None):
        return "nobody"
    return None
