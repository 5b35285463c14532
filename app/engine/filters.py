"""Recipe filters: a closed set of operators in nested all/any groups, with explicit coercion, no eval.

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
    "OPERATORS", "CompiledFilters", "ConditionResult", "FilterResult", "FilterSpecError", "Group", "GroupResult",
    "compile_filters",
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
    """A group's outcome: "all" stops at the first failing item, "any" at the first passing one.

    ``conditions`` are the group's own conditions that were evaluated, ``groups`` its nested groups.
    """

    passed: bool
    conditions: tuple[ConditionResult, ...]
    mode: str = "all"
    groups: tuple[GroupResult, ...] = ()
    failed: ConditionResult | None = field(default=None, compare=False)
    explanation: str = field(default="", compare=False)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"passed": self.passed, "mode": self.mode,
                               "conditions": [c.to_dict() for c in self.conditions]}
        if self.groups:
            out["groups"] = [g.to_dict() for g in self.groups]
        return out


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
class Group:
    """A compiled group: ``mode`` "all" (every item passes) or "any" (one item passes)."""

    mode: str
    items: tuple[Condition | Group, ...]


@dataclass(frozen=True)
class CompiledFilters:
    """A tree of groups of compiled conditions; no root means every event passes.

    The root's top-level results are ``FilterResult.groups``: one group for a root "all", one per
    item for a root "any" (the classic OR of AND groups), so stored results keep their shape.
    """

    root: Group | None = None
    clock: Clock = field(default=utc_now, compare=False)
    zone: tzinfo | None = field(default=None, compare=False)

    def evaluate(self, doc: Any, *, today: date | None = None, zone: tzinfo | None = None) -> FilterResult:
        """Evaluate against a trigger output.

        ``zone`` (else the compiled one, else the app's ``PONTE_TIMEZONE``) reads naive times and
        says what day the clock's instant is; ``today`` overrides that day for ``today-5d``.
        """
        if self.root is None:
            return FilterResult(True, (), None, "no filters")
        zone = zone or self.zone or local_zone()
        day = Today(today or today_in(zone, self.clock), zone)
        if self.root.mode == "all":
            result = _run(self.root, doc, day)
            label = "all conditions passed" if result.passed else result.explanation
            return FilterResult(result.passed, (result,), result.failed, label)
        results: list[GroupResult] = []
        for item in self.root.items:
            results.append(_run(item if isinstance(item, Group) else Group("all", (item,)), doc, day))
            if results[-1].passed:
                label = "all conditions passed" if len(self.root.items) == 1 else f"group {len(results)} passed"
                return FilterResult(True, tuple(results), None, label)
        if len(results) == 1:
            explanation = results[0].explanation
        else:
            explanation = "no group passed: " + "; ".join(
                f"group {i}: {g.explanation}" for i, g in enumerate(results, 1))
        return FilterResult(False, tuple(results), results[0].failed, explanation)


def _run(group: Group, doc: Any, today: Today) -> GroupResult:
    conditions: list[ConditionResult] = []
    groups: list[GroupResult] = []
    outcomes: list[tuple[bool, ConditionResult | None, str]] = []
    for item in group.items:
        if isinstance(item, Group):
            groups.append(_run(item, doc, today))
            outcomes.append((groups[-1].passed, groups[-1].failed, groups[-1].explanation))
        else:
            conditions.append(_evaluate(item, doc, today))
            outcomes.append((conditions[-1].passed, conditions[-1], conditions[-1].explanation))
        if outcomes[-1][0] is (group.mode == "any"):
            break
    if group.mode == "all":
        passed = all(ok for ok, _, _ in outcomes)
        failed, explanation = next(((c, e) for ok, c, e in outcomes if not ok), (None, ""))
    else:
        passed = any(ok for ok, _, _ in outcomes)
        failed = None if passed else outcomes[0][1]
        explanation = "" if passed else (outcomes[0][2] if len(outcomes) == 1 else
                                         "none passed: " + "; ".join(e for _, _, e in outcomes))
    return GroupResult(passed, tuple(conditions), group.mode, tuple(groups), failed, explanation)


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


MAX_DEPTH = 3  # the root, a group inside it, and one more: deeper is a sign of a mistake


def _compile_group(mode: str, raw: Any, where: Location, depth: int,
                   problems: list[tuple[Location, str]]) -> Group | None:
    if not isinstance(raw, list) or not raw:
        problems.append((where, f"'{mode}' is a non-empty list of conditions or groups"))
        return None
    items: list[Condition | Group] = []
    for i, item in enumerate(raw):
        nested = _group_mode(item)
        if nested is None:
            condition = _compile_condition(item, where + (i,), problems)
            if condition is not None:
                items.append(condition)
        elif depth >= MAX_DEPTH:
            problems.append((where + (i,), f"groups nest at most {MAX_DEPTH} levels deep"))
        elif (group := _compile_group(nested, item[nested], where + (i, nested), depth + 1, problems)) is not None:
            items.append(group)
    return Group(mode, tuple(items))


def _group_mode(item: Any) -> str | None:
    """"all" / "any" when ``item`` is a group (``{all: [...]}``), None when it is a condition."""
    if isinstance(item, dict) and len(item) == 1 and next(iter(item)) in ("all", "any"):
        return str(next(iter(item)))
    return None


def compile_filters(spec: Any, *, clock: Clock = utc_now, zone: tzinfo | None = None) -> CompiledFilters:
    """Compile a ``filters:`` block: a list (all of its items), or ``{all: [...]}`` / ``{any: [...]}``.

    An item is a condition or a nested group, so "status is pending, and (no external reference or
    it does not start with ponte-)" is ``[status, {any: [no_ref, not_ponte]}]``; the classic
    ``{any: [{all: [...]}, ...]}`` is the same shape. ``clock`` and ``zone`` are for tests and tools;
    by default the time is read at each evaluation. Raises FilterSpecError listing every problem
    with its location inside the block.
    """
    if spec is None or spec == []:
        return CompiledFilters(None, clock, zone)
    problems: list[tuple[Location, str]] = []
    if isinstance(spec, list):
        root = _compile_group("all", spec, (), 1, problems)
    elif (mode := _group_mode(spec)) is not None:
        root = _compile_group(mode, spec[mode], (mode,), 1, problems)
    else:
        raise FilterSpecError([((), "filters is a list of conditions, or {all: [...]} / {any: [...]} "
                                     "whose items are conditions or groups")])
    if problems:
        raise FilterSpecError(problems)
    return CompiledFilters(root if root is not None and root.items else None, clock, zone)
