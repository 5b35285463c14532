"""The wizard's filter screen: rows that read like a sentence, built from the trigger's labelled fields.

"Continue when the event matches [all of these | any of these]:" then rows; a row is a condition
(a field picked from the list, an operator offered for the field's kind, a value typed the page's
way or picked from the field's fixed values) or a group of conditions with its own all/any. The
form posts every row (``field-<row>``, ``op-<row>``, ``value-<row>``...; rows as in
``filter_tree``), so the screen is rebuilt from the post alone and works without JavaScript; with
it, changing a field or an operator refreshes the rows in place (htmx).
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from app.db import get_session
from app.engine.filter_ops import NO_VALUE_OPS, OPERATORS
from app.web import drafts, filter_tree, filter_values, metadata
from app.web import wizard_checks as checks
from app.web import wizard_data as data
from app.web.filter_fields import ADVANCED, ENGINE_TYPE, FieldOption, trigger_fields

MULTI_OPS = ("in", "not_in")
BLANK: dict[str, Any] = {"field": "", "op": ""}


def _catalogue(document: dict[str, Any]) -> dict[str, FieldOption]:
    doc, _run = data.source_document(get_session(), document)
    return {f.path: f for f in trigger_fields((document.get("trigger") or {}).get("event") or "", doc)}


def _typed(kind: str, text: str, locale: str) -> tuple[Any, bool]:
    """``(stored value, read?)`` for one typed value of a money/number/date field."""
    parsed = filter_values.parse_date(text, locale) if kind == "date" else filter_values.parse_number(text, locale)
    return (parsed, True) if parsed is not None else (text.strip(), not text.strip())


def _problem(kind: str, text: str, locale: str) -> str:
    if kind == "date":
        return _("“%(value)s” is not a date: type it like %(example)s (or %(relative)s).", value=text,
                 example=filter_values.format_date("2025-12-31", locale),
                 relative=filter_values.format_date("today-3d", locale))
    return _("“%(value)s” is not a number: type it like %(example)s.", value=text,
             example=filter_values.format_number(1234.56, locale, money=True))


def condition_from_form(form: MultiDict[str, str], rid: str, fields: dict[str, FieldOption],
                        locale: str) -> tuple[dict[str, Any], str | None]:
    """One row's condition from the post, and why its value cannot be read (None: it can)."""
    choice = form.get(f"field-{rid}", "")
    op = form.get(f"op-{rid}", "")
    picked = fields.get(choice)
    if choice == ADVANCED or (choice and picked is None):
        path = form.get(f"path-{rid}", "") if choice == ADVANCED else choice
        free = drafts.form_to_condition(path, op or "equals", form.get(f"value-{rid}", ""),
                                        form.get(f"type-{rid}", ""))
        return free or {"field": "", "op": op or "equals", "advanced": True}, None
    if picked is None:
        return dict(BLANK), None
    op = op if picked.accepts(op) else picked.operators[0]
    condition: dict[str, Any] = {"field": picked.path, "op": op}
    problem = None
    if op not in NO_VALUE_OPS:
        if picked.kind == "enum":
            chosen = [v for v in form.getlist(f"value-{rid}") if v]
            condition["value"] = chosen if op in MULTI_OPS else (chosen or [""])[0]
            problem = None if chosen else _("Choose one or more values.") if op in MULTI_OPS else _("Choose a value.")
        elif picked.kind in ("money", "number", "date"):
            texts = [form.get(f"value-{rid}", ""), form.get(f"value2-{rid}", "")][:2 if op == "between" else 1]
            read = [_typed(picked.kind, text, locale) for text in texts]
            bad = next((text for text, (_value, ok) in zip(texts, read, strict=True) if not ok), None)
            problem = _problem(picked.kind, bad, locale) if bad is not None else None
            values = [value for value, _ok in read]
            condition["value"] = values if op == "between" else values[0]
        elif op in MULTI_OPS:
            condition["value"] = [p.strip() for p in form.get(f"value-{rid}", "").split(";") if p.strip()]
        else:
            condition["value"] = form.get(f"value-{rid}", "").strip()
    if picked.kind in ENGINE_TYPE:
        condition["type"] = ENGINE_TYPE[picked.kind]
    return condition, problem


def tree_from_form(form: MultiDict[str, str], fields: dict[str, FieldOption],
                   locale: str) -> tuple[filter_tree.Tree, dict[str, str]]:
    """The screen's tree as posted, with the edit asked for (add, add a group, remove) applied."""
    edit = form.get("edit", "")
    problems: dict[str, str] = {}
    items: list[Any] = []
    i = 0
    while f"row-{i}" in form:
        if form[f"row-{i}"] == "g":
            inner: list[dict[str, Any]] = []
            j = 0
            while f"row-{i}-{j}" in form:
                if edit != f"del:{i}-{j}":
                    condition, problem = condition_from_form(form, f"{i}-{j}", fields, locale)
                    inner.append(condition)
                    if problem:
                        problems[f"f{len(items)}-{len(inner) - 1}"] = problem
                j += 1
            if edit == f"add:{i}":
                inner.append(dict(BLANK))
            mode = form.get(f"mode-{i}", "any")
            if edit != f"del:{i}" and inner:
                items.append({"mode": mode if mode in filter_tree.MODES else "any", "items": inner})
        elif edit != f"del:{i}":
            condition, problem = condition_from_form(form, str(i), fields, locale)
            items.append(condition)
            if problem:
                problems[f"f{len(items) - 1}"] = problem
        i += 1
    mode = form.get("mode", "all")
    mode = mode if mode in filter_tree.MODES else "all"
    if edit == "add":
        items.append(dict(BLANK))
    elif edit == "add-group":
        items.append({"mode": "any" if mode == "all" else "all", "items": [dict(BLANK), dict(BLANK)]})
    return {"mode": mode, "items": items}, problems


def apply(draft: dict[str, Any], form: Any) -> list[str]:
    """Save the rows as typed; on "next", every row whose value cannot work is marked at its field."""
    document = draft["document"]
    draft.pop("pending_filters", None)  # the previous screen's state, from drafts saved before it
    if filter_tree.tree_of(document.get("filters")) is None and "row-0" not in form:
        return []  # nested deeper than this screen shows: left as written in the recipe
    locale = metadata.locale()
    tree, problems = tree_from_form(form, _catalogue(document), locale)
    draft["filter_tree"] = tree
    document["filters"] = filter_tree.filters_of(tree)
    if form.get("go") != "next":
        draft.pop("field_errors", None)
        return []
    for rid, condition in filter_tree.conditions(tree):
        key = f"f{rid}"
        if condition.get("field") and key not in problems and (problem := checks.condition_problem(condition)):
            problems[key] = problem
    draft["field_errors"] = problems
    return checks.summary(problems)


def _row(rid: str, condition: dict[str, Any], fields: dict[str, FieldOption], locale: str) -> dict[str, Any]:
    """What the template needs to draw one condition row."""
    path = str(condition.get("field") or "")
    op = str(condition.get("op") or "")
    picked = fields.get(path)
    if picked is not None and not _fits(picked, condition):
        picked = None  # written by hand in a way the picker cannot show: kept as an advanced row
    advanced = bool(path or condition.get("advanced")) and picked is None
    ops = (picked.operators + ((op,) if op not in picked.operators else ())) if picked else OPERATORS
    value = condition.get("value")
    row: dict[str, Any] = {"id": rid, "field": picked, "path": path, "advanced": advanced,
                           "op": op if op in ops else ops[0], "ops": ops, "type": condition.get("type") or "",
                           "text": drafts.value_to_form(value), "text2": "", "chosen": []}
    kind = picked.kind if picked else ""
    if picked is None or row["op"] in NO_VALUE_OPS:
        row["control"] = "text" if picked is None else "none"
    elif kind == "enum":
        row["control"] = "multi" if row["op"] in MULTI_OPS else "select"
        row["chosen"] = [str(v) for v in value] if isinstance(value, list) else [str(value or "")]
    elif kind in ("money", "number", "date"):
        row["control"] = kind
        shown = [_shown(kind, v, locale) for v in (value if isinstance(value, list) else [value])]
        row["text"], row["text2"] = (shown + [""])[:2] if row["op"] == "between" else (shown[0], "")
    else:
        row["control"] = "text"
    return row


def _fits(picked: FieldOption, condition: dict[str, Any]) -> bool:
    """Whether the picker row says all the condition says (else the advanced row shows it)."""
    op = str(condition.get("op") or "")
    if (op and not picked.accepts(op)) or condition.get("case_sensitive") is not None:
        return False
    kind = condition.get("type")
    return kind is None or kind == ENGINE_TYPE.get(picked.kind) or (picked.kind, kind) == ("string", "string")


def _shown(kind: str, value: Any, locale: str) -> str:
    if value is None:
        return ""
    if kind == "date":
        return filter_values.format_date(value, locale)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return filter_values.format_number(value, locale, money=kind == "money")
    return str(value)


def context(draft: dict[str, Any]) -> dict[str, Any]:
    document = draft["document"]
    tree = draft.get("filter_tree") or filter_tree.tree_of(document.get("filters"))
    fields = _catalogue(document)
    locale = metadata.locale()
    rows: list[dict[str, Any]] = []
    for i, item in enumerate((tree or {}).get("items") or []):
        if filter_tree.is_group(item):
            rows.append({"id": str(i), "group": True, "mode": item["mode"],
                         "rows": [_row(f"{i}-{j}", c, fields, locale) for j, c in enumerate(item["items"])]})
        else:
            rows.append({**_row(str(i), item, fields, locale), "group": False})
    _payload, run = data.source_document(get_session(), document)
    return {"too_deep": tree is None, "mode": (tree or {}).get("mode", "all"), "rows": rows,
            "fields": list(fields.values()), "advanced_value": ADVANCED, "source_run": run,
            "paths": data.source_fields(get_session(), document, 0),
            "field_errors": draft.get("field_errors") or {}, "number_hint": _number_hint(locale),
            "date_hint": _("mm/dd/yyyy")}


def _number_hint(locale: str) -> str:
    return filter_values.format_number(1234.56, locale, money=True)
