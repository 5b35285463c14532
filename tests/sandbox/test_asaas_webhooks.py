"""The Asaas double's webhook configs and queues, as the Asaas docs describe them, over real HTTP.

Configs (``/v3/webhooks`` CRUD, the ``authToken`` rules, the 10-config limit), one queue per config
(only a 200 is a delivery, paused after 15 consecutive failures, resumed by ``PUT interrupted:
false`` with the kept events re-sent in order), the ``/_sandbox/outage`` control the README tour
uses, and the documented date filters of ``GET /v3/payments``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import requests

from sandbox.asaas import serve
from sandbox.asaas_state import today
from sandbox.server import RunningServer
from tests.sandbox.test_asaas_double import TOKEN, Api, Receiver

HOOK = {"name": "Ponte", "email": "ops@example.com", "enabled": True, "interrupted": False, "apiVersion": 3,
        "authToken": TOKEN, "sendType": "SEQUENTIALLY", "events": ["PAYMENT_CREATED", "PAYMENT_RECEIVED"]}


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.stop()


@pytest.fixture(scope="module")
def double() -> Iterator[RunningServer]:
    server = serve()  # no config until a test makes one
    yield server
    server.stop()


@pytest.fixture
def api(double: RunningServer, receiver: Receiver) -> Iterator[Api]:
    requests.post(f"{double.url}/_sandbox/reset", timeout=5)
    requests.post(f"{double.url}/_sandbox/config", json={"retry_seconds": 0.01}, timeout=5)
    receiver.deliveries.clear()
    receiver.status = 200
    yield Api(double.url)


def _hook(api: Api, receiver: Receiver, **fields: Any) -> dict[str, Any]:
    response = api("POST", "/v3/webhooks", json={**HOOK, "url": receiver.url, **fields})
    assert response.status_code == 200, response.text
    return response.json()


def _events(receiver: Receiver) -> list[tuple[str, str]]:
    return [(d["json"]["event"], d["json"]["payment"]["id"]) for d in receiver.deliveries]


def test_configs_are_created_read_updated_and_removed_without_showing_the_token(
        api: Api, receiver: Receiver) -> None:
    created = _hook(api, receiver)
    assert set(created) >= {"id", "name", "url", "email", "enabled", "interrupted", "apiVersion", "sendType",
                            "events"}
    assert "authToken" not in created  # a token we chose is never echoed
    listed = api("GET", "/v3/webhooks").json()
    assert (listed["object"], listed["totalCount"], listed["hasMore"]) == ("list", 1, False)
    assert TOKEN not in str(listed) and listed["data"][0]["id"] == created["id"]
    changed = api("PUT", f"/v3/webhooks/{created['id']}", json={"url": receiver.url + "?v=2", "enabled": False})
    assert changed.status_code == 200 and (changed.json()["url"], changed.json()["enabled"]) == (
        receiver.url + "?v=2", False)
    assert api("GET", f"/v3/webhooks/{created['id']}").json()["enabled"] is False
    assert api("DELETE", f"/v3/webhooks/{created['id']}").json() == {"deleted": True, "id": created["id"]}
    assert api("GET", f"/v3/webhooks/{created['id']}").status_code == 404
    assert api("PUT", f"/v3/webhooks/{created['id']}", json={"enabled": True}).status_code == 404
    assert api("DELETE", f"/v3/webhooks/{created['id']}").status_code == 404


@pytest.mark.parametrize(("token", "why"), [
    ("short", "32 a 255"), ("A" * 10 + " " + "b" * 25, "espaços"), ("Xy7" * 10 + "12345", "sequências"),
    ("Wq7rTzK0pLm4Xv9bNc2hYd6sFa8jRe1uGt5kQ" + "zzzz", "repetir"), ("$aact_hmlg_" + "k" * 3 + "Zq8" * 9, "chave"),
])
def test_an_auth_token_against_the_documented_rules_is_refused(api: Api, receiver: Receiver, token: str,
                                                               why: str) -> None:
    response = api("POST", "/v3/webhooks", json={**HOOK, "url": receiver.url, "authToken": token})
    assert response.status_code == 400
    assert any(e["code"] == "invalid_authToken" and why in e["description"] for e in response.json()["errors"])


def test_a_config_without_a_token_gets_one_generated_and_shown_once(api: Api, receiver: Receiver) -> None:
    created = _hook(api, receiver, authToken=None)
    token = created["authToken"]
    assert 32 <= len(token) <= 255 and " " not in token
    assert token not in str(api("GET", "/v3/webhooks").json())
    api.control("POST", "/payments", json={})
    api.control("POST", "/drain")
    assert receiver.deliveries[0]["headers"]["Asaas-Access-Token"] == token


def test_bad_fields_are_each_named_and_the_eleventh_config_is_refused(api: Api, receiver: Receiver) -> None:
    bad = api("POST", "/v3/webhooks", json={"url": "ftp:x", "sendType": "SOMETIMES", "apiVersion": 2,
                                            "email": "nope", "enabled": "yes"})
    assert sorted(e["code"] for e in bad.json()["errors"]) == [
        "invalid_apiVersion", "invalid_email", "invalid_enabled", "invalid_sendType", "invalid_url"]
    for _ in range(10):
        _hook(api, receiver)
    eleventh = api("POST", "/v3/webhooks", json={**HOOK, "url": receiver.url})
    assert eleventh.status_code == 400 and "10" in eleventh.json()["errors"][0]["description"]


def test_a_queue_pauses_after_15_failures_keeps_what_comes_and_resends_it_in_order(
        api: Api, receiver: Receiver) -> None:
    hook = _hook(api, receiver)
    receiver.status = 503
    first = api.control("POST", "/payments", json={})
    api.control("POST", "/drain")
    config = api.control("GET", "/state")["webhooks"][0]
    assert (config["interrupted"], config["consecutive_failures"]) == (True, 15)
    assert len(receiver.deliveries) == 15 and {e for e in _events(receiver)} == {("PAYMENT_CREATED", first["id"])}
    receiver.status = 200
    second = api.control("POST", "/payments", json={})
    api.control("POST", f"/payments/{first['id']}/pay")
    api.control("POST", "/drain")
    assert len(receiver.deliveries) == 15  # paused: kept, not sent
    assert api("GET", "/v3/webhooks").json()["data"][0]["interrupted"] is True
    resumed = api("PUT", f"/v3/webhooks/{hook['id']}", json={"interrupted": False})
    assert resumed.json()["interrupted"] is False
    api.control("POST", "/drain")
    assert _events(receiver)[15:] == [("PAYMENT_CREATED", first["id"]), ("PAYMENT_CREATED", second["id"]),
                                      ("PAYMENT_RECEIVED", first["id"])]
    assert api.control("GET", "/state")["webhooks"][0]["pending"] == 0


@pytest.mark.parametrize(("send_type", "order"), [("SEQUENTIALLY", [0, 0, 1]), ("NON_SEQUENTIALLY", [0, 1, 0])])
def test_a_failing_event_blocks_a_sequential_queue_but_not_a_non_sequential_one(
        api: Api, receiver: Receiver, send_type: str, order: list[int]) -> None:
    hook = _hook(api, receiver, sendType=send_type, interrupted=True)  # events queue, nothing is sent
    payments = [api.control("POST", "/payments", json={}) for _ in range(2)]
    api.control("POST", "/outage", json={"failures": 1})
    api("PUT", f"/v3/webhooks/{hook['id']}", json={"interrupted": False})
    api.control("POST", "/drain")
    attempts = [d["event_id"] for d in api.control("GET", "/state")["deliveries"]]
    events = {e["id"]: e["payment"]["id"] for e in api.control("GET", "/state")["events"]}
    assert [events[a] for a in attempts] == [payments[i]["id"] for i in order]
    assert [p for _event, p in _events(receiver)] == [payments[i]["id"] for i in order[1:]]


def test_an_outage_pauses_the_queue_without_calling_the_url(api: Api, receiver: Receiver) -> None:
    _hook(api, receiver)
    assert api.control("POST", "/outage", json={"failures": 15}) == {"failures_left": 15, "seconds_left": 0.0}
    api.control("POST", "/payments", json={})
    api.control("POST", "/drain")
    state = api.control("GET", "/state")
    assert receiver.deliveries == [] and state["webhooks"][0]["interrupted"] is True
    assert [d["error"] for d in state["deliveries"]] == ["ConnectionError (simulated outage)"] * 15
    assert api.control("GET", "/outage") == {"failures_left": 0, "seconds_left": 0.0}


def test_a_disabled_config_gets_no_events_and_one_that_does_not_take_the_event_neither(
        api: Api, receiver: Receiver) -> None:
    _hook(api, receiver, enabled=False)
    _hook(api, receiver, events=["PAYMENT_OVERDUE"])
    api.control("POST", "/payments", json={})
    api.control("POST", "/drain")
    assert receiver.deliveries == []
    assert [c["pending"] for c in api.control("GET", "/state")["webhooks"]] == [0, 0]


def test_payments_are_listed_by_the_documented_date_filters(api: Api) -> None:
    payment = api.control("POST", "/payments", json={"dueDate": "2031-01-15"})
    api.control("POST", f"/payments/{payment['id']}/pay")
    api.control("POST", "/payments", json={"dueDate": "2031-02-15"})
    day, tomorrow = today().isoformat(), (today() + timedelta(days=1)).isoformat()

    def ids(**query: str) -> int:
        answer = api("GET", "/v3/payments", params=query).json()
        assert answer["totalCount"] == len(answer["data"])
        return answer["totalCount"]

    assert ids(**{"dateCreated[ge]": day, "dateCreated[le]": day}) == 2
    assert ids(**{"dateCreated[ge]": tomorrow}) == 0
    assert ids(**{"paymentDate[ge]": day, "paymentDate[le]": day}) == 1
    assert ids(paymentDate=day) == 1
    assert ids(**{"estimatedCreditDate[ge]": tomorrow}) == 1
    assert ids(**{"dueDate[ge]": "2031-02-01"}) == 1
    assert ids(**{"dueDate[le]": "2031-01-31", "status": "RECEIVED"}) == 1
    assert ids(anticipated="false") == 2
