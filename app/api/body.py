"""The API's one way to read a request body: a JSON object, or a 400 that says what is wrong.

Bodies are decoded with the connector SDK's strict parser, as webhook deliveries are: ``NaN`` or
``Infinity`` (which PostgreSQL's JSON type cannot store) and nesting deep enough to exhaust the
stack are refused with the reason instead of failing later, or as a 500.
"""

from __future__ import annotations

from typing import Any

from flask import request

from app.api.errors import ApiError
from connectors.sdk import parse_json


def json_object(*, optional: bool = False) -> dict[str, Any]:
    """The body as a JSON object; ``optional`` reads an empty or non-JSON body as ``{}``."""
    data = request.get_data(cache=True)  # 413 beyond MAX_CONTENT_LENGTH, as Flask's get_json
    if optional and (not data or not request.is_json):
        return {}
    if not request.is_json:
        raise ApiError(400, "the request body must be a JSON object (Content-Type: application/json)")
    try:
        body = parse_json(data)
    except ValueError as exc:
        raise ApiError(400, f"the request body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise ApiError(400, "the request body must be a JSON object")
    return body
