"""The demo's "simulate" buttons drive the local doubles, and exist only in the demo."""

from __future__ import annotations

import requests
from flask import Flask

from sandbox.demo import start_doubles
from tests.web.conftest import login


def test_the_buttons_are_absent_outside_the_demo(admin_client) -> None:  # noqa: ANN001
    assert "Simular nova cobrança" not in admin_client.get("/").get_data(as_text=True)
    assert admin_client.post("/demo/charge").status_code == 404


def test_simulate_buttons_create_a_charge_and_a_signed_contract_in_the_doubles(app: Flask, admin) -> None:  # noqa: ANN001
    doubles = start_doubles()
    try:
        app.config.update(DEMO_ASAAS_URL=doubles.asaas.url, DEMO_ZAPSIGN_URL=doubles.zapsign.url)
        client = login(app.test_client(), admin)
        assert "Simular nova cobrança" in client.get("/").get_data(as_text=True)
        assert client.post("/demo/charge").status_code == 302
        assert client.post("/demo/signature").status_code == 302
        payments = requests.get(f"{doubles.asaas.url}/_sandbox/state", timeout=5).json()["payments"]
        documents = requests.get(f"{doubles.zapsign.url}/_sandbox/state", timeout=5).json()["documents"]
        assert len(payments) == 1 and len(documents) == 1
    finally:
        doubles.stop()
