"""The JSON API blueprint under ``/api``: session or ``Authorization: Bearer <token>`` auth.

The API is exempt from the pages' CSRF tokens, so a write that rides on the session cookie must be
sent as JSON: a browser sends JSON to another site only after a CORS preflight, which Ponte never
grants, so a forged cross-site form can no longer replay runs or create connections.
"""

from __future__ import annotations

from flask import Blueprint, Flask, request

bp = Blueprint("api", __name__, url_prefix="/api")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@bp.before_request
def _cookie_writes_are_json() -> None:
    from flask_login import current_user

    from app.api.errors import ApiError

    if request.method in SAFE_METHODS or request.headers.get("Authorization", "").startswith("Bearer "):
        return
    if not current_user.is_authenticated:
        return  # the view answers 401
    if request.mimetype != "application/json":
        raise ApiError(415, "send the request body as JSON (Content-Type: application/json), "
                            "or authenticate with a bearer token")


def init_app(app: Flask) -> None:
    from app.api import connections, errors, runs, tokens  # noqa: F401  (routes register on import)

    errors.init_app(app)
    app.register_blueprint(bp)
