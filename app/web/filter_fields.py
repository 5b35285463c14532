"""The fields a person can filter on, labelled, with the operators and values that suit each.

A trigger that describes its output (``Trigger.output_fields``) is offered by those labels in the
page's language, with the value of the last real event (or the sample) beside each, and its
fixed values as a dropdown. A trigger that does not is offered by its output's paths, its kind
guessed from the output schema and the example. Anything else stays reachable as "another path
(advanced)": free JSONPath, every operator, and the "compare as" choice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _

from app.web import drafts, filter_values, formatting, metadata

ADVANCED = "__other"
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$")

#: Operators offered per kind of field, in the order a person thinks of them.
OPERATORS_BY_KIND: dict[str, tuple[str, ...]] = {
    "string": ("equals", "not_equals", "contains", "not_contains", "starts_with", "not_starts_with",
               "ends_with", "not_ends_with", "in", "not_in", "is_empty", "not_empty", "matches"),
    "enum": ("equals", "not_equals", "in", "not_in", "is_empty", "not_empty"),
    "number": ("equals", "not_equals", "greater", "greater_or_equal", "less", "less_or_equal", "between",
               "is_empty", "not_empty"),
    "date": ("equals", "before", "after", "between", "is_empty", "not_empty"),
    "boolean": ("is_true", "is_false", "is_empty"),
}
OPERATORS_BY_KIND["money"] = OPERATORS_BY_KIND["number"]
PRESENCE_OPS = ("exists", "not_exists", "is_empty", "not_empty")
#: The engine's comparison type a kind is stored with (strings and codes compare as written).
ENGINE_TYPE = {"money": "number", "number": "number", "date": "date"}


@dataclass(frozen=True)
class FieldOption:
    """One field of the picker: ``path`` is the JSONPath stored in the recipe."""

    path: str
    label: str
    example: str
    kind: str
    options: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    @property
    def operators(self) -> tuple[str, ...]:
        return OPERATORS_BY_KIND.get(self.kind, OPERATORS_BY_KIND["string"])

    def accepts(self, op: str) -> bool:
        """Offered for this kind, or a presence check (any field may be absent): a saved recipe with
        ``not_exists`` keeps it."""
        return op in self.operators or op in PRESENCE_OPS

    def option_label(self, code: Any) -> str:
        return next((label for value, label in self.options if value == str(code)), str(code))


def _at(doc: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(doc, dict) or part not in doc:
            return None
        doc = doc[part]
    return doc


def _schema_at(schema: Any, dotted: str) -> dict[str, Any]:
    for part in dotted.split("."):
        schema = (schema.get("properties") or {}).get(part) if isinstance(schema, dict) else None
    return schema if isinstance(schema, dict) else {}


def _kind(schema: dict[str, Any], example: Any) -> str:
    declared = schema.get("type")
    types: list[Any] = declared if isinstance(declared, list) else [declared]
    if schema.get("enum"):
        return "enum"
    if "boolean" in types or isinstance(example, bool):
        return "boolean"
    if {"number", "integer"} & set(types) or isinstance(example, int | float):
        return "number"
    if schema.get("format") in ("date", "date-time") or (isinstance(example, str) and _ISO_DAY.match(example)):
        return "date"
    return "string"


def example_text(kind: str, value: Any, options: tuple[tuple[str, str], ...] = ()) -> str:
    """The example beside a field, as the page writes values: R$ 450,00, 10/03/2025, a status's label."""
    if value is None or value == "":
        return _("(empty)")
    if kind == "money":
        return formatting.money(value)
    if kind == "date":
        return formatting.day(value)
    if kind == "boolean" and isinstance(value, bool):
        return _("yes") if value else _("no")
    if kind == "enum":
        return next((label for code, label in options if code == str(value)), str(value))
    if kind == "number" and isinstance(value, int | float):
        return filter_values.format_number(value, metadata.locale())
    return str(value)[:60]


def trigger_fields(event: str, doc: Any) -> list[FieldOption]:
    """The trigger's fields for the picker, with ``doc``'s values as examples."""
    found = metadata.trigger_of(event)
    if found is None:
        return []
    connector, trigger = found
    out: list[FieldOption] = []
    for dotted, described in trigger.output_fields.items():
        schema = _schema_at(trigger.output_schema, dotted)
        value = _at(doc, dotted)
        kind = described.kind or _kind(schema, value)
        options = tuple(metadata.static_options(connector, described.choices)) or tuple(
            (str(v), str(v)) for v in schema.get("enum") or [])
        out.append(FieldOption(f"$.{dotted}", metadata.text(connector, described.label),
                               example_text(kind, value, options), kind, options))
    if out:
        return out
    for path, example in drafts.flatten(doc):  # a trigger that does not describe its output
        if path.startswith("$"):
            continue  # keys that are not identifiers stay for the advanced path
        value = _at(doc, path)
        schema = _schema_at(trigger.output_schema, path)
        options = tuple((str(v), str(v)) for v in schema.get("enum") or [])
        kind = _kind(schema, value)
        out.append(FieldOption(f"$.{path}", path, example_text(kind, value, options) if example else _("(empty)"),
                               kind, options))
    return out
