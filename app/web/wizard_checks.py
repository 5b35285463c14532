"""What blocks a wizard step: required fields left empty, filter values that cannot be read as their type.

The engine would accept an empty template variable (the document just goes out with a hole) and
refuses a number filter of "abc" only at save time, in English. These checks run when the user
asks to move on ("next", "save") and answer in the page's language, one message per field, keyed
by the form name of the field so the template can show it where it belongs.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from app.engine.coerce import CoerceError, is_relative_date, to_bool, to_datetime, to_number
from app.engine.filter_ops import NO_VALUE_OPS, value_kind
from app.web import filter_tree
from app.web import wizard_data as data
from app.web.drafts import LIST_OPS


def _empty(expr: Any) -> bool:
    if expr is None:
        return True
    if isinstance(expr, str):
        return not expr.strip()
    if isinstance(expr, dict) and "const" in expr:
        return _empty(expr["const"])
    if isinstance(expr, dict) and "text" in expr:
        return not str(expr["text"]).strip()
    return isinstance(expr, dict | list) and not expr


def missing_required(session: Session, document: dict[str, Any]) -> dict[str, str]:
    """``{"v|<step>|<field>": message}`` for every required field (or template variable) left empty."""
    problems: dict[str, str] = {}
    for i, step in enumerate(document.get("steps") or []):
        targets, _problem = data.step_targets(session, step)
        current = step.get("input") or {}
        for target in targets:
            if target.required and _empty(data.get_target(current, target.name)):
                problems[f"v|{i}|{target.name}"] = _("Required: type a value or insert a field from the event.")
    return problems


def _value_problem(kind: str | None, value: Any) -> str | None:
    text = str(value).strip()
    try:
        if kind == "number":
            to_number(text)
        elif kind == "date" and not is_relative_date(text):
            to_datetime(text)
        elif kind == "boolean":
            to_bool(text)
    except CoerceError:
        return {"number": _("“%(value)s” is not a number (for example 1.234,56).", value=text),
                "date": _("“%(value)s” is not a date (for example 31/12/2025, or today-3d).", value=text),
                "boolean": _("“%(value)s” is not yes or no.", value=text)}[str(kind)]
    return None


def condition_problem(condition: dict[str, Any]) -> str | None:
    """Why one filter condition cannot work, in the page's language (None: it can)."""
    op, value = condition.get("op", ""), condition.get("value")
    if op in NO_VALUE_OPS:
        return None
    kind = value_kind(op, condition.get("type"))
    if op in LIST_OPS:
        values = value if isinstance(value, list) else []
        if not values:
            return _("Type the values, separated by “;”.")
        if op == "between" and len(values) != 2:
            return _("Type two values separated by “;”: the lowest and the highest.")
        return next((p for p in (_value_problem(kind, v) for v in values) if p), None)
    if value is None or (isinstance(value, str) and not value.strip()):
        return _("Type a value to compare with.")
    return _value_problem(kind, value)


def filter_problems(filters: Any) -> dict[str, str]:
    """``{"f<row>": message}`` for every condition of ``filters`` that cannot work (rows as in ``filter_tree``)."""
    tree = filter_tree.tree_of(filters)
    return {f"f{rid}": problem for rid, condition in filter_tree.conditions(tree or filter_tree.empty())
            if (problem := condition_problem(condition))}


def summary(problems: dict[str, str]) -> list[str]:
    """The one line above the form: how many fields to fix (each message is at its field)."""
    if not problems:
        return []
    return [_("%(count)d field(s) need attention: see the messages below.", count=len(problems))]
