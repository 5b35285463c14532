"""The one HTTP base: error mapping, retries, waits and the write-safety rule."""

from __future__ import annotations

import pytest
import requests
import responses

from connectors.sdk import ConfigError, HttpClient, PermanentError, RateLimitedError, TransientError

BASE = "https://api.example.test/v1"


@pytest.fixture
def waits() -> list[float]:
    return []


@pytest.fixture
def client(waits: list[float]) -> HttpClient:
    return HttpClient(BASE, service="Example", headers={"X-Key": "s3cr3t"}, sleep=waits.append)


@responses.activate
@pytest.mark.parametrize(
    ("status", "error_type"),
    [(400, PermanentError), (401, ConfigError), (402, ConfigError), (403, ConfigError),
     (404, PermanentError), (422, PermanentError)],
)
def test_error_statuses_map_to_the_typed_tree(client: HttpClient, status: int, error_type: type) -> None:
    responses.post(f"{BASE}/things", json={"message": "nope"}, status=status)
    with pytest.raises(error_type) as caught:
        client.post("/things", json={})
    assert "nope" in caught.value.user_message
    assert caught.value.status_code == status
    assert len(responses.calls) == 1


@responses.activate
def test_429_with_retry_after_is_waited_and_retried(client: HttpClient, waits: list[float]) -> None:
    responses.post(f"{BASE}/things", status=429, headers={"Retry-After": "2"})
    responses.post(f"{BASE}/things", json={"id": 1})
    assert client.post("/things", json={}) == {"id": 1}
    assert waits == [2.0]


@responses.activate
def test_ratelimit_reset_header_is_honoured(client: HttpClient, waits: list[float]) -> None:
    responses.get(f"{BASE}/things", status=429, headers={"RateLimit-Reset": "3"})
    responses.get(f"{BASE}/things", json=[])
    assert client.get("/things") == []
    assert waits == [3.0]


@responses.activate
def test_a_wait_beyond_the_cap_is_left_to_the_engine(client: HttpClient, waits: list[float]) -> None:
    responses.get(f"{BASE}/things", status=429, headers={"Retry-After": "600"})
    with pytest.raises(RateLimitedError) as caught:
        client.get("/things")
    assert caught.value.retry_after == 600
    assert waits == []


@responses.activate
def test_503_on_get_is_retried_with_backoff(client: HttpClient, waits: list[float]) -> None:
    responses.get(f"{BASE}/things", status=503)
    responses.get(f"{BASE}/things", status=503)
    responses.get(f"{BASE}/things", json={"ok": True})
    assert client.get("/things") == {"ok": True}
    assert len(waits) == 2 and all(0 < w <= 1.0 for w in waits)


@responses.activate
def test_503_on_post_is_ambiguous_and_not_retried_in_place(client: HttpClient) -> None:
    responses.post(f"{BASE}/things", status=503)
    with pytest.raises(TransientError) as caught:
        client.post("/things", json={})
    assert caught.value.ambiguous
    assert len(responses.calls) == 1


@responses.activate
def test_post_timeout_is_ambiguous(client: HttpClient) -> None:
    responses.post(f"{BASE}/things", body=requests.exceptions.ReadTimeout("slow"))
    with pytest.raises(TransientError) as caught:
        client.post("/things", json={})
    assert caught.value.ambiguous


@responses.activate
def test_get_timeout_is_retried_then_gives_up(client: HttpClient, waits: list[float]) -> None:
    for _ in range(4):
        responses.get(f"{BASE}/things", body=requests.exceptions.ReadTimeout("slow"))
    with pytest.raises(TransientError) as caught:
        client.get("/things")
    assert not caught.value.ambiguous
    assert len(responses.calls) == 4 and len(waits) == 3


@responses.activate
def test_allowed_404_returns_none(client: HttpClient) -> None:
    responses.get(f"{BASE}/things/1", status=404)
    assert client.get("/things/1", allow_404=True) is None


@responses.activate
def test_secrets_in_headers_never_reach_the_message(client: HttpClient) -> None:
    responses.get(f"{BASE}/things", status=401, json={"detail": "bad token"})
    with pytest.raises(ConfigError) as caught:
        client.get("/things")
    assert "s3cr3t" not in caught.value.user_message + caught.value.internal_message
