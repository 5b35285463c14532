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
    from app.auth import current_token, request_scope

    signed_in = current_user.is_authenticated  # loads the bearer token into g, if one was sent
    if signed_in and request.method not in SAFE_METHODS and current_token() is not None \
            and request_scope() == "read":
        raise ApiError(403, "this token has the read scope: it can only read (GET); writes need operate")
    if request.method in SAFE_METHODS or request.headers.get("Authorization", "").startswith("Bearer "):
        return
    if not signed_in:
        return  # the view answers 401
    if request.mimetype != "application/json":
        raise ApiError(415, "send the request body as JSON (Content-Type: application/json), "
                            "or authenticate with a bearer token")


def init_app(app: Flask) -> None:
    from app.api import connections, errors, openapi, runs, tokens  # noqa: F401  (routes register on import)

    errors.init_app(app)
    app.register_blueprint(bp)
