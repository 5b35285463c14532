"""``/api/connections``: list, read, create, change, delete. Secrets are write-only.

Creating, or changing ``config``, first tests the values against the service: a refusal is a 422
``connection_test_failed`` (nothing saved) whose detail carries the reason word; the client may
send ``save_anyway: true`` to store it anyway, with ``status: error``.

A body carries ``config``: the connector's fields, secret or not, as in ``flask connections create
--set``. Responses list ``secret_fields_set`` (names only); secret values never leave the server.
Create and delete register and remove the connection's webhooks in its service, as the pages and
the CLI do (app/webhook_setup.py); the create answer says how that went (``webhook``).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.api import bp
from app.api.body import json_object
from app.api.contract import CONNECTION, CONNECTION_BODY, CONNECTIONS, operation
from app.api.errors import ApiError
from app.auth import admin_required, login_required_json
from app.connection_check import reason_text
from app.connections import (
    ConnectionInputError,
    ConnectionTestFailed,
    create_connection,
    serialize,
    update_connection,
)
from app.db import get_session
from app.engine.waiting import apply_waiting
from app.models import Connection
from app.webhook_setup import auto_register, remove_before_delete

log = logging.getLogger("ponte.api")


def _json_body(allowed: set[str]) -> dict[str, Any]:
    body = json_object()
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise ApiError(422, "unknown fields in the request body",
                       details=[{"field": k, "message": "unknown field"} for k in unknown])
    if not isinstance(body.get("save_anyway", False), bool):
        raise ApiError(422, "save_anyway must be a boolean",
                       details=[{"field": "save_anyway", "message": "not a boolean"}])
    config = body.get("config", {})
    if not isinstance(config, dict):
        raise ApiError(
            422, "config must be an object", details=[{"field": "config", "message": "not an object"}]
        )
    return body


def _invalid(exc: ConnectionInputError) -> ApiError:
    if isinstance(exc, ConnectionTestFailed):
        result = exc.result
        return ApiError(422, f"the service refused the connection: {reason_text(result.reason)}",
                        code="connection_test_failed",
                        details=[{"field": "config", "reason": result.reason, "message": result.detail,
                                  "hint": "fix config, or send save_anyway: true to save it marked as in error"}])
    status = 409 if exc.conflict else 422
    details = [{"field": e.partition(":")[0], "message": e.partition(":")[2].strip()} for e in exc.errors]
    return ApiError(status, exc.message, details=details)


def _save_options(body: dict[str, Any]) -> dict[str, bool]:
    """The service is asked before saving; ``save_anyway: true`` stores a refused one marked in error."""
    return {"test": bool(current_app.config.get("CONNECTION_TEST_ON_SAVE", True)),
            "save_anyway": body.get("save_anyway") is True}


def _get(connection_id: int) -> Connection:
    connection = get_session().get(Connection, connection_id)
    if connection is None:
        raise ApiError(404, f"connection {connection_id} not found")
    return connection


def _view(connection: Connection) -> dict[str, Any]:
    return serialize(connection, current_app.config["PUBLIC_BASE_URL"])


@bp.get("/connections")
@login_required_json
@operation("List connections (secrets never shown)", responses={200: CONNECTIONS})
def list_connections() -> ResponseReturnValue:
    rows = get_session().scalars(select(Connection).order_by(Connection.name)).all()
    return jsonify(connections=[_view(c) for c in rows])


@bp.post("/connections")
@admin_required
@operation("Create a connection (admin)", body=CONNECTION_BODY, responses={201: CONNECTION})
def create() -> ResponseReturnValue:
    body = _json_body({"connector", "name", "config", "save_anyway"})
    missing = [f for f in ("connector", "name") if not isinstance(body.get(f), str)]
    if missing:
        raise ApiError(422, "connector and name are required strings",
                       details=[{"field": f, "message": "required"} for f in missing])
    session = get_session()
    try:
        connection = create_connection(
            session, connector_key=body["connector"], name=body["name"], values=body.get("config", {}),
            **_save_options(body),
        )
        session.commit()
    except ConnectionInputError as exc:
        session.rollback()
        raise _invalid(exc) from None
    outcome = auto_register(session, connection, current_app.config)  # as the page and the CLI do
    applied = apply_waiting(session, current_app.config, connection.name)
    return jsonify({**_view(connection), "recipes_applied": applied,
                    "webhook": outcome.as_dict() if outcome else None}), 201


@bp.get("/connections/<int:connection_id>")
@login_required_json
@operation("A connection", responses={200: CONNECTION})
def read(connection_id: int) -> ResponseReturnValue:
    return jsonify(_view(_get(connection_id)))


@bp.patch("/connections/<int:connection_id>")
@admin_required
@operation("Change a connection (admin)", body=CONNECTION_BODY, responses={200: CONNECTION})
def change(connection_id: int) -> ResponseReturnValue:
    body = _json_body({"name", "config", "save_anyway"})
    connection = _get(connection_id)
    session = get_session()
    try:
        update_connection(session, connection, name=body.get("name"), values=body.get("config"),
                          **_save_options(body))
        session.commit()
    except ConnectionInputError as exc:
        session.rollback()
        raise _invalid(exc) from None
    return jsonify(_view(connection))


@bp.delete("/connections/<int:connection_id>")
@admin_required
@operation("Delete a connection no run uses (admin)", responses={204: None})
def delete(connection_id: int) -> ResponseReturnValue:
    """Like ``flask connections delete``: the service's webhook configs go first (when the connection
    can go); if they could not be removed, the log says so and the connection is deleted anyway."""
    session = get_session()
    connection = _get(connection_id)
    removal = remove_before_delete(session, connection, current_app.config)
    if removal is not None and removal.status == "error":
        log.warning("webhook of connection %s not removed from its service: %s", connection.name, removal.message)
    session.delete(connection)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise ApiError(
            409, "connection is still used by recipes, events or runs; remove those first"
        ) from None
    return "", 204
