"""The audit log: who tried to get in, who was locked out, who made or revoked a token.

A row per attempt, written in the same transaction as the change it describes (or on its own for a
refused attempt, which changes nothing else). It never holds a password or a token: a token is
named by its id and 8-character prefix.
"""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from sqlalchemy.orm import Session

from app.models import AuditEvent

ACTIONS = ("login.succeeded", "login.failed", "login.throttled", "login.locked", "login.unlocked",
           "token.created", "token.refused", "token.revoked",
           "automation.test_sent")  # the wizard's real test send (app/engine/trial.py writes its own row)


def client_address() -> str:
    """The caller's address as the WSGI server saw it (behind a proxy, configure ProxyFix first)."""
    return (request.remote_addr or "")[:64] if has_request_context() else ""


def record(session: Session, action: str, *, actor: str = "", subject: str = "", **detail: Any) -> AuditEvent:
    """Add an audit row (the caller commits)."""
    row = AuditEvent(action=action, actor=actor[:255], subject=subject[:255], address=client_address(),
                     detail=detail)
    session.add(row)
    return row
