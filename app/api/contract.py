"""What each ``/api`` operation takes and answers, declared beside its view and published as OpenAPI.

A view says ``@operation("List runs", query=[...], responses={200: RUNS})``; ``app.api.openapi``
walks the URL map and builds the document from these declarations and the routes themselves (paths,
methods, path parameters), so the contract cannot drift from the code the way a hand-kept file
does. Schemas are JSON Schema 2020-12, which OpenAPI 3.1 uses as is. Every operation may also
answer the error shape (``ERROR``) with the statuses the API uses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])
Schema = dict[str, Any]

TIME: Schema = {"type": ["string", "null"], "format": "date-time"}
NULLABLE_TEXT: Schema = {"type": ["string", "null"]}

ERROR: Schema = {
    "type": "object", "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["code", "message", "details"], "properties": {
        "code": {"type": "string"}, "message": {"type": "string"}, "details": {"type": "array"}}}},
}
RUN: Schema = {
    "type": "object",
    "required": ["id", "recipe", "status", "attempt", "created_at"],
    "properties": {
        "id": {"type": "integer"}, "recipe": NULLABLE_TEXT, "recipe_version": {"type": ["integer", "null"]},
        "event_id": {"type": ["integer", "null"]}, "event_type": NULLABLE_TEXT,
        "status": {"enum": ["queued", "running", "retrying", "succeeded", "filtered", "failed", "skipped"]},
        "attempt": {"type": "integer"}, "max_attempts": {"type": ["integer", "null"]},
        "next_attempt_at": TIME, "error": NULLABLE_TEXT, "error_kind": NULLABLE_TEXT,
        "filter_result": {}, "replay_of": {"type": ["integer", "null"]},
        "created_at": TIME, "started_at": TIME, "finished_at": TIME,
        "trigger_output": {}, "steps": {"type": "array", "items": {"type": "object"}},
    },
}
COUNT: Schema = {"type": "integer", "minimum": 0}
RUNS_QUERY: dict[str, Schema] = {"status": {"type": "string"}, "recipe": {"type": "string"}, "limit": COUNT,
                                 "offset": COUNT}
CONFIRM_QUERY: dict[str, Schema] = {"confirm_duplicates": {"type": "string"}}
ENABLED_BODY: Schema = {"type": "object", "required": ["enabled"], "properties": {"enabled": {"type": "boolean"}}}
RUNS: Schema = {"type": "object", "required": ["runs", "limit", "offset"], "properties": {
    "runs": {"type": "array", "items": RUN}, "limit": {"type": "integer"}, "offset": {"type": "integer"}}}
BULK_REPLAY: Schema = {"type": "object", "required": ["replayed", "problems"], "properties": {
    "replayed": {"type": "array", "items": {"type": "integer"}}, "problems": {}}}
RECIPE: Schema = {
    "type": "object", "required": ["key", "name", "enabled", "version", "trigger", "definition"],
    "properties": {"key": {"type": "string"}, "name": {"type": "string"}, "enabled": {"type": "boolean"},
                   "source": NULLABLE_TEXT, "source_path": NULLABLE_TEXT, "version": {"type": "integer"},
                   "trigger": NULLABLE_TEXT, "definition": {"type": "object"}, "changed": {"type": "boolean"}},
}
RECIPES: Schema = {"type": "object", "required": ["recipes"],
                   "properties": {"recipes": {"type": "array", "items": RECIPE}}}
CONNECTION: Schema = {
    "type": "object",
    "required": ["id", "uid", "connector", "name", "settings", "secret_fields_set", "status"],
    "properties": {"id": {"type": "integer"}, "uid": {"type": "string"}, "connector": {"type": "string"},
                   "name": {"type": "string"}, "settings": {"type": "object"},
                   "secret_fields_set": {"type": "array", "items": {"type": "string"}},
                   "status": {"type": "string"}, "status_message": NULLABLE_TEXT,
                   "status_reason": NULLABLE_TEXT, "checked_at": TIME,
                   "webhook_url": NULLABLE_TEXT, "created_at": TIME, "updated_at": TIME,
                   "webhook": {"type": ["object", "null"], "description": "create only: the webhook "
                               "registration in the service (status, action, reason, message, ids)"}},
}
CONNECTIONS: Schema = {"type": "object", "required": ["connections"],
                       "properties": {"connections": {"type": "array", "items": CONNECTION}}}
CONNECTION_BODY: Schema = {"type": "object", "properties": {
    "connector": {"type": "string"}, "name": {"type": "string"}, "config": {"type": "object"},
    "save_anyway": {"type": "boolean", "default": False,
                    "description": "the service refused the test: save it anyway, marked as in error"}}}
TOKEN: Schema = {
    "type": "object", "required": ["id", "name", "prefix", "scope", "owner", "status", "created_at", "expires_at"],
    "properties": {"id": {"type": "integer"}, "name": {"type": "string"}, "prefix": {"type": "string"},
                   "scope": {"enum": ["read", "operate", "admin"]}, "owner": {"type": "string"},
                   "status": {"enum": ["active", "revoked", "expired"]}, "created_at": TIME,
                   "expires_at": TIME, "revoked_at": TIME, "last_used_at": TIME,
                   "token": {"type": "string", "description": "the secret: in the creation answer only"}},
}
TOKENS: Schema = {"type": "object", "required": ["tokens"],
                  "properties": {"tokens": {"type": "array", "items": TOKEN}}}
TOKEN_BODY: Schema = {"type": "object", "required": ["name"], "properties": {
    "name": {"type": "string", "minLength": 1, "maxLength": 255},
    "scope": {"enum": ["read", "operate", "admin"], "default": "read"},
    "expires_in_days": {"type": "integer", "minimum": 1, "maximum": 365, "default": 90}}}
REPLAY_BODY: Schema = {"type": "object", "properties": {
    "mode": {"enum": ["failed_step", "trigger"]}, "force": {"type": "boolean"}}}
BULK_REPLAY_BODY: Schema = {"type": "object", "required": ["ids"], "properties": {
    "ids": {"type": "array", "minItems": 1, "items": {"type": "integer", "minimum": 1}},
    "mode": {"enum": ["failed_step", "trigger"]}}}
PREVIEW_BODY: Schema = {"type": "object", "required": ["payload"], "properties": {"payload": {"type": "object"}}}
ANY_OBJECT: Schema = {"type": "object"}


@dataclass(frozen=True)
class Operation:
    """One operation's contract: summary, JSON body, query parameters and success answers."""

    summary: str
    body: Schema | None = None
    query: tuple[tuple[str, Schema], ...] = ()
    responses: dict[int, Schema | str | None] = field(default_factory=dict)  # str: a media type, None: empty
    public: bool = False


def operation(summary: str, *, body: Schema | None = None, query: dict[str, Schema] | None = None,
              responses: dict[int, Schema | str | None], public: bool = False) -> Callable[[F], F]:
    """Attach the contract to a view (read by ``app.api.openapi``)."""

    def attach(view: F) -> F:
        view.openapi = Operation(summary, body, tuple((query or {}).items()), responses, public)  # type: ignore[attr-defined]
        return view

    return attach
