"""One JSON error shape for the API: ``{"error": {"code", "message", "details"}}``.

Registered on the app (not the blueprint) so that 404/405 on unknown ``/api`` URLs, 413 on big
bodies and unexpected 500s are JSON too; other paths keep Flask's default pages.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from app.auth import wants_json
from app.vault import REDACTOR

log = logging.getLogger("ponte.api")

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "too_many_requests",
    500: "internal_error",
    503: "unavailable",
}


class ApiError(Exception):
    """Raise from an API view to answer with the JSON error shape."""

    def __init__(self, status: int, message: str, *, code: str | None = None,
                 details: list[Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or CODES.get(status, "error")
        self.details = details or []


def error_response(status: int, message: str, *, code: str | None = None,
                   details: list[Any] | None = None) -> tuple[Response, int]:
    body = {"error": {"code": code or CODES.get(status, "error"), "message": REDACTOR.text(message),
                      "details": REDACTOR(details or [])}}
    return jsonify(body), status


def init_app(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError) -> Any:
        return error_response(exc.status, exc.message, code=exc.code, details=exc.details)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Any:
        if not wants_json(request):
            return exc
        status = exc.code or 500
        if status >= 500:
            original = getattr(exc, "original_exception", None)
            if original is not None:
                log.error("unhandled error on %s %s", request.method, request.path, exc_info=original)
            return error_response(status, "internal error; the request id identifies it in the logs")
        response = error_response(status, exc.description or CODES.get(status, "error"))
        if status == 405 and exc.valid_methods:  # type: ignore[attr-defined]
            response[0].headers["Allow"] = ", ".join(exc.valid_methods)  # type: ignore[attr-defined]
        return response
