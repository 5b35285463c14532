"""The JSON API blueprint under ``/api``: session or ``Authorization: Bearer <token>`` auth."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("api", __name__, url_prefix="/api")


def init_app(app: Flask) -> None:
    from app.api import connections, errors, runs, tokens  # noqa: F401  (routes register on import)

    errors.init_app(app)
    app.register_blueprint(bp)
