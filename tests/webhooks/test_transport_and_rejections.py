"""Bodies the server cannot read are a 400 before anything is stored; rejections are kept on every database.

The malformed chunk used to answer 500 under gunicorn (its chunk parser raises inside
``request.stream.read``), so these tests speak raw HTTP to a real server: werkzeug in a thread and
gunicorn as a subprocess, the way ``make run`` serves Ponte.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.db import get_session
from app.models import Connection, Event, WebhookDelivery
from bench.faults import procs
from bench.faults.rawhttp import request_bytes, send_raw
from sandbox.server import serve_in_thread
from tests.webhooks.conftest import TOKEN

BAD_BODIES = {
    "bad-chunk-size": b"5\r\nhello\r\nzz\r\n",
    "no-chunk-size": b"zz\r\n\r\n",
    "bad-chunk-terminator": b"5\r\nhelloXX0\r\n\r\n",
    "chunk-cut-short": b"5\r\nhel",
}




def _count(app: Flask, model: type) -> int:
    with app.app_context():
        get_session().expire_all()
        return get_session().scalar(select(func.count()).select_from(model))


def _chunked(uid: str, body: bytes) -> bytes:
    return request_bytes("POST", f"/webhooks/{uid}", {
        "Transfer-Encoding": "chunked", "Content-Type": "application/json", "asaas-access-token": TOKEN}, body)


@pytest.fixture(params=["werkzeug", "gunicorn"])
def server(request: pytest.FixtureRequest, app: Flask, asaas: Connection, tmp_path: Path) -> Iterator[int]:
    """The port of a real server in front of ``app``'s database."""
    if request.param == "werkzeug":
        running = serve_in_thread(app)
        yield running.server.server_port
        running.stop()
        return
    port = procs.free_port()
    env = procs.ponte_env(app.config["DATABASE_URL"], app.config["PONTE_VAULT_KEYS"], tmp_path / "instance")
    web = procs.spawn_web(env, port, threads=2)
    yield port
    procs.stop(web)


@pytest.mark.parametrize("body", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_a_body_the_server_cannot_read_is_a_400_and_nothing_is_stored(
        app: Flask, asaas: Connection, server: int, body: bytes) -> None:
    answer = send_raw("127.0.0.1", server, _chunked(asaas.uid, body))
    assert answer.status == 400, answer.data[:300]
    assert json.loads(answer.body)["error"]["message"].startswith("the request body could not be read")
    assert _count(app, Event) == 0 and _count(app, WebhookDelivery) == 0


def test_a_well_formed_chunked_delivery_is_still_stored(app: Flask, asaas: Connection, server: int) -> None:
    envelope = json.dumps({"id": "evt_chunked_1", "event": "PAYMENT_CREATED",
                           "payment": {"object": "payment", "id": "pay_1", "customer": "cus_1"}}).encode()
    body = f"{len(envelope):x}\r\n".encode() + envelope + b"\r\n0\r\n\r\n"
    answer = send_raw("127.0.0.1", server, _chunked(asaas.uid, body))
    assert answer.status == 200, answer.data[:300]
    assert _count(app, Event) == 1


TERMINATED = {"wsgi.input_terminated": True}  # as servers set it for a chunked body


class _BrokenInput:
    """A server's input stream that fails the way gunicorn's does on a bad chunk."""

    def read(self, *_args: object) -> bytes:
        raise RuntimeError("Invalid chunk size: b'zz'")

    readline = read

    def tell(self) -> int:
        return 0

    def seek(self, *_args: object) -> int:
        return 0


def test_any_body_read_that_fails_is_a_400_not_a_500(app: Flask, asaas: Connection) -> None:
    client = app.test_client()
    webhook = client.post(f"/webhooks/{asaas.uid}", input_stream=_BrokenInput(), environ_overrides=TERMINATED,
                          headers={"asaas-access-token": TOKEN, "Content-Type": "application/json",
                                   "Transfer-Encoding": "chunked"})
    assert webhook.status_code == 400
    form = client.post("/login", input_stream=_BrokenInput(), environ_overrides=TERMINATED,
                       headers={"Content-Type": "application/x-www-form-urlencoded", "Transfer-Encoding": "chunked"})
    assert form.status_code == 400


NUL_BODIES = {
    "raw-nul-in-json": b'{"id": "evt_1\x00", "event": "PAYMENT_CREATED"}',
    "nul-in-garbage": b"\x00\x00not json at all\x00",
    "invalid-utf8-and-nul": b'{"id": "\xed\xa0\x80\x00"}',
}


@pytest.mark.parametrize("body", NUL_BODIES.values(), ids=NUL_BODIES.keys())
def test_a_rejected_delivery_with_nul_bytes_is_kept_and_its_body_never_logged(
        app: Flask, asaas: Connection, body: bytes, caplog: pytest.LogCaptureFixture) -> None:
    marker = b"CANARY-7f3a"
    caplog.set_level(logging.DEBUG)
    response = app.test_client().post(f"/webhooks/{asaas.uid}", data=body[:-1] + marker + body[-1:],
                                      headers={"asaas-access-token": TOKEN, "Content-Type": "application/json"})
    assert response.status_code == 400
    with app.app_context():
        [delivery] = get_session().scalars(select(WebhookDelivery)).all()
        assert delivery.status_code == 400 and "\x00" not in delivery.body_excerpt
        assert "\\x00" in delivery.body_excerpt and "CANARY-7f3a" in delivery.body_excerpt
        delivery.body_excerpt.encode("utf-8")  # no lone surrogate either
    assert "CANARY" not in caplog.text


def test_a_value_the_database_refuses_is_logged_without_the_body(
        app: Flask, asaas: Connection, caplog: pytest.LogCaptureFixture) -> None:
    body = json.dumps({"id": "evt_nul_payload", "event": "PAYMENT_CREATED",
                       "payment": {"id": "pay_1", "description": "CANARY-91b2 \u0000 in a value"}})
    response = app.test_client().post(f"/webhooks/{asaas.uid}", data=body,
                                      headers={"asaas-access-token": TOKEN, "Content-Type": "application/json"})
    assert response.status_code in (200, 400)  # SQLite stores it; PostgreSQL's jsonb refuses \u0000
    if response.status_code == 400:
        assert _count(app, WebhookDelivery) == 1 and _count(app, Event) == 0
    assert "CANARY" not in caplog.text


def test_a_delivery_the_database_cannot_store_is_a_503_logged_without_its_payload(
        app: Flask, asaas: Connection, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy.exc import OperationalError

    import app.webhooks as webhooks

    def broken(*_args: object) -> object:  # the error carries the row, as SQLAlchemy's does
        raise OperationalError("INSERT INTO events ...", {"payload": '{"description": "CANARY-5d1e"}'},
                               Exception("server closed the connection"))

    monkeypatch.setattr(webhooks, "prepared_insert_ignore", broken)
    body = json.dumps({"id": "evt_store_1", "event": "PAYMENT_CREATED",
                       "payment": {"id": "pay_1", "description": "CANARY-5d1e"}})
    response = app.test_client().post(f"/webhooks/{asaas.uid}", data=body,
                                      headers={"asaas-access-token": TOKEN, "Content-Type": "application/json"})
    assert response.status_code == 503
    assert "could not store the delivery" in caplog.text and "CANARY" not in caplog.text


def test_a_refused_delivery_is_kept_with_the_connections_secrets_masked(app: Flask, asaas: Connection) -> None:
    # An authenticated sender whose body is not Asaas's envelope, quoting the account's own API key.
    body = json.dumps({"note": "my key is $aact_hmlg_000 and the token " + TOKEN})
    response = app.test_client().post(f"/webhooks/{asaas.uid}", data=body,
                                      headers={"asaas-access-token": TOKEN, "Content-Type": "application/json"})
    assert response.status_code == 400
    with app.app_context():
        [delivery] = get_session().scalars(select(WebhookDelivery)).all()
        assert TOKEN not in delivery.body_excerpt and "$aact_hmlg_000" not in delivery.body_excerpt
        assert "my key is" in delivery.body_excerpt
