"""Inbound webhooks: authenticate, bound, store durably, answer 200 — then process asynchronously.

The order is the contract with Asaas and ZapSign: the connector authenticates the delivery before
anything is parsed (fail closed: 401, no event and no body stored, only the refusal counted); the
body is bounded (413); a body that is not JSON or not the service's envelope gets 400 with the
reason, recorded for the operator (so does JSON that could never be stored: NaN or Infinity,
nesting deeper than anything real, a NUL or a lone surrogate in an event id); the events are
inserted under their unique (connection, dedupe key) and committed; only then 200. A duplicate
answers 200 and adds nothing. If the database cannot take the event, the answer is 503
so the service keeps it and retries — never a 200 for something we did not keep.
"""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import timedelta

from flask import Blueprint, Flask, current_app, g, jsonify, request
from sqlalchemy import func, select
from sqlalchemy.exc import DataError, SQLAlchemyError
from werkzeug.exceptions import HTTPException

from app import metrics
from app.db import get_session
from app.engine.store import prepared_insert_ignore
from app.inputs import BODY_UNREADABLE
from app.models import Event, WebhookDelivery, utcnow
from app.vault import REDACTOR, VaultError
from app.webhooks import lookup
from app.webhooks.lookup import WebhookConnection, find_connection
from connectors import registry
from connectors.sdk import InboundRequest, WebhookAuthError, parse_json

log = logging.getLogger("ponte.webhooks")

bp = Blueprint("webhooks", __name__)
UID = re.compile(r"[A-Za-z0-9_-]{1,64}")  # what app.connections generates; anything else is no endpoint


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


bp.teardown_request(lookup.close)


def _answer(status: int, message: str, **extra: object):  # noqa: ANN202
    body = {"status": "ok", **extra} if status == 200 else {"error": {"code": status, "message": message}}
    return jsonify(body), status


@bp.post("/webhooks/<uid>")
def receive(uid: str):  # noqa: ANN201
    response, status = _receive(uid)
    name = getattr(g, "ponte_connection_name", None) or "unknown"  # never the raw uid: unbounded labels
    metrics.DELIVERIES.labels(name, str(status)).inc()
    return response, status


def _receive(uid: str):  # noqa: ANN202
    max_bytes = int(current_app.config.get("WEBHOOK_MAX_BYTES", 256 * 1024))
    if request.content_length is not None and request.content_length > max_bytes:
        return _answer(413, f"body larger than {max_bytes} bytes")
    if not UID.fullmatch(uid):
        return _answer(404, "no webhook endpoint here")
    try:
        db = lookup.database()  # Core, not the ORM session: see app/webhooks/lookup.py
        connection = find_connection(db, uid)  # cached per process, checked against the row
    except SQLAlchemyError as exc:  # the database refuses connections, or went away: Asaas sends again
        log.error("webhook: database unavailable while looking up a connection: %s", _problem(exc))
        lookup.close()
        return _answer(503, "temporarily unable to accept deliveries; retry later")
    except VaultError:
        log.exception("webhook for connection %s: credentials cannot be decrypted", uid)
        return _answer(503, "this connection's credentials cannot be read; retry later")
    webhook = _webhook_of(connection)
    if connection is None or webhook is None:
        return _answer(404, "no webhook endpoint here")
    g.ponte_connection_name = connection.name
    try:
        body = request.stream.read(max_bytes + 1)
    except HTTPException as exc:  # a malformed chunk or a body cut short (app.inputs.GuardedInput)
        if exc.code == 413:
            return _answer(413, f"body larger than {max_bytes} bytes")
        log.warning("webhook for connection %s: body unreadable (from %s)", connection.name, request.remote_addr)
        return _answer(400, BODY_UNREADABLE)  # before authentication: nothing is stored
    if len(body) > max_bytes:
        return _answer(413, f"body larger than {max_bytes} bytes")
    inbound = InboundRequest(
        headers={k.lower(): v for k, v in request.headers.items()}, query=request.args.to_dict(), body=body
    )
    try:
        webhook.authenticate(inbound, connection.config())
    except WebhookAuthError as exc:
        log.warning("webhook for connection %s rejected: %s (from %s)", connection.name, exc, request.remote_addr)
        _record_refusal(connection, "not authenticated: " + exc.user_message)
        return _answer(401, "not authenticated: " + exc.user_message)
    except VaultError:
        log.exception("webhook for connection %s: credentials cannot be decrypted", connection.name)
        return _answer(503, "this connection's credentials cannot be read; retry later")
    try:
        events = webhook.parse(parse_json(body))
        rows = [_event_row(connection, event) for event in events]
    except ValueError as exc:  # also UnicodeDecodeError, and parse_json's NaN and nesting refusals
        reason = f"malformed delivery: {exc}"
        _record_rejection(get_session(), connection, 400, reason, body)
        return _answer(400, reason)
    try:
        insert = prepared_insert_ignore(db, Event, ("connection_id", "dedupe_key"))
        stored = sum(db.execute(insert, row).scalar() is not None for row in rows)
        db.commit()
    except DataError as exc:  # a value the database refuses: retrying cannot help, so not a 503
        db.rollback()
        reason = "malformed delivery: the database refused a value in it"
        log.warning("webhook for connection %s: %s (%s)", connection.name, reason, _problem(exc))
        _record_rejection(get_session(), connection, 400, reason, body)
        return _answer(400, reason)
    except SQLAlchemyError as exc:  # its message carries the statement's parameters: the payload
        log.error("webhook for connection %s: could not store the delivery: %s", connection.name, _problem(exc))
        db.rollback()
        return _answer(503, "temporarily unable to store the delivery; retry later")
    metrics.EVENTS.labels(connection.name, "stored").inc(stored)
    metrics.EVENTS.labels(connection.name, "duplicate").inc(len(events) - stored)
    executor = current_app.extensions.get("ponte_executor")
    if executor is not None and stored:
        executor.notify()
    return _answer(200, "", received=len(events), stored=stored, duplicates=len(events) - stored)


def _webhook_of(connection: WebhookConnection | None):  # noqa: ANN202
    if connection is None:
        return None
    try:
        return registry.get_connector(connection.connector_key).webhook
    except LookupError:
        return None


def _event_row(connection: WebhookConnection, event) -> dict:  # noqa: ANN001
    """The row to store; ValueError (a 400) for what a database column cannot hold.

    A key longer than its column keeps its start and gets a digest of the whole appended, so two
    different long keys never collide by truncation. NUL characters (PostgreSQL text refuses them)
    are refused in the keys; ``parse_json`` already refused lone surrogates anywhere in the body.
    """
    dedupe_key, event_type = _storable(event.dedupe_key, "event id"), _storable(event.event_type, "event type")
    if len(dedupe_key) > 255:
        digest = hashlib.sha256(dedupe_key.encode("utf-8")).hexdigest()
        dedupe_key = f"{dedupe_key[:180]}:sha256:{digest}"
    return {
        "connection_id": connection.id,
        "dedupe_key": dedupe_key,
        "event_type": event_type[:100],
        "payload": event.payload,
        "received_at": utcnow(),
        "source": "webhook",
    }


def _storable(text: str, what: str) -> str:
    if "\x00" in text:
        raise ValueError(f"the {what} contains a NUL character")
    return text


def _record_rejection(session, connection: WebhookConnection, status: int, reason: str, body: bytes) -> None:  # noqa: ANN001
    """Keep a malformed delivery (first 2 KB) where the operator can see why it was refused.

    Known secrets are masked in the excerpt before it is written (the connection's were registered
    when it was decrypted to authenticate). The excerpt and reason go through :func:`storable_text`, so
    the row is kept on every database
    (PostgreSQL text refuses NUL). If it still cannot be stored, the log says so without the
    exception's text: SQLAlchemy's message carries the statement's parameters, the body among them.
    """
    try:
        session.add(WebhookDelivery(
            connection_id=connection.id, received_at=utcnow(), status_code=status,
            reason=storable_text(REDACTOR.mask_values(reason))[:1000],
            body_excerpt=storable_text(REDACTOR.mask_values(body[:2048].decode("utf-8", "replace"))),
            remote_addr=request.remote_addr,
        ))
        session.commit()
    except SQLAlchemyError as exc:
        session.rollback()
        log.error("could not record a rejected delivery for connection %s: %s", connection.name, _problem(exc))


REFUSALS_KEPT_PER_HOUR = 200  # per connection: a flood of bad tokens cannot fill the table


def _record_refusal(connection: WebhookConnection, reason: str) -> None:
    """Count a delivery refused for its secret (the connection page's "refused in the last 24 h").

    Only the reason, the time and the address are kept: the body of an unauthenticated request is
    never stored. Past :data:`REFUSALS_KEPT_PER_HOUR` in the last hour the row is skipped (the log
    still says each one), so someone posting bad tokens cannot grow the table without bound.
    """
    session = get_session()
    try:
        since = utcnow() - timedelta(hours=1)
        kept = session.scalar(select(func.count()).select_from(WebhookDelivery).where(
            WebhookDelivery.connection_id == connection.id, WebhookDelivery.status_code == 401,
            WebhookDelivery.received_at >= since)) or 0
        if kept >= REFUSALS_KEPT_PER_HOUR:
            return
        session.add(WebhookDelivery(connection_id=connection.id, received_at=utcnow(), status_code=401,
                                    reason=storable_text(REDACTOR.mask_values(reason))[:1000], body_excerpt=None,
                                    remote_addr=request.remote_addr))
        session.commit()
    except SQLAlchemyError as exc:
        session.rollback()
        log.error("could not count a refused delivery for connection %s: %s", connection.name, _problem(exc))


def _problem(exc: SQLAlchemyError) -> str:
    """The database's complaint without the statement's parameters (a body, a payload) or the
    context lines PostgreSQL adds (which quote the value): the driver's error type and first line."""
    orig = getattr(exc, "orig", None) or exc
    first_line = (str(orig).splitlines() or [""])[0] if orig is not exc else ""
    return f"{type(orig).__name__}: {first_line}" if first_line else type(orig).__name__


def storable_text(text: str) -> str:
    """``text`` any database column holds: NUL shown as ``\\x00``, lone surrogates as ``\\udXXX``.

    Escaped rather than dropped, so the operator still sees where the odd byte was.
    """
    return text.replace("\x00", "\\x00").encode("utf-8", "backslashreplace").decode("utf-8")
