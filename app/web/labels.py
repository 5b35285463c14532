"""Translated labels for stored codes (run and connection statuses, roles, filter operators)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

STATUS_LABELS = {
    "queued": _l("queued"),
    "running": _l("running"),
    "retrying": _l("retrying"),
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


def status_label(code: str | None) -> str:
    return str(STATUS_LABELS.get(code or "", code or ""))


def operator_label(code: str) -> str:
    """The translated operator; an operator added to the engine later shows as words, not a key."""
    return str(OPERATOR_LABELS.get(code, code.replace("_", " ")))
