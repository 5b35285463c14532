"""``GET /metrics``: Prometheus exposition (app/metrics.py), behind a token or the loopback address.

With ``METRICS_TOKEN`` set, a scrape needs ``Authorization: Bearer <token>`` (compared in constant
time) from any address; without it, only loopback clients get an answer (a Prometheus agent on the
same host, or a reverse proxy that does its own access control), anyone else a 404, so an
installation that never configured metrics shows nothing about itself to the internet. Like the
webhooks, this is a machine endpoint: its short answers are not translated.
"""

from __future__ import annotations

import hmac
from ipaddress import ip_address

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from app.db import get_db

bp = Blueprint("metrics", __name__)


def _allowed() -> tuple[bool, int]:
    token = str(current_app.config.get("METRICS_TOKEN") or "")
    if token:
        given = request.headers.get("Authorization", "")
        expected = f"Bearer {token}"
        return hmac.compare_digest(given.encode(), expected.encode()), 401
    try:
        return ip_address(request.remote_addr or "").is_loopback, 404
    except ValueError:
        return False, 404


@bp.get("/metrics")
def metrics() -> ResponseReturnValue:
    allowed, status = _allowed()
    if not allowed:
        message = "metrics need a valid bearer token" if status == 401 else "not found"
        return jsonify(error={"code": status, "message": message}), status
    from app.metrics import render

    body, content_type = render(get_db().session_factory)
    return Response(body, content_type=content_type)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
