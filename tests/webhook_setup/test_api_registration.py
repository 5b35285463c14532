"""``POST /api/connections`` registers the connection's webhooks and ``DELETE`` removes them, like the
pages and the CLI; Asaas and ZapSign are doubled with ``responses``."""

from __future__ import annotations

import json
from typing import Any

import pytest
import responses
from flask import Flask
from flask.testing import FlaskClient

from app.db import get_session
from app.models import Event
from tests.conftest import Person

ASAAS = "http://asaas.test/v3"
ZAPSIGN = "http://zapsign.test/api/v1"
BASE = "https://ponte.example.com"


@pytest.fixture
def auto(app: Flask) -> Flask:
    app.config.update(WEBHOOK_AUTO_REGISTER=True, PUBLIC_BASE_URL=BASE)
    return app


def _list(*configs: dict[str, Any]) -> dict[str, Any]:
    return {"object": "list", "hasMore": False, "totalCount": len(configs), "limit": 100, "offset": 0,
            "data": list(configs)}


def _calls(method: str, path: str) -> list[Any]:
    return [c for c in responses.calls if c.request.method == method and c.request.url.split("?")[0].endswith(path)]


def _create(client: FlaskClient, admin: Person, connector: str, config: dict[str, Any]) -> dict[str, Any]:
    # Not named like the seeds' connections ("asaas"...): a seed recipe would bind it and keep it in use.
    body = {"connector": connector, "name": f"{connector} api", "config": config}
    answer = client.post("/api/connections", json=body, headers=admin.headers)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


@responses.activate
def test_an_asaas_connection_created_by_api_registers_its_webhook_and_its_delete_removes_it(
        auto: Flask, client: FlaskClient, admin: Person) -> None:
    responses.get(f"{ASAAS}/webhooks", json=_list())
    responses.post(f"{ASAAS}/webhooks", json={"id": "wh_1"})
    created = _create(client, admin, "asaas", {"api_key": "$aact_hmlg_k", "base_url": ASAAS})
    assert created["webhook"] == {"status": "registered", "action": "created", "reason": None, "message": "",
                                  "ids": ["wh_1"]}
    [post] = _calls("POST", "/webhooks")
    body = json.loads(post.request.body)
    assert body["url"] == f"{BASE}/webhooks/{created['uid']}" == created["webhook_url"]
    assert body["authToken"] and body["authToken"] not in json.dumps(created)  # the secret stays in Ponte

    responses.replace(responses.GET, f"{ASAAS}/webhooks", json=_list({"id": "wh_1", "url": body["url"]},
                                                                       {"id": "wh_other", "url": "https://x.example"}))
    responses.delete(f"{ASAAS}/webhooks/wh_1", json={"deleted": True, "id": "wh_1"})
    gone = client.delete(f"/api/connections/{created['id']}", headers=admin.headers)
    assert gone.status_code == 204, gone.get_json()
    assert [c.request.url for c in _calls("DELETE", "/webhooks/wh_1")] == [f"{ASAAS}/webhooks/wh_1"]
    assert _calls("DELETE", "/webhooks/wh_other") == []  # another system's config is left alone


@responses.activate
def test_a_connection_that_cannot_be_deleted_keeps_its_webhook(auto: Flask, client: FlaskClient,
                                                               admin: Person) -> None:
    responses.get(f"{ASAAS}/webhooks", json=_list())
    responses.post(f"{ASAAS}/webhooks", json={"id": "wh_1"})
    created = _create(client, admin, "asaas", {"api_key": "$aact_hmlg_k", "base_url": ASAAS})
    with auto.app_context():
        get_session().add(Event(connection_id=created["id"], dedupe_key="evt_1", event_type="PAYMENT_CREATED",
                                payload={}))
        get_session().commit()
    assert client.delete(f"/api/connections/{created['id']}", headers=admin.headers).status_code == 409
    assert [c.request.method for c in responses.calls] == ["GET", "POST"]  # nothing removed at Asaas


@responses.activate
def test_a_refused_registration_is_reported_and_the_connection_still_created(auto: Flask, client: FlaskClient,
                                                                             admin: Person) -> None:
    refusal = {"errors": [{"code": "forbidden", "description": "Sem permissão"}]}
    responses.get(f"{ASAAS}/webhooks", status=403, json=refusal)
    created = _create(client, admin, "asaas", {"api_key": "$aact_hmlg_k", "base_url": ASAAS})
    assert (created["webhook"]["status"], created["webhook"]["reason"]) == ("refused", "forbidden")
    assert client.get(f"/api/connections/{created['id']}", headers=admin.headers).status_code == 200


@responses.activate
def test_a_zapsign_connection_registers_both_webhooks_and_removes_them_by_their_ids(
        auto: Flask, client: FlaskClient, admin: Person) -> None:
    responses.post(f"{ZAPSIGN}/user/company/webhook/", json={"id": 7})
    created = _create(client, admin, "zapsign", {"api_token": "zs-token", "base_url": ZAPSIGN})
    assert created["webhook"]["status"] == "registered" and len(_calls("POST", "/user/company/webhook/")) == 2
    responses.delete(f"{ZAPSIGN}/user/company/webhook/delete/", json={"detail": "ok"})
    gone = client.delete(f"/api/connections/{created['id']}", headers=admin.headers)
    assert gone.status_code == 204, gone.get_json()
    removed = [json.loads(c.request.body) for c in _calls("DELETE", "/user/company/webhook/delete/")]
    assert removed == [{"id": 7}, {"id": 7}]


def test_in_manual_mode_the_api_leaves_the_service_alone(app: Flask, client: FlaskClient, admin: Person) -> None:
    with responses.RequestsMock() as mock:  # any call to Asaas would fail this test
        created = _create(client, admin, "asaas", {"api_key": "$aact_hmlg_k", "base_url": ASAAS})
        assert created["webhook"] is None
        gone = client.delete(f"/api/connections/{created['id']}", headers=admin.headers)
        assert gone.status_code == 204, gone.get_json()
        assert len(mock.calls) == 0
