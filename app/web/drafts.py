"""Wizard drafts and the translation between mapping expressions and what the form shows.

A draft is the recipe document being built plus a little state, kept server-side in the database
(``app.web.draft_store``: it survives a reload, a restart and a move to another web process; the URL
carries its id and only its owner can open it). The form shows a field as text where ``{{ customer.name }}`` inserts a
value from the event: a field holding exactly one placeholder becomes ``{path: "$.customer.name"}``,
text mixed with placeholders becomes ``{text: "..."}``, anything else a constant.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from app.engine.coerce import CoerceError, to_decimal
from app.inputs import parse_int
from app.web.draft_store import delete_draft, load_draft, new_draft, save_draft  # noqa: F401 (the pages' API)
from connectors.sdk import parse_json

_SINGLE = re.compile(r"^\{\{\s*(.+?)\s*\}\}$")
_DOTTED_PATH = re.compile(r"^\$\.([A-Za-z_][\w-]*(?:(?:\.[A-Za-z_][\w-]*)|(?:\[\d+\]))*)$")
_SAFE_KEY = re.compile(r"^[A-Za-z_][\w-]*$")


def N_(message: str) -> str:
    """Mark a msgid for extraction; the template translates it."""
    return message


#: Formatter pipelines offered per field: (JSON of the pipeline, label msgid).
FORMAT_CHOICES: tuple[tuple[str, str], ...] = (
    ("", N_("as is")),
    ('["brl"]', N_("money (R$ 1.234,56)")),
    ('["number_br"]', N_("number (1.234,56)")),
    ('["number"]', N_("number (1234.56)")),
    ('["integer"]', N_("whole number")),
    ('[{"date": "%d/%m/%Y"}]', N_("date (dd/mm/aaaa)")),
    ('[{"date": "%Y-%m-%d"}]', N_("date (aaaa-mm-dd)")),
    ('["cpf_cnpj"]', N_("CPF/CNPJ (000.000.000-00)")),
    ('["digits"]', N_("digits only")),
    ('["phone_br"]', N_("phone (55 + DDD + number)")),
    ('["upper"]', N_("UPPER CASE")),
    ('["lower"]', N_("lower case")),
    ('["title"]', N_("Title Case")),
    ('["trim"]', N_("trim spaces")),
)


# -- sample fields -----------------------------------------------------------------------------

def path_of(parts: list[str | int]) -> str:
    """``["customer", "name"]`` → ``customer.name``; keys that are not identifiers use ``$`` syntax."""
    if all(isinstance(p, int) or _SAFE_KEY.match(p) for p in parts) and parts and isinstance(parts[0], str):
        out = parts[0]
        for part in parts[1:]:
            out += f"[{part}]" if isinstance(part, int) else f".{part}"
        return out
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (
            f".{part}" if _SAFE_KEY.match(part) else "['" + part.replace("'", "\\'") + "']")
    return out


def flatten(sample: Any, prefix: list[str | int] | None = None, depth: int = 0) -> list[tuple[str, str]]:
    """Leaf fields of a sample as ``(path, example)``; lists show their first item only."""
    prefix = prefix or []
    out: list[tuple[str, str]] = []
    if isinstance(sample, dict) and depth < 5:
        for key, value in sample.items():
            out += flatten(value, [*prefix, str(key)], depth + 1)
    elif isinstance(sample, list) and depth < 5:
        if sample:
            out += flatten(sample[0], [*prefix, 0], depth + 1)
    elif prefix:
        example = "" if sample is None else (json.dumps(sample) if isinstance(sample, bool) else str(sample))
        out.append((path_of(prefix), example[:60]))
    return out


# -- expressions <-> form ----------------------------------------------------------------------

def placeholder_to_path(inner: str) -> str:
    inner = inner.strip()
    if inner.startswith("$"):
        return inner
    return "$." + inner


def path_to_placeholder(path: str) -> str:
    match = _DOTTED_PATH.match(path.strip())
    return "{{ " + (match.group(1) if match else path.strip()) + " }}"


def expr_to_form(expr: Any) -> dict[str, str] | None:
    """``{text, format, extras}`` strings for one field, or None when the form cannot edit it."""
    if isinstance(expr, dict) and "path" in expr:
        extras = {k: v for k, v in expr.items() if k not in ("path", "format")}
        return {"text": path_to_placeholder(str(expr["path"])), "format": _format_json(expr.get("format")),
                "extras": json.dumps(extras, ensure_ascii=False) if extras else ""}
    if isinstance(expr, dict) and "text" in expr:
        return {"text": str(expr["text"]), "format": _format_json(expr.get("format")), "extras": ""}
    if isinstance(expr, dict) and "const" in expr and not isinstance(expr["const"], dict | list):
        return {"text": _scalar_text(expr["const"]), "format": "", "extras": ""}
    if isinstance(expr, dict | list):
        return None
    return {"text": _scalar_text(expr), "format": "", "extras": ""}


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _format_json(pipeline: Any) -> str:
    return json.dumps(pipeline, ensure_ascii=False) if pipeline else ""


def form_to_expr(text: str, format_json: str = "", extras_json: str = "",
                 schema: dict[str, Any] | None = None) -> Any:
    """The mapping expression for a field's text (None: leave the field out)."""
    text = (text or "").strip()
    if not text:
        return None
    pipeline = _load(format_json)
    single = _SINGLE.match(text)
    if single and "{{" not in single.group(1):
        expr: dict[str, Any] = {"path": placeholder_to_path(single.group(1))}
        if pipeline:
            expr["format"] = pipeline
        extras = _load(extras_json)
        if isinstance(extras, dict):
            expr.update({k: v for k, v in extras.items() if k not in ("path", "format")})
        return expr
    if "{{" in text:
        expr = {"text": text}
        if pipeline:
            expr["format"] = pipeline
        return expr
    return _constant(text, schema or {})


def _load(raw: str) -> Any:
    try:
        return parse_json(raw) if raw else None
    except ValueError:  # malformed, NaN, or nested too deep: treated as no value
        return None


def _constant(text: str, schema: dict[str, Any]) -> Any:
    kinds = schema.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    if "boolean" in kinds and text.lower() in ("true", "false", "sim", "não", "nao", "yes", "no"):
        return text.lower() in ("true", "sim", "yes")
    if "integer" in kinds and parse_int(text, maximum=10**18) is not None:
        return int(text)
    if "number" in kinds:
        try:  # read as the text says (R$ 1.234,56, 10.5), never nan/inf; stored as the float whose
            number = float(to_decimal(text))  # repr is that same text, so no cent moves on the way
        except CoerceError:
            return text
        return number if math.isfinite(number) else text
    return text


# -- filters <-> form --------------------------------------------------------------------------

LIST_OPS = ("in", "not_in", "between")


def value_to_form(value: Any) -> str:
    if isinstance(value, list):
        return "; ".join(_scalar_text(v) for v in value)
    return _scalar_text(value)


def form_to_condition(field: str, op: str, value: str, kind: str) -> dict[str, Any] | None:
    from app.engine.filter_ops import NO_VALUE_OPS

    field = field.strip()
    if not field:
        return None
    if not field.startswith("$"):
        field = placeholder_to_path(field.strip("{} "))
    condition: dict[str, Any] = {"field": field, "op": op}
    if op in LIST_OPS:
        condition["value"] = [part.strip() for part in value.split(";") if part.strip()]
    elif op not in NO_VALUE_OPS:
        condition["value"] = value.strip()
    if kind:
        condition["type"] = kind
    return condition
