"""Structured logging: one JSON object per line, with the request id, and secrets redacted.

The request id lives in a context variable: set from ``X-Request-Id`` (or generated) for each
request, copied by worker code that wants to tie its lines to the request that queued it.

Redaction happens where each record is *created* (a log-record factory applying
:class:`RedactingFilter`), so every handler — ours, gunicorn's, pytest's ``caplog`` — sees the same
redacted text; the filter class can also be attached to any handler on its own.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, request

from app.logcontext import request_id_var, run_id_var, step_var
from app.vault import REDACTOR, Redactor

__all__ = ["JsonFormatter", "RedactingFilter", "RequestIdFilter", "request_id_var", "run_id_var", "step_var"]
REQUEST_ID_HEADER = "X-Request-Id"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_HANDLER_MARK = "_ponte_handler"


class RequestIdFilter(logging.Filter):
    """Adds ``record.request_id`` (None outside a request), and ``run_id``/``step`` inside a run."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        if not hasattr(record, "run_id") and run_id_var.get() is not None:
            record.run_id = run_id_var.get()
            record.step = step_var.get()
        return True


class RedactingFilter(logging.Filter):
    """Replaces secrets in the record's message and exception text; never drops a record."""

    def __init__(self, redactor: Redactor = REDACTOR) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_ponte_redacted", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the record
            message = f"{record.msg!r} {record.args!r}"
        record.msg = self.redactor.text(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redactor.text(record.exc_text)
            record.exc_info = None  # the redacted text is what handlers print
        record._ponte_redacted = True
        return True


class JsonFormatter(logging.Formatter):
    """``{"ts", "level", "logger", "msg", "request_id", ...extra}`` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id:
            data["request_id"] = request_id
        for key in ("run_id", "step", "connection", "recipe", "event_id"):
            if hasattr(record, key):
                data[key] = getattr(record, key)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            data["exc"] = record.exc_text
        return json.dumps(data, ensure_ascii=False, default=str)


_original_factory: Callable[..., logging.LogRecord] | None = None


def install_record_factory() -> None:
    """Make every new LogRecord carry the request id and redacted text (idempotent)."""
    global _original_factory
    if _original_factory is not None:
        return
    _original_factory = logging.getLogRecordFactory()
    base = _original_factory
    request_ids = RequestIdFilter()
    redacting = RedactingFilter()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = base(*args, **kwargs)
        request_ids.filter(record)
        redacting.filter(record)
        return record

    logging.setLogRecordFactory(factory)


def configure_logging(app: Flask) -> None:
    """Redaction always; a JSON handler on the root logger outside testing (pytest owns it there)."""
    install_record_factory()
    REDACTOR.add(app.config.get("SECRET_KEY"), app.config.get("SMTP_PASSWORD"))
    level = app.config.get("LOG_LEVEL", "INFO")
    logging.getLogger("ponte").setLevel(level)
    if app.testing:
        return
    root = logging.getLogger()
    if not any(getattr(h, _HANDLER_MARK, False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        handler.addFilter(RequestIdFilter())
        handler.addFilter(RedactingFilter())
        setattr(handler, _HANDLER_MARK, True)
        root.addHandler(handler)
    root.setLevel(level)


def init_request_id(app: Flask) -> None:
    """Take ``X-Request-Id`` (if sane) or generate one; expose it in logs and the response."""

    @app.before_request
    def _set_request_id() -> None:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        g.request_id = request_id
        g._request_id_token = request_id_var.set(request_id)

    @app.after_request
    def _send_request_id(response: Response) -> Response:
        request_id = g.get("request_id")
        if request_id:
            response.headers[REQUEST_ID_HEADER] = request_id
        return response

    @app.teardown_request
    def _reset_request_id(_exc: BaseException | None) -> None:
        token = g.pop("_request_id_token", None)
        if token is not None:
            try:
                request_id_var.reset(token)
            except ValueError:  # reset from another context: just clear it
                request_id_var.set(None)


def current_request_id() -> str | None:
    return request_id_var.get()
