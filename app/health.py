"""Liveness and readiness probes at the root: ``/healthz`` (always 200) and ``/readyz`` (database)."""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import text

from app.db import get_db
from app.vault import REDACTOR

bp = Blueprint("health", __name__)
log = logging.getLogger("ponte.health")


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """The process answers; says nothing about its dependencies."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> ResponseReturnValue:
    """Ready when the database answers ``SELECT 1``; 503 with the reason otherwise."""
    try:
        with get_db().engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # any failure means "do not send traffic here"
        reason = REDACTOR.text(f"database unavailable: {type(exc).__name__}: {str(exc).splitlines()[0]}")
        log.warning("readiness check failed: %s", reason)
        return jsonify(status="unavailable", reason=reason), 503
    return jsonify(status="ok", database="ok")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
