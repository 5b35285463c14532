"""The filter operators: one small function each, over values coerced by an explicit or default type.

Defaults: greater/less/between compare numbers, before/after compare dates, is_true/is_false read
booleans; the rest compare as-is, except that a number meets a numeric string as a number
(``"1.234,56"`` equals ``1234.56``) and strings compare case-insensitively unless ``case_sensitive``.

Dates: two values with a time compare as instants (a naive time is wall time in the business zone,
so Asaas ``"2025-03-10 23:00:00"`` is São Paulo time); if either side is a date only, both compare
as days in that zone (``2025-03-11T01:00Z`` is still March 10th in São Paulo).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, tzinfo
from typing import Any

from jsonpath_ng import JSONPath

from app.engine.clock import in_zone
from app.engine.coerce import (
    CoerceError,
    is_relative_date,
    resolve_relative_date,
    short_repr,
    to_bool,
    to_datetime,
    to_number,
    to_text,
)
from app.engine.paths import MISSING
from app.engine.regex import compile_pattern

MAX_PATTERN_LENGTH = 500
MAX_MATCH_INPUT = 10_000
NO_VALUE_OPS = frozenset({"is_true", "is_false", "exists", "not_exists", "is_empty", "not_empty"})
_DEFAULT_TYPE = {"greater": "number", "greater_or_equal": "number", "less": "number",
                 "less_or_equal": "number", "between": "number", "before": "date", "after": "date",
                 "is_true": "boolean", "is_false": "boolean"}


def value_kind(op: str, kind: str | None) -> str | None:
    """The type a condition's value is read as: its ``type``, else the operator's default."""
    return kind or _DEFAULT_TYPE.get(op)


@dataclass(frozen=True)
class Today:
    """What a filter evaluation needs to know about time: the date in the business zone, and the zone."""

    day: date
    zone: tzinfo


@dataclass(frozen=True)
class Condition:
    """A compiled condition: JSONPath parsed, constants coerced, regex compiled, all at load time."""

    field: str
    op: str
    value: Any
    path: JSONPath
    kind: str | None
    case_sensitive: bool
    operand: Any

    @classmethod
    def build(cls, raw: dict[str, Any], path: JSONPath) -> Condition:
        """Check and pre-coerce ``raw['value']``; raises ValueError (or re.error) with the reason."""
        op, value = raw["op"], raw.get("value")
        kind = raw.get("type") or _DEFAULT_TYPE.get(op)
        case_sensitive = bool(raw.get("case_sensitive", False))
        operand: Any = value
        if op in ("in", "not_in"):
            if not isinstance(value, list) or not value:
                raise ValueError(f"operator {op!r} needs a non-empty list as value")
            operand = [_constant(kind, v, case_sensitive) for v in value]
        elif op == "between":
            if not isinstance(value, list) or len(value) != 2:
                raise ValueError("operator 'between' needs value: [low, high]")
            operand = [_constant(kind, v, case_sensitive) for v in value]
        elif op == "matches":
            if not isinstance(value, str) or len(value) > MAX_PATTERN_LENGTH:
                raise ValueError(f"operator 'matches' needs a regular expression of at most "
                                 f"{MAX_PATTERN_LENGTH} characters")
            operand = compile_pattern(value, case_sensitive=case_sensitive)  # RE2: linear time
        elif op not in NO_VALUE_OPS:
            operand = _constant(kind, value, case_sensitive)
        return cls(str(raw["field"]), op, value, path, kind, case_sensitive, operand)


def _constant(kind: str | None, value: Any, case_sensitive: bool) -> Any:
    try:
        if kind == "date" and is_relative_date(value):
            return value
        return _coerce(kind, value, case_sensitive)
    except CoerceError as exc:
        raise ValueError(f"value {short_repr(value)} cannot be read as {kind}: {exc}") from None


def _coerce(kind: str | None, value: Any, case_sensitive: bool) -> Any:
    if kind == "number":
        return to_number(value)
    if kind == "date":
        return to_datetime(value)
    if kind == "boolean":
        return to_bool(value)
    if kind == "string":
        text = to_text(value)
        return text if case_sensitive else text.casefold()
    return value


def _expected(c: Condition, operand: Any, today: Today) -> Any:
    if c.kind == "date" and isinstance(operand, str):
        return to_datetime(resolve_relative_date(operand, today.day))
    return operand


def _comparable(c: Condition, actual: Any, operand: Any, today: Today) -> tuple[Any, Any]:
    """Both sides as one comparable type; dates compare by day unless both carry a time."""
    expected = _expected(c, operand, today)
    if c.kind is None:
        return _loose(actual, expected, c.case_sensitive)
    value = _coerce(c.kind, actual, c.case_sensitive)
    if c.kind == "date":
        (a, a_time), (e, e_time) = value, expected
        a, e = in_zone(a, today.zone), in_zone(e, today.zone)
        return (a, e) if a_time and e_time else (a.date(), e.date())
    return value, expected


def _loose(actual: Any, expected: Any, case_sensitive: bool) -> tuple[Any, Any]:
    numeric = (int, float)
    if isinstance(actual, str) and isinstance(expected, str):
        return (actual, expected) if case_sensitive else (actual.casefold(), expected.casefold())
    if isinstance(actual, bool) or isinstance(expected, bool):
        if isinstance(actual, str) or isinstance(expected, str):
            return to_bool(actual), to_bool(expected)
        return actual, expected
    if isinstance(actual, numeric) and isinstance(expected, str) or (
            isinstance(expected, numeric) and isinstance(actual, str)):
        return to_number(actual), to_number(expected)
    return actual, expected


def _equal(c: Condition, actual: Any, operand: Any, today: Today) -> bool:
    try:
        a, e = _comparable(c, actual, operand, today)
    except CoerceError:
        if c.kind is not None:
            raise
        return False  # loose comparison of unrelated types: simply not equal
    return bool(a == e)


def _text(c: Condition, value: Any) -> str:
    text = to_text(value)
    return text if c.case_sensitive else text.casefold()


def _contains(c: Condition, actual: Any, today: Today) -> bool:
    if isinstance(actual, list):
        return any(_equal(c, item, c.operand, today) for item in actual)
    if isinstance(actual, dict):
        return str(c.value) in actual
    return _text(c, c.value) in _text(c, actual)


def _ordered(check: Callable[[Any, Any], bool]) -> Callable[[Condition, Any, Today], bool]:
    def run(c: Condition, actual: Any, today: Today) -> bool:
        a, e = _comparable(c, actual, c.operand, today)
        try:
            return check(a, e)
        except TypeError:
            message = f"{short_repr(actual)} cannot be ordered against {short_repr(c.value)}"
            raise CoerceError(message) from None

    return run


def _between(c: Condition, actual: Any, today: Today) -> bool:
    a, low = _comparable(c, actual, c.operand[0], today)
    _, high = _comparable(c, actual, c.operand[1], today)
    return bool(low <= a <= high)


def _is_empty(actual: Any) -> bool:
    if actual is MISSING or actual is None:
        return True
    if isinstance(actual, str):
        return not actual.strip()
    return isinstance(actual, list | dict) and not actual


def _matches(c: Condition, actual: Any, _: Today) -> bool:
    return c.operand.search(to_text(actual)[:MAX_MATCH_INPUT]) is not None


_Op = Callable[[Condition, Any, Today], bool]
_VALUE_OPS: dict[str, _Op] = {
    "equals": lambda c, a, t: _equal(c, a, c.operand, t),
    "not_equals": lambda c, a, t: not _equal(c, a, c.operand, t),
    "contains": _contains,
    "not_contains": lambda c, a, t: not _contains(c, a, t),
    "starts_with": lambda c, a, t: _text(c, a).startswith(_text(c, c.value)),
    "ends_with": lambda c, a, t: _text(c, a).endswith(_text(c, c.value)),
    "not_starts_with": lambda c, a, t: not _text(c, a).startswith(_text(c, c.value)),
    "not_ends_with": lambda c, a, t: not _text(c, a).endswith(_text(c, c.value)),
    "in": lambda c, a, t: any(_equal(c, a, x, t) for x in c.operand),
    "not_in": lambda c, a, t: not any(_equal(c, a, x, t) for x in c.operand),
    "greater": _ordered(lambda a, e: a > e),
    "greater_or_equal": _ordered(lambda a, e: a >= e),
    "less": _ordered(lambda a, e: a < e),
    "less_or_equal": _ordered(lambda a, e: a <= e),
    "between": _between,
    "before": _ordered(lambda a, e: a < e),
    "after": _ordered(lambda a, e: a > e),
    "is_true": lambda c, a, t: to_bool(a) is True,
    "is_false": lambda c, a, t: to_bool(a) is False,
    "matches": _matches,
}
_PRESENCE_OPS: dict[str, Callable[[Any], bool]] = {
    "exists": lambda a: a is not MISSING and a is not None,
    "not_exists": lambda a: a is MISSING or a is None,
    "is_empty": _is_empty,
    "not_empty": lambda a: not _is_empty(a),
}
OPERATORS: tuple[str, ...] = (*_VALUE_OPS, *_PRESENCE_OPS)


def _compare(op: str) -> Callable[[Condition, Any, Today], tuple[bool, str]]:
    def run(c: Condition, actual: Any, today: Today) -> tuple[bool, str]:
        if op in _PRESENCE_OPS:
            return _PRESENCE_OPS[op](actual), ""
        if actual is MISSING:
            return False, "the event has no value at this path"
        passed = _VALUE_OPS[op](c, actual, today)
        return passed, (f"compared as {c.kind}" if c.kind and c.kind != "string" else "")

    return run


Compare = Callable[[Condition, Any, Today], tuple[bool, str]]
COMPARE: dict[str, Compare] = {op: _compare(op) for op in OPERATORS}
