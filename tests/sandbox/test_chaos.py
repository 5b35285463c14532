"""The doubles' random faults: each mode fails the call the way the module says, effect or not."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests

from sandbox import asaas, zapsign
from sandbox.server import serve_in_thread

TEMPLATE = "c2a8b6a4-1f0e-4b53-9a57-5f0c2e8d7a10"
AUTH = {"Authorization": f"Bearer {zapsign.SANDBOX_TOKEN}"}


@pytest.fixture
def zapsign_url() -> Iterator[str]:
    server = serve_in_thread(zapsign.create_app())
    yield server.url
    server.stop()


def _create(url: str, timeout: float = 5) -> requests.Response:
    return requests.post(f"{url}/api/v1/models/create-doc/", headers=AUTH, timeout=timeout, json={
        "template_id": TEMPLATE, "signer_name": "Maria", "external_id": "ponte-1-1", "data": []})


def _documents(url: str) -> int:
    return len(requests.get(f"{url}/_sandbox/state", timeout=5).json()["documents"])


def _chaos(url: str, mode: str, **extra: float) -> None:
    requests.post(f"{url}/_sandbox/chaos", json={"rate": 1, "weights": {mode: 1}, **extra},
                  timeout=5).raise_for_status()


@pytest.mark.parametrize(("mode", "status", "created"), [
    ("unavailable", 503, 0), ("rate_limited", 429, 0), ("lost_5xx", 502, 1)])
def test_a_fault_answers_its_status_and_applies_only_when_lost(
        zapsign_url: str, mode: str, status: int, created: int) -> None:
    _chaos(zapsign_url, mode, retry_after=3)
    response = _create(zapsign_url)
    assert response.status_code == status
    if mode == "rate_limited":
        assert response.headers["Retry-After"] == "3"
    assert _documents(zapsign_url) == created
    report = requests.get(f"{zapsign_url}/_sandbox/chaos", timeout=5).json()
    assert report["injected"] == {mode: 1}


def test_a_dropped_answer_leaves_the_document_behind(zapsign_url: str) -> None:
    _chaos(zapsign_url, "lost_drop")
    with pytest.raises(requests.ConnectionError):
        _create(zapsign_url)
    assert _documents(zapsign_url) == 1


def test_a_slow_answer_times_the_client_out_and_happens_anyway(zapsign_url: str) -> None:
    _chaos(zapsign_url, "slow", slow_seconds=1.5)
    with pytest.raises(requests.ReadTimeout):
        _create(zapsign_url, timeout=0.5)
    requests.post(f"{zapsign_url}/_sandbox/chaos", json={"rate": 0}, timeout=5).raise_for_status()
    for _ in range(40):
        if _documents(zapsign_url):
            break
        time.sleep(0.1)
    assert _documents(zapsign_url) == 1


def test_the_asaas_double_fails_its_calls_too() -> None:
    server = serve_in_thread(asaas.create_app())
    try:
        _chaos(server.url, "unavailable")
        response = requests.get(f"{server.url}/v3/customers", headers={"access_token": asaas.DEFAULT_API_KEY},
                                timeout=5)
        assert response.status_code == 503
        requests.post(f"{server.url}/_sandbox/reset", timeout=5)
        assert requests.get(f"{server.url}/_sandbox/chaos", timeout=5).json()["rate"] == 0
    finally:
        server.stop()

