"""The one HTTP base: error mapping, retries, waits and the write-safety rule."""

from __future__ import annotations

import email.utils
import time

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
    responses.get(f"{BASE}/things", status=429, headers={"RateLimit-Reset": "2"})
    responses.get(f"{BASE}/things", json=[])
    assert client.get("/things") == []
    assert waits == [2.0]


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


@responses.activate
@pytest.mark.parametrize(
    "value",
    ["soon", "", "   ", "-5", "nan", "inf", "1e3", "tomorrow at noon", "Wed, 32 Oct 2026 25:61:00 GMT",
     "2026-10-21T07:28:00"],
)
def test_a_malformed_retry_after_falls_back_to_backoff(client: HttpClient, waits: list[float], value: str) -> None:
    responses.get(f"{BASE}/things", status=429, headers={"Retry-After": value})
    responses.get(f"{BASE}/things", json={"ok": True})
    assert client.get("/things") == {"ok": True}
    assert len(waits) == 1 and 0 < waits[0] <= client.backoff


@responses.activate
def test_a_decimal_retry_after_is_honoured(client: HttpClient, waits: list[float]) -> None:
    responses.get(f"{BASE}/things", status=429, headers={"Retry-After": "1.5"})
    responses.get(f"{BASE}/things", json={"ok": True})
    assert client.get("/things") == {"ok": True}
    assert waits == [1.5]


@responses.activate
@pytest.mark.parametrize("zone", ["GMT", "+0000", "-0000", ""], ids=["gmt", "utc-offset", "unknown-zone", "no-zone"])
def test_an_http_date_retry_after_is_read_as_utc(
        client: HttpClient, zone: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "America/Sao_Paulo")  # a date without zone must not be read as local time
    time.tzset()
    try:
        when = email.utils.formatdate(time.time() + 120, usegmt=True).removesuffix(" GMT")
        responses.get(f"{BASE}/things", status=429, headers={"Retry-After": f"{when} {zone}".strip()})
        with pytest.raises(RateLimitedError) as caught:
            client.get("/things")  # 120 s is beyond the 30 s cap: left to the engine
    finally:
        monkeypatch.undo()
        time.tzset()
    assert 100 < caught.value.retry_after <= 120


@responses.activate
def test_a_retry_after_years_away_is_capped_at_a_day(client: HttpClient) -> None:
    responses.get(f"{BASE}/things", status=503, headers={"Retry-After": "9" * 30})
    with pytest.raises(TransientError) as caught:
        client.get("/things")
    assert caught.value.retry_after == 24 * 3600


@responses.activate
@pytest.mark.parametrize("value", ["soon", "1.5.2", "-3"])
def test_a_malformed_ratelimit_reset_falls_back_to_backoff(
        client: HttpClient, waits: list[float], value: str) -> None:
    responses.get(f"{BASE}/things", status=429, headers={"RateLimit-Reset": value})
    responses.get(f"{BASE}/things", json={"ok": True})
    assert client.get("/things") == {"ok": True}
    assert len(waits) == 1 and 0 < waits[0] <= client.backoff


BROKEN_CALLS = [
    requests.exceptions.ChunkedEncodingError("Connection broken: IncompleteRead"),
    requests.exceptions.ContentDecodingError("Received response with content-encoding: gzip, but failed"),
    requests.exceptions.TooManyRedirects("Exceeded 30 redirects."),
    requests.exceptions.RequestException("something else went wrong"),
]


@responses.activate
@pytest.mark.parametrize("exc", BROKEN_CALLS, ids=lambda e: e.__class__.__name__)
def test_other_request_failures_on_post_are_ambiguous_transient_errors(
        client: HttpClient, exc: Exception) -> None:
    responses.post(f"{BASE}/things", body=exc)
    with pytest.raises(TransientError) as caught:
        client.post("/things", json={})
    assert caught.value.ambiguous
    assert exc.__class__.__name__ in caught.value.internal_message
    assert len(responses.calls) == 1  # a write that may have happened is not repeated in place


@responses.activate
@pytest.mark.parametrize("exc", BROKEN_CALLS, ids=lambda e: e.__class__.__name__)
def test_other_request_failures_on_get_are_retried_then_transient(
        client: HttpClient, waits: list[float], exc: Exception) -> None:
    responses.get(f"{BASE}/things", body=exc)
    responses.get(f"{BASE}/things", json={"ok": True})
    assert client.get("/things") == {"ok": True}
    assert len(waits) == 1
    responses.reset()
    for _ in range(4):
        responses.get(f"{BASE}/things", body=exc)
    with pytest.raises(TransientError) as caught:
        client.get("/things")
    assert not caught.value.ambiguous


@responses.activate
def test_an_input_that_is_not_json_fails_the_step_before_sending(client: HttpClient) -> None:
    with pytest.raises(PermanentError) as caught:
        client.post("/things", json={"value": float("nan")})
    assert "JSON" in caught.value.user_message
    assert len(responses.calls) == 0


@pytest.mark.parametrize("base", ["api.example.test/v1", "ftp://api.example.test/v1", "http://"])
def test_a_base_url_that_cannot_be_called_is_a_config_error(base: str) -> None:
    client = HttpClient(base, service="Example", sleep=lambda _s: None)
    with pytest.raises(ConfigError) as caught:
        client.get("/things")
    assert "base URL" in caught.value.user_message


def test_a_credential_that_cannot_be_sent_as_a_header_is_a_config_error() -> None:
    client = HttpClient(BASE, service="Example", headers={"X-Key": "s3cr3t\n"}, sleep=lambda _s: None)
    with pytest.raises(ConfigError) as caught:
        client.get("/things")
    assert "s3cr3t" not in caught.value.user_message + caught.value.internal_message


@responses.activate
@pytest.mark.parametrize(
    "body",
    [b"<html>maintenance</html>", b'{"id": NaN}', b"[" * 50_000 + b"]" * 50_000, b'{"value": 1e999}'],
    ids=["html", "nan", "deeply-nested", "overflow"],
)
def test_a_success_body_that_is_not_usable_json_is_a_typed_error(client: HttpClient, body: bytes) -> None:
    responses.get(f"{BASE}/things", body=body, content_type="application/json")
    responses.post(f"{BASE}/things", body=body, content_type="application/json")
    with pytest.raises(TransientError) as read:
        client.get("/things")
    assert not read.value.ambiguous
    with pytest.raises(TransientError) as write:
        client.post("/things", json={})
    assert write.value.ambiguous  # the service said 2xx: the write happened, its answer is unreadable
    assert "not JSON" in write.value.user_message


@responses.activate
@pytest.mark.parametrize("body", [b"[" * 50_000 + b"]" * 50_000, b'{"message": NaN}'], ids=["deep", "nan"])
def test_an_error_body_that_is_not_usable_json_still_maps_to_the_typed_tree(
        client: HttpClient, body: bytes) -> None:
    responses.get(f"{BASE}/things", body=body, status=422, content_type="application/json")
    with pytest.raises(PermanentError) as caught:
        client.get("/things")
    assert caught.value.status_code == 422


@responses.activate
@pytest.mark.parametrize("body", [b"[]", b'"ok"', b"3", b"null"], ids=["list", "string", "number", "null"])
def test_expect_turns_an_unexpected_shape_into_a_typed_error(client: HttpClient, body: bytes) -> None:
    responses.get(f"{BASE}/things/1", body=body, content_type="application/json")
    responses.post(f"{BASE}/things", body=body, content_type="application/json")
    with pytest.raises(TransientError) as read:
        client.get("/things/1", expect=dict)
    assert "unexpected" in read.value.user_message and not read.value.ambiguous
    with pytest.raises(TransientError) as write:
        client.post("/things", json={}, expect=dict)
    assert write.value.ambiguous
