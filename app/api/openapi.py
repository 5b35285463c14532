"""``GET /api/openapi.json``: the OpenAPI 3.1 document of ``/api``, generated from the running code.

Paths, methods and path parameters come from Flask's URL map; summaries, bodies, query parameters
and answers from each view's ``@operation`` (``app.api.contract``); apispec assembles and checks
the document. A view under ``/api`` without a contract is a test failure, not a silent gap.
"""

from __future__ import annotations

import re
from typing import Any

from apispec import APISpec
from flask import Flask, current_app, jsonify
from flask.typing import ResponseReturnValue

from app.api import bp
from app.api.contract import ERROR, Operation, operation

ERROR_STATUSES = {400: "malformed request", 401: "not authenticated", 403: "not allowed (role or token scope)",
                  404: "no such thing", 409: "conflict", 413: "body too large", 415: "not JSON",
                  422: "invalid input", 500: "unexpected error (reported, never a stack trace)"}
_CONVERTER = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
_PARAM_TYPES = {"int": {"type": "integer", "minimum": 0}, None: {"type": "string"}, "string": {"type": "string"}}


def _path(rule: str) -> tuple[str, list[dict[str, Any]]]:
    params = [{"name": name, "in": "path", "required": True, "schema": _PARAM_TYPES.get(kind, {"type": "string"})}
              for kind, name in _CONVERTER.findall(rule)]
    return _CONVERTER.sub(lambda m: "{" + m.group(2) + "}", rule), params


def _answer(status: int, content: Any) -> dict[str, Any]:
    if content is None:
        return {"description": "no content"}
    if isinstance(content, str):
        return {"description": "OK", "content": {content: {"schema": {"type": "string"}}}}
    return {"description": "OK", "content": {"application/json": {"schema": content}}}


def _operation(contract: Operation, params: list[dict[str, Any]], endpoint: str) -> dict[str, Any]:
    responses = {str(s): _answer(s, c) for s, c in contract.responses.items()}
    for status, why in ERROR_STATUSES.items():
        responses.setdefault(str(status), {"description": why, "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
    op: dict[str, Any] = {"summary": contract.summary, "operationId": endpoint.removeprefix("api."),
                          "responses": responses}
    query = [{"name": n, "in": "query", "required": False, "schema": s} for n, s in contract.query]
    if params or query:
        op["parameters"] = params + query
    if contract.body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": contract.body}}}
    if contract.public:
        op["security"] = []
    return op


def build_spec(app: Flask) -> dict[str, Any]:
    """The document for ``app``'s ``/api`` routes; raises LookupError naming a view with no contract."""
    spec = APISpec(title="Ponte API", version="1", openapi_version="3.1.0",
                   info={"description": "Runs, recipes, connections and API tokens of a Ponte server. Errors "
                                        "always have the Error shape."})
    spec.components.schema("Error", ERROR)
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer",
                                               "description": "an API token (ponte_…); its scope bounds it"})
    spec.components.security_scheme("session", {"type": "apiKey", "in": "cookie", "name": "session"})
    paths: dict[str, dict[str, Any]] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.endpoint.startswith("api."):
            continue
        contract = getattr(app.view_functions[rule.endpoint], "openapi", None)
        if contract is None:
            raise LookupError(f"{rule.endpoint} ({rule.rule}) has no @operation contract")
        path, params = _path(rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(contract, params, rule.endpoint)
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    document = spec.to_dict()
    document["security"] = [{"bearer": []}, {"session": []}]
    return document


@bp.get("/openapi.json")
@operation("This document", responses={200: {"type": "object"}}, public=True)
def openapi_document() -> ResponseReturnValue:
    """Public: the contract names no secret, and clients and fuzzers need it before they log in."""
    cache = current_app.extensions.setdefault("ponte_openapi", {})
    if "document" not in cache:
        cache["document"] = build_spec(current_app)
    return jsonify(cache["document"])
