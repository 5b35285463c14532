"""``sandbox.demo.wire_demo``: Ponte registers its webhooks in the doubles itself, every start."""

from __future__ import annotations

import socket

import requests
from flask import Flask

from sandbox.demo import start_doubles, wire_demo


def _hooks(doubles) -> tuple[list[dict], list[dict]]:  # noqa: ANN001
    asaas = requests.get(f"{doubles.asaas.url}/_sandbox/state", timeout=5).json()["webhooks"]
    zapsign = requests.get(f"{doubles.zapsign.url}/_sandbox/state", timeout=5).json()["webhooks"]
    return asaas, zapsign


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_second_demo_start_registers_again_in_the_fresh_doubles(app: Flask) -> None:
    ponte = "http://127.0.0.1:5999"
    ports = _free_port(), _free_port()  # fixed across starts, as make demo's 8101 and 8102
    for _start in range(2):  # the demo database keeps the connections; the doubles start empty
        doubles = start_doubles(*ports)
        try:
            wire_demo(app, doubles, ponte, apply_recipes=False)
            asaas, zapsign = _hooks(doubles)
        finally:
            doubles.stop()
        [config] = asaas
        assert config["url"].startswith(f"{ponte}/webhooks/") and config["sendType"] == "SEQUENTIALLY"
        assert config["authToken"] and config["enabled"] and not config["interrupted"]
        assert sorted(h["type"] for h in zapsign) == ["", "email_bounce"]
        assert {h["url"] for h in zapsign} == {zapsign[0]["url"]} and zapsign[0]["url"].startswith(ponte)
        assert [h["name"] for h in zapsign[0]["headers"]] == ["X-Ponte-Secret"]
