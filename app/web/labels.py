"""Translated labels for stored codes (run and connection statuses, roles, filter operators, error
kinds, trigger and action keys), so a page shows words where the database holds a key."""

from __future__ import annotations

from typing import Any

from babel.numbers import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.web import metadata

STATUS_LABELS = {
    "queued": _l("queued"),
    "running": _l("running"),
    "retrying": _l("retrying"),
    "interrupted": _l("interrupted"),
    "recovered": _l("recovered"),
    "succeeded": _l("succeeded"),
    "filtered": _l("filtered"),
    "failed": _l("failed"),
    "skipped": _l("skipped"),
    "untested": _l("not tested"),
    "ok": _l("working"),
    "error": _l("error"),
    "admin": _l("Administrator"),
    "operator": _l("Operator"),
}

OPERATOR_LABELS = {
    "equals": _l("equals"),
    "not_equals": _l("does not equal"),
    "contains": _l("contains"),
    "not_contains": _l("does not contain"),
    "starts_with": _l("starts with"),
    "not_starts_with": _l("does not start with"),
    "ends_with": _l("ends with"),
    "not_ends_with": _l("does not end with"),
    "in": _l("is one of"),
    "not_in": _l("is none of"),
    "greater": _l("greater than"),
    "greater_or_equal": _l("greater than or equal to"),
    "less": _l("less than"),
    "less_or_equal": _l("less than or equal to"),
    "between": _l("between"),
    "before": _l("before"),
    "after": _l("after"),
    "matches": _l("matches the pattern"),
    "is_true": _l("is true"),
    "is_false": _l("is false"),
    "exists": _l("exists"),
    "not_exists": _l("does not exist"),
    "is_empty": _l("is empty"),
    "not_empty": _l("is not empty"),
}


ERROR_KIND_LABELS = {
    "error": _l("error"),
    "config": _l("settings or credentials"),
    "transient": _l("temporary failure"),
    "rate_limited": _l("rate limit"),
    "deferred": _l("waiting to confirm, no attempt used"),
    "permanent": _l("refused by the service"),
    "skip": _l("nothing to do"),
    "webhook_auth": _l("webhook not authenticated"),
    "mapping": _l("field mapping"),
    "disabled": _l("automation disabled"),
    "internal": _l("internal error"),
}

# Operators that take no value: "field exists", not "field exists null".
UNARY_OPERATORS = frozenset({"exists", "not_exists", "is_empty", "not_empty", "is_true", "is_false"})


def status_label(code: str | None) -> str:
    return str(STATUS_LABELS.get(code or "", code or ""))


def operator_label(code: str) -> str:
    """The translated operator; an operator added to the engine later shows as words, not a key."""
    return str(OPERATOR_LABELS.get(code, code.replace("_", " ")))


def error_kind_label(code: str | None) -> str:
    return str(ERROR_KIND_LABELS.get(code or "", (code or "").replace("_", " ")))


def _is_pt() -> bool:
    return metadata.locale() == "pt_BR"


def trigger_title(qualified: str | None) -> str:
    """``<connector>.<trigger>`` → "<Connector>: <trigger title>" in the page's language; an unknown
    key as it is."""
    found = metadata.trigger_of(qualified)
    return metadata.qualified_title(*found) if found is not None else qualified or ""


def action_title(qualified: str | None, *, service: bool = True) -> str:
    """``<connector>.<action>`` → "<Connector>: <action title>" (without ``service``: the action's
    title alone), in the page's language; an unknown key as it is."""
    found = metadata.action_of(qualified)
    if found is None:
        return qualified or ""
    connector, action = found
    return f"{metadata.title(connector)}: {metadata.title(connector, action)}" if service \
        else metadata.title(connector, action)


def condition_value(value: Any) -> str:
    """A filter's expected or actual value as a person types it in the wizard: lists as ``a; b``,
    numbers in the page's locale (``50`` / ``1.234,56``), nothing as "(empty)"."""
    if value is None or value == "":
        return _("(empty)")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, (int, float)):
        return format_decimal(value, locale="pt_BR" if _is_pt() else "en")
    if isinstance(value, (list, tuple)):
        return "; ".join(condition_value(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {condition_value(v)}" for k, v in value.items())
    return str(value)


def field_label(path: str | None) -> str:
    """``$.payment.value`` → ``payment.value``, as the wizard's filter screen writes fields."""
    text = path or ""
    return text[2:] if text.startswith("$.") else text
