"""The ZapSign client: URLs per environment, Bearer auth, and the error table."""

from __future__ import annotations

import pytest
import requests
import responses

from connectors.sdk import ConfigError, Context, PermanentError, TransientError
from connectors.zapsign import CONNECTOR
from connectors.zapsign.client import check_credentials, client_for

from .conftest import BASE, TOKEN

PAGE = {"count": 1, "next": None, "previous": None,
        "results": [{"token": "31bfa32c", "name": "Contrato", "active": True}]}


@responses.activate
def test_check_credentials_reads_one_page_of_templates_with_bearer_auth(ctx: Context) -> None:
    responses.get(f"{BASE}/templates/", json=PAGE)
    assert "1 template" in check_credentials(ctx)
    call = responses.calls[0]
    assert call.request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert call.request.url.endswith("/templates/?page=1")


@responses.activate
def test_production_and_override_urls() -> None:
    responses.get("https://api.zapsign.com.br/api/v1/templates/", json=PAGE)
    responses.get("http://127.0.0.1:8102/api/v1/templates/", json=PAGE)
    check_credentials(Context(config={"api_token": "t", "environment": "production"}))
    check_credentials(Context(config={"api_token": "t", "base_url": "http://127.0.0.1:8102/api/v1/"}))
    assert len(responses.calls) == 2


def test_a_missing_token_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        client_for(Context(config={"environment": "sandbox"}))


def test_secret_fields_are_the_token_and_the_webhook_secret() -> None:
    assert CONNECTOR.secret_fields() == ["api_token", "webhook_secret"]


@responses.activate
@pytest.mark.parametrize(
    ("status", "body", "error_type", "words"),
    [
        (401, {"detail": "Invalid API token."}, ConfigError, ["Invalid API token."]),
        (402, {"message": "Payment required"}, ConfigError, ["API plan"]),
        (403, {"error": "Forbidden"}, ConfigError, ["environment", "Forbidden"]),
        (400, {"detail": "signer_name é obrigatório."}, PermanentError, ["signer_name é obrigatório"]),
        (400, {"signer_name": ["Este campo é obrigatório."]}, PermanentError, ["signer_name: Este campo"]),
        (404, {"detail": "Não encontrado."}, PermanentError, ["Não encontrado."]),
    ],
)
def test_error_table(ctx: Context, status: int, body: dict, error_type: type, words: list[str]) -> None:
    responses.post(f"{BASE}/models/create-doc/", json=body, status=status)
    with pytest.raises(error_type) as caught:
        client_for(ctx).post("/models/create-doc/", json={})
    for word in words:
        assert word in caught.value.user_message
    assert TOKEN not in caught.value.user_message + caught.value.internal_message
    assert len(responses.calls) == 1


@responses.activate
def test_429_with_retry_after_is_waited_and_retried(ctx: Context, waits: list[float]) -> None:
    responses.post(f"{BASE}/models/create-doc/", status=429, headers={"Retry-After": "2"})
    responses.post(f"{BASE}/models/create-doc/", json={"token": "doc"})
    assert client_for(ctx).post("/models/create-doc/", json={}) == {"token": "doc"}
    assert waits == [2.0]


@responses.activate
def test_503_on_get_is_retried(ctx: Context, waits: list[float]) -> None:
    responses.get(f"{BASE}/docs/abc/", status=503, body="upstream down")
    responses.get(f"{BASE}/docs/abc/", json={"token": "abc"})
    assert client_for(ctx).get("/docs/abc/") == {"token": "abc"}
    assert len(waits) == 1


@responses.activate
def test_post_timeout_is_ambiguous_and_not_retried_in_place(ctx: Context) -> None:
    responses.post(f"{BASE}/models/create-doc/", body=requests.exceptions.ReadTimeout("slow"))
    with pytest.raises(TransientError) as caught:
        client_for(ctx).post("/models/create-doc/", json={})
    assert caught.value.ambiguous is True
    assert len(responses.calls) == 1


@responses.activate
@pytest.mark.parametrize("body", [b'{"detail": ' + b"[" * 50_000, b'{"detail": NaN}'], ids=["deep", "nan"])
def test_an_error_body_that_is_not_usable_json_still_maps_to_the_error_table(ctx: Context, body: bytes) -> None:
    responses.post(f"{BASE}/models/create-doc/", body=body, status=400, content_type="application/json")
    with pytest.raises(PermanentError) as caught:
        client_for(ctx).post("/models/create-doc/", json={})
    assert caught.value.status_code == 400
