from __future__ import annotations

import json
import logging

from flask import Flask

from app.logs import JsonFormatter, RedactingFilter, request_id_var
from app.vault import Redactor


def _record(msg: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("ponte.test", logging.INFO, __file__, 1, msg, args, None)


def test_filter_redacts_registered_values_in_message_and_args() -> None:
    redactor = Redactor()
    redactor.add("sk_live_supersecret")
    record = _record("token is %s", "sk_live_supersecret")
    assert RedactingFilter(redactor).filter(record) is True
    assert "sk_live_supersecret" not in record.getMessage()


def test_filter_redacts_exception_text() -> None:
    redactor = Redactor()
    redactor.add("pw-in-traceback")
    try:
        raise ValueError("failed with pw-in-traceback")
    except ValueError:
        import sys

        record = logging.LogRecord("ponte.test", logging.ERROR, __file__, 1, "boom", None, sys.exc_info())
    RedactingFilter(redactor).filter(record)
    assert "pw-in-traceback" not in (record.exc_text or "")
    assert "ValueError" in (record.exc_text or "")


def test_records_carry_the_request_id_and_are_redacted_everywhere(app: Flask, caplog) -> None:
    from app.vault import REDACTOR

    REDACTOR.add("registered-secret-value")
    token = request_id_var.set("req-42")
    try:
        with caplog.at_level(logging.INFO, logger="ponte"):
            logging.getLogger("ponte.anything").info("value registered-secret-value")
    finally:
        request_id_var.reset(token)
    record = caplog.records[-1]
    assert record.request_id == "req-42"
    assert "registered-secret-value" not in caplog.text


def test_request_logs_get_the_request_id(client, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="ponte"):
        client.get("/readyz", headers={"X-Request-Id": "rid-7"})
        from app.logs import current_request_id

        assert current_request_id() is None  # reset after the request


def test_json_formatter_writes_one_object_per_line() -> None:
    record = _record("hello %s", "world")
    record.request_id = "r1"
    line = JsonFormatter().format(record)
    data = json.loads(line)
    assert data["msg"] == "hello world" and data["request_id"] == "r1" and data["level"] == "INFO"


def test_log_lines_inside_a_run_carry_the_run_id_and_step() -> None:
    import json
    import logging

    from app.logs import JsonFormatter, RequestIdFilter, run_id_var, step_var

    record = logging.LogRecord("ponte.engine.runner", logging.INFO, __file__, 1, "step done", None, None)
    run_token, step_token = run_id_var.set(42), step_var.set("contract")
    try:
        RequestIdFilter().filter(record)
    finally:
        run_id_var.reset(run_token)
        step_var.reset(step_token)
    line = json.loads(JsonFormatter().format(record))
    assert line["run_id"] == 42 and line["step"] == "contract"
