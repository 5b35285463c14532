"""JSON Schemas of the recipe and mapping documents, and readable messages for their errors.

JSON Schema is the one language for structure (the wizard and the API use the same schemas);
what a schema cannot say (known connectors, JSONPath syntax, step order) is checked in ``checks``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jsonschema import Draft202012Validator, ValidationError

from app.engine.filter_ops import OPERATORS

KEY_PATTERN = "^[a-z][a-z0-9_]{2,63}$"
STEP_KEY_PATTERN = "^[a-z][a-z0-9_]{0,63}$"
QUALIFIED_PATTERN = "^[a-z][a-z0-9_]*\\.[a-z][a-z0-9_]*$"

_CONDITION: dict[str, Any] = {
    "type": "object",
    "required": ["field", "op"],
    "additionalProperties": False,
    "properties": {
        "field": {"type": "string", "minLength": 1},
        "op": {"enum": list(OPERATORS)},
        "value": {},
        "type": {"enum": ["string", "number", "date", "boolean"]},
        "case_sensitive": {"type": "boolean"},
    },
}

# A group is ``{all: [...]}`` or ``{any: [...]}``; its items are conditions or groups (depth: ``filters``).
_FILTER_GROUP: dict[str, Any] = {
    "type": "object",
    "minProperties": 1,
    "maxProperties": 1,
    "additionalProperties": False,
    "properties": {mode: {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/filter_item"}}
                   for mode in ("all", "any")},
}
_FILTER_ITEM: dict[str, Any] = {
    "if": {"type": "object", "anyOf": [{"required": ["all"]}, {"required": ["any"]}]},
    "then": {"$ref": "#/$defs/filter_group"},
    "else": {"$ref": "#/$defs/condition"},
}

RECIPE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Ponte recipe",
    "type": "object",
    "required": ["key", "name", "trigger", "steps"],
    "additionalProperties": False,
    "$defs": {"condition": _CONDITION, "filter_group": _FILTER_GROUP, "filter_item": _FILTER_ITEM},
    "properties": {
        "key": {"type": "string", "pattern": KEY_PATTERN},
        "name": {"type": "string", "minLength": 1, "maxLength": 200},
        "description": {"type": "string"},
        "enabled": {"type": "boolean"},
        "trigger": {
            "type": "object",
            "required": ["event"],  # connection: unless the connector needs none (checks._trigger)
            "additionalProperties": False,
            "properties": {
                "connection": {"type": "string", "minLength": 1},
                "event": {"type": "string", "pattern": QUALIFIED_PATTERN},
                "options": {"type": "object"},
            },
        },
        "filters": {
            "if": {"type": "array"},
            "then": {"items": {"$ref": "#/$defs/filter_item"}},
            "else": {"$ref": "#/$defs/filter_group"},
        },
        "steps": {"type": "array", "minItems": 1, "items": {
            "type": "object",
            "required": ["key", "action", "connection"],
            "additionalProperties": False,
            "properties": {
                "key": {"type": "string", "pattern": STEP_KEY_PATTERN},
                "action": {"type": "string", "pattern": QUALIFIED_PATTERN},
                "connection": {"type": "string", "minLength": 1},
                "mapping": {"type": "string", "pattern": KEY_PATTERN},
                "input": {"type": "object"},
            },
        }},
        "retry": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "max_attempts": {"type": "integer", "minimum": 1, "maximum": 20},
                "base_delay_seconds": {"type": "number", "exclusiveMinimum": 0},
                "max_delay_seconds": {"type": "number", "exclusiveMinimum": 0, "maximum": 86400},
            },
        },
    },
}

MAPPING_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Ponte mapping",
    "type": "object",
    "required": ["key", "action", "fields"],
    "additionalProperties": False,
    "properties": {
        "key": {"type": "string", "pattern": KEY_PATTERN},
        "description": {"type": "string"},
        "action": {"type": "string", "pattern": QUALIFIED_PATTERN},
        "fields": {"type": "object"},
    },
}

_LABELS = {"op": "operator", "type": "type"}
_HINTS = {KEY_PATTERN: "lower-case letters, digits and _, 3 to 64 characters, starting with a letter",
          STEP_KEY_PATTERN: "lower-case letters, digits and _, starting with a letter",
          QUALIFIED_PATTERN: "'<connector>.<key>' as `flask connectors describe` lists them"}


def schema_errors(instance: Any, schema: dict[str, Any]) -> list[tuple[tuple[str | int, ...], str]]:
    """Every schema error as ``(path in the document, message)``, the path prefixed to the message."""
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    found = []
    for error in validator.iter_errors(instance):
        path = tuple(error.absolute_path)
        found.append((path, _message(error, path)))
    return sorted(found, key=lambda item: [str(p) for p in item[0]])


def _message(error: ValidationError, path: tuple[str | int, ...]) -> str:
    where = ".".join(str(p) for p in path)
    if error.validator == "enum" and path and isinstance(path[-1], str):
        label = _LABELS.get(path[-1], path[-1])
        valid = ", ".join(map(str, error.validator_value))  # type: ignore[arg-type]  # an enum's list
        text = f"unknown {label} {error.instance!r}; valid {label}s: {valid}"
    elif error.validator == "pattern" and error.validator_value in _HINTS:
        text = f"{error.instance!r} is not valid: use {_HINTS[error.validator_value]}"
    elif error.validator == "additionalProperties":
        schema = error.schema if isinstance(error.schema, Mapping) else {}
        allowed = ", ".join(schema.get("properties", {}))
        text = f"{error.message}; allowed: {allowed}"
    else:
        text = error.message
    return f"{where}: {text}" if where else text
