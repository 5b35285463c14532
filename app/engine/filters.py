"""Recipe filters: a closed set of operators in OR-of-AND groups, with explicit coercion, no eval.

Filters decide whether an event starts a run, and the decision is stored on the run, so evaluation
never raises: a value that cannot be coerced makes its condition false and says why. ``today`` and
naive times are read in the business zone when the filters evaluate (see ``clock``), so compiled
filters can be cached for as long as their recipe version lives.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Any

from app.engine.clock import Clock, local_zone, today_in, utc_now
from app.engine.coerce import CoerceError, short_repr
from app.engine.filter_ops import COMPARE, NO_VALUE_OPS, OPERATORS, Condition, Today
from app.engine.paths import MISSING, PathSyntaxError, compile_path, find

__all__ = [
    "OPERATORS", "CompiledFilters", "ConditionResult", "FilterResult", "FilterSpecError", "compile_filters",
]

Location = tuple[str | int, ...]


class FilterSpecError(ValueError):
    """Every problem in a ``filters:`` block, as ``(location inside the block, message)``."""

    def __init__(self, problems: list[tuple[Location, str]]) -> None:
        super().__init__("; ".join(message for _, message in problems))
        self.problems = problems


@dataclass(frozen=True)
class ConditionResult:
    """One condition's outcome with the actual value it saw, for the run's history."""

    field: str
    op: str
    expected: Any
    actual: Any
    passed: bool
    explanation: str

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "op": self.op, "expected": _jsonable(self.expected),
                "actual": _jsonable(self.actual), "passed": self.passed, "explanation": self.explanation}


@dataclass(frozen=True)
class GroupResult:
    """An AND group: it stops at the first failing condition."""

    passed: bool
    conditions: tuple[ConditionResult, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "conditions": [c.to_dict() for c in self.conditions]}


@dataclass(frozen=True)
class FilterResult:
    """Whether the event passed, which condition stopped it, and a sentence saying so."""

    passed: bool
    groups: tuple[GroupResult, ...]
    failed: ConditionResult | None
    explanation: str

    def to_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "groups": [g.to_dict() for g in self.groups],
                "failed": self.failed.to_dict() if self.failed else None, "explanation": self.explanation}


@dataclass(frozen=True)
class CompiledFilters:
    """OR of AND groups of compiled conditions; no groups means every event passes."""

    groups: tuple[tuple[Condition, ...], ...] = ()
    clock: Clock = field(default=utc_now, compare=False)
    zone: tzinfo | None = field(default=None, compare=False)

    def evaluate(self, doc: Any, *, today: date | None = None, zone: tzinfo | None = None) -> FilterResult:
        """Evaluate against a trigger output.

        ``zone`` (else the compiled one, else the app's ``PONTE_TIMEZONE``) reads naive times and
        says what day the clock's instant is; ``today`` overrides that day for ``today-5d``.
        """
        if not self.groups:
            return FilterResult(True, (), None, "no filters")
        zone = zone or self.zone or local_zone()
        day = Today(today or today_in(zone, self.clock), zone)
        results: list[GroupResult] = []
        for group in self.groups:
            seen: list[ConditionResult] = []
            for condition in group:
                seen.append(_evaluate(condition, doc, day))
                if not seen[-1].passed:
                    break
            results.append(GroupResult(all(c.passed for c in seen), tuple(seen)))
            if results[-1].passed:
                label = "all conditions passed" if len(self.groups) == 1 else f"group {len(results)} passed"
                return FilterResult(True, tuple(results), None, label)
        failures = [g.conditions[-1] for g in results]
        if len(failures) == 1:
            explanation = failures[0].explanation
        else:
            explanation = "no group passed: " + "; ".join(
                f"group {i}: {c.explanation}" for i, c in enumerate(failures, 1))
        return FilterResult(False, tuple(results), failures[0], explanation)


def _evaluate(condition: Condition, doc: Any, today: Today) -> ConditionResult:
    actual = find(condition.path, doc)
    try:
        passed, detail = COMPARE[condition.op](condition, actual, today)
    except CoerceError as exc:
        passed, detail = False, f"cannot compare: {exc}"
    shown = "no value" if actual is MISSING else short_repr(actual)
    verdict = "passed" if passed else "failed"
    expected = "" if condition.op in NO_VALUE_OPS else f" {short_repr(condition.value)}"
    explanation = f"{condition.field} {condition.op}{expected} {verdict}: actual {shown}"
    if detail:
        explanation += f" ({detail})"
    return ConditionResult(condition.field, condition.op, condition.value,
                           None if actual is MISSING else actual, passed, explanation)


def _jsonable(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, str) and len(value) > 500:
        return value[:500] + "..."
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value[:50]]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in list(value.items())[:50]}
    return value


_CONDITION_KEYS = {"field", "op", "value", "type", "case_sensitive"}
_TYPES = ("string", "number", "date", "boolean")


def _compile_condition(raw: Any, where: Location, problems: list[tuple[Location, str]]) -> Condition | None:
    if not isinstance(raw, dict):
        problems.append((where, f"a condition is a mapping with field, op and value, not {short_repr(raw)}"))
        return None
    start = len(problems)
    unknown = sorted(set(map(str, raw)) - _CONDITION_KEYS)
    if unknown:
        problems.append((where, f"unknown condition key(s) {', '.join(unknown)}; "
                                f"allowed: {', '.join(sorted(_CONDITION_KEYS))}"))
    op, kind = raw.get("op"), raw.get("type")
    if op not in OPERATORS:
        valid = ", ".join(OPERATORS)
        problems.append((where + ("op",), f"unknown operator {op!r}; valid operators: {valid}"))
    if kind is not None and kind not in _TYPES:
        problems.append((where + ("type",), f"unknown type {kind!r}; valid types: {', '.join(_TYPES)}"))
    path = None
    try:
        path = compile_path(str(raw.get("field") or ""))
    except PathSyntaxError as exc:
        problems.append((where + ("field",), str(exc)))
    if op in OPERATORS and op not in NO_VALUE_OPS and "value" not in raw:
        problems.append((where, f"operator {op!r} needs a value"))
    if len(problems) > start or path is None:
        return None
    try:
        return Condition.build(raw, path)
    except (ValueError, re.error) as exc:
        problems.append((where + ("value",), str(exc)))
        return None


def compile_filters(spec: Any, *, clock: Clock = utc_now, zone: tzinfo | None = None) -> CompiledFilters:
    """Compile a ``filters:`` block (a list = one AND group, or ``{any: [{all: [...]}, ...]}``).

    ``clock`` and ``zone`` are for tests and tools; by default the time is read at each evaluation.
    Raises FilterSpecError listing every problem with its location inside the block.
    """
    if spec is None or spec == []:
        return CompiledFilters((), clock, zone)
    problems: list[tuple[Location, str]] = []
    if isinstance(spec, list):
        raw_groups: list[tuple[Location, Any]] = [((), spec)]
    elif isinstance(spec, dict) and set(spec) == {"any"} and isinstance(spec["any"], list):
        raw_groups = []
        for i, group in enumerate(spec["any"]):
            if isinstance(group, dict) and set(group) == {"all"} and isinstance(group["all"], list):
                raw_groups.append((("any", i, "all"), group["all"]))
            else:
                problems.append((("any", i), "each group under 'any' is {all: [conditions...]}"))
    else:
        raise FilterSpecError([((), "filters is a list of conditions or {any: [{all: [...]}, ...]}")])
    groups = []
    for where, conditions in raw_groups:
        compiled = [_compile_condition(c, where + (i,), problems) for i, c in enumerate(conditions)]
        groups.append(tuple(c for c in compiled if c is not None))
    if problems:
        raise FilterSpecError(problems)
    return CompiledFilters(tuple(g for g in groups if g), clock, zone)
