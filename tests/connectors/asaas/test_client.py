"""The Asaas client: URLs, headers, Asaas error bodies, the error table, pagination, credentials."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
import requests
import responses
from responses import matchers

from connectors.asaas import CONNECTOR
from connectors.asaas.client import USER_AGENT, base_url, client_for, iter_payments
from connectors.sdk import ConfigError, Context, PermanentError, RateLimitedError, TransientError
from tests.connectors.asaas.fakes import BASE, KEY, page_of


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({}, "https://api-sandbox.asaas.com/v3"),
        ({"environment": "sandbox"}, "https://api-sandbox.asaas.com/v3"),
        ({"environment": "production"}, "https://api.asaas.com/v3"),
        ({"environment": "production", "base_url": "http://127.0.0.1:8101/v3/"}, "http://127.0.0.1:8101/v3"),
    ],
)
def test_base_url_follows_environment_and_override_wins(config: dict, expected: str) -> None:
    assert base_url(config) == expected


def test_unknown_environment_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        base_url({"environment": "staging"})


@responses.activate
def test_every_call_sends_key_user_agent_and_no_body_on_get(ctx: Context) -> None:
    responses.get(f"{BASE}/customers", json=page_of([]))
    responses.post(f"{BASE}/customers", json={"id": "cus_1"})
    client = client_for(ctx)
    client.get("/customers", params={"limit": 1})
    client.post("/customers", json={"name": "x"})
    get, post = (call.request for call in responses.calls)
    for request in (get, post):
        assert request.headers["access_token"] == KEY
        assert request.headers["User-Agent"] == USER_AGENT
        assert request.headers["Content-Type"] == "application/json"
    assert get.body is None
    assert post.body == b'{"name": "x"}'


@responses.activate
@pytest.mark.parametrize(("status", "error_type"), [(401, ConfigError), (403, ConfigError)])
def test_auth_refusals_are_config_errors(ctx: Context, status: int, error_type: type) -> None:
    body = {"errors": [{"code": "invalid_access_token", "description": "A chave de API é inválida"}]}
    responses.get(f"{BASE}/payments/pay_x", json=body, status=status)
    with pytest.raises(error_type) as caught:
        client_for(ctx).get("/payments/pay_x")
    assert "A chave de API é inválida (invalid_access_token)" in caught.value.user_message
    assert len(responses.calls) == 1


@responses.activate
def test_a_400_carries_every_asaas_error_description_and_code(ctx: Context) -> None:
    responses.post(f"{BASE}/payments", status=400, json={"errors": [
        {"code": "invalid_customer", "description": "Customer inválido ou não informado"},
        {"code": "invalid_value", "description": "Valor inválido"},
    ]})
    with pytest.raises(PermanentError) as caught:
        client_for(ctx).post("/payments", json={})
    message = caught.value.user_message
    assert "Customer inválido ou não informado (invalid_customer); Valor inválido (invalid_value)" in message
    assert caught.value.status_code == 400


@responses.activate
def test_429_with_a_short_retry_after_is_waited_then_retried(ctx: Context, waits: list[float]) -> None:
    responses.post(f"{BASE}/payments", status=429, headers={"Retry-After": "1"})
    responses.post(f"{BASE}/payments", json={"id": "pay_1"})
    assert client_for(ctx).post("/payments", json={}) == {"id": "pay_1"}
    assert waits == [1.0]


@responses.activate
def test_429_with_a_long_retry_after_is_raised_for_the_engine_to_schedule(ctx: Context, waits: list[float]) -> None:
    responses.post(f"{BASE}/payments", status=429, headers={"Retry-After": "30"})
    with pytest.raises(RateLimitedError) as caught:
        client_for(ctx).post("/payments", json={})
    assert caught.value.retry_after == 30.0
    assert waits == []  # no thread sleeps on one service


@responses.activate
def test_429_with_ratelimit_reset_is_waited(ctx: Context, waits: list[float]) -> None:
    responses.get(f"{BASE}/payments", status=429, headers={"RateLimit-Reset": "2"})
    responses.get(f"{BASE}/payments", json=page_of([]))
    client_for(ctx).get("/payments")
    assert waits == [2.0]


@responses.activate
def test_503_on_get_is_retried(ctx: Context, waits: list[float]) -> None:
    responses.get(f"{BASE}/payments/pay_1", status=503)
    responses.get(f"{BASE}/payments/pay_1", json={"id": "pay_1"})
    assert client_for(ctx).get("/payments/pay_1") == {"id": "pay_1"}
    assert len(waits) == 1


@responses.activate
def test_a_post_timeout_is_ambiguous_and_not_repeated(ctx: Context) -> None:
    responses.post(f"{BASE}/payments", body=requests.exceptions.ReadTimeout())
    with pytest.raises(TransientError) as caught:
        client_for(ctx).post("/payments", json={})
    assert caught.value.ambiguous is True
    assert len(responses.calls) == 1


@responses.activate
def test_a_500_on_post_is_ambiguous(ctx: Context) -> None:
    responses.post(f"{BASE}/payments", status=500)
    with pytest.raises(TransientError) as caught:
        client_for(ctx).post("/payments", json={})
    assert caught.value.ambiguous is True


@responses.activate
def test_a_get_timeout_is_retried(ctx: Context, waits: list[float]) -> None:
    responses.get(f"{BASE}/customers/cus_1", body=requests.exceptions.ReadTimeout())
    responses.get(f"{BASE}/customers/cus_1", json={"id": "cus_1"})
    assert client_for(ctx).customer("cus_1") == {"id": "cus_1"}
    assert len(waits) == 1


@responses.activate
def test_iter_payments_follows_has_more_with_bracketed_filters(ctx: Context) -> None:
    wanted = {"status": "OVERDUE", "dueDate[ge]": "2025-03-01", "dueDate[le]": "2025-03-31", "limit": "100"}
    first = [{"id": f"pay_{i}"} for i in range(100)]
    responses.get(f"{BASE}/payments", json=page_of(first, has_more=True, total=101, limit=100),
                  match=[matchers.query_param_matcher({**wanted, "offset": "0"})])
    responses.get(f"{BASE}/payments", json=page_of([{"id": "pay_100"}], offset=100, total=101, limit=100),
                  match=[matchers.query_param_matcher({**wanted, "offset": "100"})])
    found = list(iter_payments(client_for(ctx), {
        "status": "OVERDUE", "dueDate_ge": "2025-03-01", "dueDate_le": "2025-03-31", "customer": None,
    }))
    assert [p["id"] for p in found] == [f"pay_{i}" for i in range(101)]
    assert "dueDate%5Bge%5D=2025-03-01" in responses.calls[0].request.url


@responses.activate
def test_credentials_ok_says_where_it_connected(ctx: Context) -> None:
    responses.get(f"{BASE}/customers", json=page_of([], total=12),
                  match=[matchers.query_param_matcher({"limit": "1"})])
    assert CONNECTOR.test_credentials(ctx) == "Connected to Asaas (sandbox); the account has 12 customer(s)."


@responses.activate
def test_credentials_401_explains_and_hints_at_the_environment(make_ctx: Callable[..., Context]) -> None:
    responses.get("https://api.asaas.com/v3/customers", status=401, json={
        "errors": [{"code": "invalid_access_token", "description": "A chave de API fornecida é inválida"}]})
    ctx = make_ctx(environment="production")
    with pytest.raises(ConfigError) as caught:
        CONNECTOR.test_credentials(ctx)
    assert "refused the API key" in caught.value.user_message
    assert "sandbox key but the connection points at production" in caught.value.user_message
    assert KEY not in caught.value.user_message


def test_credentials_refuse_a_webhook_token_asaas_would_refuse(make_ctx: Callable[..., Context]) -> None:
    with pytest.raises(ConfigError) as caught:
        CONNECTOR.test_credentials(make_ctx(webhook_token="abc12345" * 5))
    assert "numeric sequence" in caught.value.user_message


# -- answers that are not what Asaas documents: typed errors, never ValueError/AttributeError ----

@responses.activate
@pytest.mark.parametrize(
    "body",
    [b"<html><body>Estamos em manutencao</body></html>", b'{"id": "pay_1", "value": NaN}', b"[" * 50_000],
    ids=["html", "nan", "deeply-nested"],
)
def test_a_200_that_is_not_json_is_a_transient_error_and_ambiguous_after_a_post(ctx: Context, body: bytes) -> None:
    responses.get(f"{BASE}/payments/pay_1", body=body, content_type="application/json")
    responses.post(f"{BASE}/payments", body=body, content_type="application/json")
    with pytest.raises(TransientError) as read:
        client_for(ctx).payment("pay_1")
    assert "Asaas answered with something that is not JSON" in read.value.user_message
    with pytest.raises(TransientError) as write:
        client_for(ctx).post("/payments", json={})
    assert write.value.ambiguous is True


@responses.activate
@pytest.mark.parametrize("body", [[], "ok", 42, None], ids=["list", "string", "number", "null"])
def test_every_asaas_answer_must_be_an_object(ctx: Context, body: object) -> None:
    responses.get(f"{BASE}/payments/pay_1", body=json.dumps(body), content_type="application/json")
    with pytest.raises(TransientError, match="unexpected"):
        client_for(ctx).payment("pay_1")


@responses.activate
@pytest.mark.parametrize(
    "page",
    [{"object": "list", "hasMore": False, "data": {"id": "pay_1"}},
     {"object": "list", "hasMore": False, "data": ["pay_1"]}],
    ids=["data-not-a-list", "item-not-an-object"],
)
def test_a_page_whose_data_is_not_a_list_of_objects_is_a_transient_error(ctx: Context, page: dict) -> None:
    responses.get(f"{BASE}/payments", json=page)
    with pytest.raises(TransientError, match="unexpected list"):
        list(iter_payments(client_for(ctx), {"status": "OVERDUE"}))


@responses.activate
def test_an_error_body_nested_too_deep_still_maps_to_the_error_table(ctx: Context) -> None:
    responses.post(f"{BASE}/payments", status=400, body=b'{"errors": ' + b"[" * 50_000,
                   content_type="application/json")
    with pytest.raises(PermanentError) as caught:
        client_for(ctx).post("/payments", json={})
    assert caught.value.status_code == 400
