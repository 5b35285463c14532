"""A recipe's ``filters:`` block as the filter screen edits it: a sentence of rows, one level of groups.

The screen's tree is ``{"mode": "all"|"any", "items": [condition | {"mode", "items": [conditions]}]}``:
the top says "all of these" or "any of these", and a row may be a group with its own "all"/"any".
It maps one-to-one onto the engine's format (``app.engine.filters``), so editing an automation
shows the rows it was saved with: a list is a top "all", ``{any: [...]}`` a top "any", and a nested
``{all: [...]}`` / ``{any: [...]}`` a group row. Rows are addressed ``"2"`` (third row) and
``"2-0"`` (first row of the group in the third row), which are also the form's name suffixes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

MODES = ("all", "any")
Tree = dict[str, Any]


def group_mode(item: Any) -> str | None:
    """"all" / "any" for an engine group (``{any: [...]}``), None for anything else."""
    if isinstance(item, dict) and len(item) == 1 and next(iter(item)) in MODES:
        return str(next(iter(item)))
    return None


def is_group(item: Any) -> bool:
    """A row of the screen's tree that is a group (``{"mode", "items"}``), not a condition."""
    return isinstance(item, dict) and "items" in item and item.get("mode") in MODES


def empty() -> Tree:
    return {"mode": "all", "items": []}


def tree_of(filters: Any) -> Tree | None:
    """The screen's tree for a ``filters:`` block; None when it nests deeper than the screen shows."""
    if filters is None or filters == []:
        return empty()
    mode = group_mode(filters)
    items = filters if isinstance(filters, list) else filters[mode] if mode else None
    if not isinstance(items, list):
        return None
    rows: list[Any] = []
    for item in items:
        nested = group_mode(item)
        if nested is None:
            rows.append(dict(item) if isinstance(item, dict) else item)
            continue
        inner = item[nested] if isinstance(item[nested], list) else []
        if any(group_mode(c) for c in inner):
            return None
        rows.append({"mode": nested, "items": [dict(c) for c in inner if isinstance(c, dict)]})
    return {"mode": mode or "all", "items": rows}


def _filled(condition: Any) -> bool:
    return isinstance(condition, dict) and bool(condition.get("field"))


def filters_of(tree: Tree) -> Any:
    """The engine's ``filters:`` block; blank rows and empty groups are left out.

    A top "all" is a list (the classic form, which may now hold group items), a top "any" is
    ``{any: [...]}``; nothing left is ``[]`` (every event passes).
    """
    out: list[Any] = []
    for item in tree.get("items") or []:
        if is_group(item):
            inner = [c for c in item["items"] if _filled(c)]
            if inner:
                out.append({item["mode"]: inner})
        elif _filled(item):
            out.append(item)
    if not out:
        return []
    return out if tree.get("mode") != "any" else {"any": out}


def conditions(tree: Tree) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every condition row as ``(row id, condition)``, in the screen's order."""
    for i, item in enumerate(tree.get("items") or []):
        if is_group(item):
            for j, condition in enumerate(item["items"]):
                yield f"{i}-{j}", condition
        elif isinstance(item, dict):
            yield str(i), item
