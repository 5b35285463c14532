"""Inbound webhooks: fail closed, bounded, durable before 200, duplicates absorbed."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from app.connections import create_connection
from app.db import get_session
from app.models import Connection, Event, Run, WebhookDelivery
from app.vault import REDACTOR
from sandbox.server import serve_in_thread
from tests.webhooks.conftest import TOKEN


def envelope(event_id: str = "evt_05b708f961d739ea7eba7e4db318f621&368604920", event: str = "PAYMENT_CREATED",
             **payment: Any) -> dict[str, Any]:
    return {"id": event_id, "event": event, "dateCreated": "2026-11-23 10:00:00",
            "payment": {"object": "payment", "id": "pay_080225913252", "customer": "cus_000005401844",
                        "value": 150.0, "billingType": "BOLETO", "status": "PENDING", **payment}}




def post(client, connection: Connection, body: Any, token: str | None = TOKEN, **kwargs: Any):  # noqa: ANN001
    headers = {"asaas-access-token": token} if token else {}
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post(f"/webhooks/{connection.uid}", data=data, headers=headers,
                       content_type="application/json", **kwargs)


def count(app: Flask, model: type) -> int:
    with app.app_context():
        return get_session().scalar(select(func.count()).select_from(model))


def test_an_authenticated_delivery_is_stored_before_the_200(app: Flask, client, asaas: Connection) -> None:
    response = post(client, asaas, envelope())
    assert response.status_code == 200
    assert response.json == {"status": "ok", "received": 1, "stored": 1, "duplicates": 0}
    with app.app_context():
        event = get_session().scalar(select(Event))
        assert event.dedupe_key.startswith("evt_05b708f9") and event.event_type == "PAYMENT_CREATED"
        assert event.dispatched_at is None  # the executor picks it up asynchronously


@pytest.mark.parametrize("token", [None, "wrong-token-but-long-enough-to-look-real", TOKEN.lower()])
def test_a_delivery_without_the_secret_is_rejected_and_nothing_is_stored(
        app: Flask, client, asaas: Connection, token: str | None) -> None:
    response = post(client, asaas, envelope(), token=token)
    assert response.status_code == 401
    assert TOKEN not in response.get_data(as_text=True)
    assert count(app, Event) == 0
    with app.app_context():  # the refusal is counted; the unauthenticated body is not kept
        [refused] = get_session().scalars(select(WebhookDelivery)).all()
        assert (refused.status_code, refused.body_excerpt) == (401, None)
        assert refused.reason.startswith("not authenticated") and TOKEN not in refused.reason


def test_a_zapsign_secret_in_the_query_string_gets_401_and_nothing_is_stored(app: Flask, client) -> None:  # noqa: ANN001
    SECRET = "Zs" * 24  # noqa: N806, S105 - a test secret of the length Ponte generates
    with app.app_context():
        session = get_session()
        zapsign = create_connection(session, connector_key="zapsign", name="zs", values={
            "api_token": "zs-api", "webhook_secret": SECRET})
        session.commit()
    body = json.dumps({"event_type": "doc_signed", "token": "doc-1", "status": "signed"})
    refused = client.post(f"/webhooks/{zapsign.uid}?token={SECRET}", data=body, content_type="application/json",
                          headers={"X-Ponte-Secret": SECRET})
    assert refused.status_code == 401
    message = refused.json["error"]["message"]
    assert "never in the URL (?token=)" in message and "nunca na URL" in message and SECRET not in message
    assert count(app, Event) == 0
    accepted = client.post(f"/webhooks/{zapsign.uid}", data=body, content_type="application/json",
                           headers={"X-Ponte-Secret": SECRET})
    assert accepted.status_code == 200 and count(app, Event) == 1


def test_authentication_comes_before_parsing(app: Flask, client, asaas: Connection) -> None:
    response = post(client, asaas, b"{not json", token=None)
    assert response.status_code == 401
    with app.app_context():
        assert [d.status_code for d in get_session().scalars(select(WebhookDelivery))] == [401]  # not a 400


def test_refused_deliveries_count_in_the_connection_overview_up_to_a_bound(
        app: Flask, client, asaas: Connection, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    from app import webhooks
    from app.webhook_watch import overview

    monkeypatch.setattr(webhooks, "REFUSALS_KEPT_PER_HOUR", 3)
    for _ in range(5):
        assert post(client, asaas, envelope(), token="wrong-token-but-long-enough-to-look-real").status_code == 401
    assert post(client, asaas, envelope()).status_code == 200
    with app.app_context():
        session = get_session()
        assert overview(session, session.get(Connection, asaas.id))["refused_24h"] == 3  # kept up to the bound


def test_a_duplicate_delivery_answers_200_and_adds_nothing(app: Flask, client, asaas: Connection) -> None:
    assert post(client, asaas, envelope()).status_code == 200
    again = post(client, asaas, envelope())
    assert again.status_code == 200 and again.json["duplicates"] == 1
    assert count(app, Event) == 1


def test_malformed_json_gets_400_with_the_reason_in_the_delivery_log(app: Flask, client, asaas: Connection) -> None:
    response = post(client, asaas, b'{"id": "evt_1", "event": ')
    assert response.status_code == 400
    assert "malformed delivery" in response.json["error"]["message"]
    with app.app_context():
        delivery = get_session().scalar(select(WebhookDelivery))
        assert delivery.status_code == 400 and "malformed" in delivery.reason
        assert delivery.body_excerpt.startswith('{"id": "evt_1"')
    assert count(app, Event) == 0


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"[" * 100_000, "nested more than"),
        (b'{"id": "evt_1", "event": "PAYMENT_CREATED", "payment": ' + b"[" * 200 + b"]" * 200 + b"}",
         "nested more than"),
        (b'{"id": "evt_1", "event": "PAYMENT_CREATED", "payment": {"value": NaN}}', "NaN"),
        (b'{"id": "evt_1", "event": "PAYMENT_CREATED", "payment": {"value": Infinity}}', "Infinity"),
        (b'{"id": "evt_1", "event": "PAYMENT_CREATED", "payment": {"value": -Infinity}}', "-Infinity"),
        (b'{"id": "evt_1", "event": "PAYMENT_CREATED", "payment": {"value": 1e999}}', "too large"),
    ],
    ids=["deeply-nested", "nested-inside-envelope", "nan", "infinity", "minus-infinity", "overflow"],
)
def test_json_that_cannot_be_stored_gets_400_with_the_reason_in_the_delivery_log(
        app: Flask, client, asaas: Connection, body: bytes, reason: str) -> None:
    response = post(client, asaas, body)
    assert response.status_code == 400
    message = response.json["error"]["message"]
    assert message.startswith("malformed delivery") and reason in message
    with app.app_context():
        delivery = get_session().scalar(select(WebhookDelivery))
        assert delivery.status_code == 400 and reason in delivery.reason
        assert delivery.body_excerpt == body[:2048].decode()
    assert count(app, Event) == 0


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"id": "evt_\\u0000x", "event": "PAYMENT_CREATED", "payment": {"id": "pay_1"}}', "NUL"),
        (b'{"id": "evt_\\ud800", "event": "PAYMENT_CREATED", "payment": {"id": "pay_1"}}', "surrogate"),
        (b'{"id": "evt_1", "event": "PAYMENT_\\u0000CREATED", "payment": {"id": "pay_1"}}', "NUL"),
        (b'{"id": "evt_1", "event": "PAYMENT_CREATED", "payment": {"id": "pay_\\udc00"}}', "surrogate"),
    ],
    ids=["nul-in-id", "surrogate-in-id", "nul-in-type", "surrogate-in-payload"],
)
def test_text_no_column_can_hold_gets_400_not_a_retry_loop(
        app: Flask, client, asaas: Connection, body: bytes, reason: str) -> None:
    response = post(client, asaas, body)
    assert response.status_code == 400 and reason in response.json["error"]["message"]
    assert count(app, Event) == 0


def test_an_event_id_longer_than_its_column_is_kept_whole_by_a_digest(app: Flask, client, asaas: Connection) -> None:
    first, second = "evt_" + "a" * 300, "evt_" + "a" * 299 + "b"  # equal up to the column's length
    assert post(client, asaas, envelope(event_id=first)).status_code == 200
    assert post(client, asaas, envelope(event_id=second)).status_code == 200
    assert post(client, asaas, envelope(event_id=first)).json["duplicates"] == 1
    with app.app_context():
        keys = get_session().scalars(select(Event.dedupe_key)).all()
    assert len(keys) == 2 and all(len(k) <= 255 for k in keys)


def test_an_envelope_without_an_event_id_gets_400(app: Flask, client, asaas: Connection) -> None:
    body = envelope()
    del body["id"]
    response = post(client, asaas, body)
    assert response.status_code == 400
    assert count(app, Event) == 0


def test_an_oversized_body_gets_413(app: Flask, client, asaas: Connection) -> None:
    app.config["WEBHOOK_MAX_BYTES"] = 1024
    response = post(client, asaas, envelope(description="x" * 2000))
    assert response.status_code == 413
    assert count(app, Event) == 0


def test_an_unknown_webhook_url_gets_404(client) -> None:  # noqa: ANN001
    assert client.post("/webhooks/nope", data="{}").status_code == 404
    assert client.post("/webhooks/a%00b", data="{}").status_code in (400, 404)  # never a 503 loop
    assert client.post("/webhooks/" + "x" * 300, data="{}").status_code == 404


def test_when_the_database_cannot_store_the_answer_is_503_never_200(
        app: Flask, client, asaas: Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    import app.webhooks as webhooks

    def broken(*_args: Any, **_kwargs: Any) -> bool:
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(webhooks, "prepared_insert_ignore", broken)
    response = post(client, asaas, envelope())
    assert response.status_code == 503
    assert count(app, Event) == 0


def test_the_secret_never_reaches_the_logs(app: Flask, client, asaas: Connection,
                                           caplog: pytest.LogCaptureFixture) -> None:
    post(client, asaas, envelope(), token="x" * 40)
    post(client, asaas, envelope())
    assert TOKEN not in caplog.text
    assert REDACTOR.text(f"token {TOKEN}") != f"token {TOKEN}"


def test_the_same_event_from_8_threads_at_once_makes_one_event_and_one_run(app: Flask, asaas: Connection) -> None:
    from app.engine.executor import EmbeddedExecutor
    from app.engine.recipes import save_recipe

    with app.app_context():
        session = get_session()
        create_connection(session, connector_key="zapsign", name="zapsign",
                          values={"api_token": "t" * 20, "environment": "sandbox"})
        session.commit()
        result = save_recipe(session, {
            "key": "contract", "name": "Contract", "trigger": {"connection": "asaas", "event": "asaas.payment_created"},
            "steps": [{"key": "doc", "action": "zapsign.create_document_from_template", "connection": "zapsign",
                       "input": {"template_id": "tpl", "signer_name": {"path": "$.customer.name"}}}],
        })
        assert not result.errors, result.errors
    server = serve_in_thread(app)
    barrier = threading.Barrier(8)
    statuses: list[int] = []

    def deliver() -> None:
        barrier.wait()
        response = requests.post(f"{server.url}/webhooks/{asaas.uid}", json=envelope(),
                                 headers={"asaas-access-token": TOKEN}, timeout=30)
        statuses.append(response.status_code)

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        server.stop()
    assert statuses == [200] * 8
    assert count(app, Event) == 1
    from app.engine.dispatch import dispatch_event

    with app.app_context():
        event = get_session().scalar(select(Event))
        dispatch_event(get_session(), event)
        dispatch_event(get_session(), event)  # a second dispatcher racing on the same event
    EmbeddedExecutor(app).run_until_idle()
    assert count(app, Run) == 1


def test_a_changed_or_deleted_connection_is_seen_by_the_next_delivery_despite_the_cache(
        app: Flask, client, asaas: Connection) -> None:
    """The connection is cached per process, but every delivery checks it against the row, so a
    rotated token (from the web UI, the CLI or another worker process) takes effect at once."""
    assert post(client, asaas, envelope(event_id="evt_cache_1")).status_code == 200  # now cached
    new_token = "Zq8vXw2LpR6tYh4NmK0sJd9FgB7cVaEr"
    with app.app_context():  # another process would do exactly this: update the row
        session = get_session()
        connection = session.get(Connection, asaas.id)
        connection.set_credentials({**connection.get_credentials(), "webhook_token": new_token})
        session.commit()
    assert post(client, asaas, envelope(event_id="evt_cache_2")).status_code == 401  # the old token is refused
    assert post(client, asaas, envelope(event_id="evt_cache_3"), token=new_token).status_code == 200
    with app.app_context():
        session = get_session()
        session.query(Event).delete()
        session.delete(session.get(Connection, asaas.id))
        session.commit()
    assert post(client, asaas, envelope(event_id="evt_cache_4"), token=new_token).status_code == 404


def test_a_database_that_refuses_connections_is_a_503_never_a_500(
        app: Flask, client, asaas: Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.webhooks import lookup

    def refused() -> Any:
        raise OperationalError("connect", {}, Exception("connection refused"))

    monkeypatch.setattr(lookup, "database", refused)
    response = post(client, asaas, envelope())
    assert response.status_code == 503
    assert "retry later" in response.get_json()["error"]["message"]
