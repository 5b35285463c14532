"""Ponte registers its own webhooks (``flask connections register-webhook``, create, rotate, delete).

Asaas and ZapSign are doubled with ``responses``: each test says what the account already holds
and checks the calls Ponte made — one config per URL, corrected, replaced, removed.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import responses
from responses import matchers

from connectors.asaas.webhook import token_problems
from tests.cli.conftest import Project

ASAAS = "http://asaas.test/v3"
ZAPSIGN = "http://zapsign.test/api/v1"


def _create(project: Project, connector: str, name: str, *sets: str) -> dict[str, Any]:
    result = project.cli("connections", "create", "--connector", connector, "--name", name,
                         *[x for s in sets for x in ("--set", s)], "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _asaas(project: Project) -> dict[str, Any]:
    return _create(project, "asaas", "billing", "api_key=$aact_hmlg_k", f"base_url={ASAAS}")


def _list(*configs: dict[str, Any]) -> dict[str, Any]:
    return {"object": "list", "hasMore": False, "totalCount": len(configs), "limit": 100, "offset": 0,
            "data": list(configs)}


def _bodies(method: str) -> list[dict[str, Any]]:
    return [json.loads(c.request.body) for c in responses.calls if c.request.method == method]


@pytest.fixture
def auto(project: Project) -> Project:
    project.app.config.update(WEBHOOK_AUTO_REGISTER=True, PUBLIC_BASE_URL="https://ponte.example.com")
    return project


@responses.activate
def test_create_registers_one_asaas_config_with_a_token_asaas_accepts(auto: Project) -> None:
    responses.get(f"{ASAAS}/webhooks", json=_list())
    responses.post(f"{ASAAS}/webhooks", json={"id": "wh_1"})
    out = _asaas(auto)
    assert out["webhook"]["registration"]["status"] == "registered"
    assert out["webhook"]["registration"]["action"] == "created"
    [body] = _bodies("POST")
    assert body["url"].startswith("https://ponte.example.com/webhooks/")
    assert token_problems(body["authToken"]) == []
    assert body["authToken"] == out["generated_secrets"]["webhook_token"]
    assert body["sendType"] == "SEQUENTIALLY" and body["enabled"] is True and body["interrupted"] is False
    assert "PAYMENT_RECEIVED" in body["events"] and "PAYMENT_SPLIT_DONE" in body["events"]
    assert "nothing to paste" in out["webhook"]["note"] and out["webhook"]["instructions"] is None


@responses.activate
def test_registering_again_corrects_the_existing_config_and_never_adds_one(auto: Project) -> None:
    responses.get(f"{ASAAS}/webhooks", json=_list())
    responses.post(f"{ASAAS}/webhooks", json={"id": "wh_1"})
    url = _asaas(auto)["connection"]["webhook_url"]
    responses.replace(responses.GET, f"{ASAAS}/webhooks", json=_list(
        {"id": "wh_1", "url": url, "enabled": False, "interrupted": True, "events": []},
        {"id": "wh_dup", "url": url, "enabled": True, "interrupted": False, "events": []},
        {"id": "wh_other", "url": "https://erp.example.com/hook", "enabled": True, "interrupted": False},
    ))
    responses.put(f"{ASAAS}/webhooks/wh_1", json={"id": "wh_1"})
    responses.delete(f"{ASAAS}/webhooks/wh_dup", json={"deleted": True})
    result = auto.cli("connections", "register-webhook", "billing", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)["webhook"]["registration"]
    assert out["action"] == "updated" and out["ids"] == ["wh_1"]
    assert len(_bodies("POST")) == 1  # only the first registration created one
    [put] = _bodies("PUT")
    assert put["url"] == url and put["enabled"] is True and put["interrupted"] is False
    deleted = [c.request.url for c in responses.calls if c.request.method == "DELETE"]
    assert deleted == [f"{ASAAS}/webhooks/wh_dup"]  # the other system's config is left alone


@responses.activate
def test_a_changed_public_base_url_moves_the_config_to_the_new_url(auto: Project) -> None:
    responses.get(f"{ASAAS}/webhooks", json=_list())
    responses.post(f"{ASAAS}/webhooks", json={"id": "wh_1"})
    old = _asaas(auto)["connection"]["webhook_url"]
    auto.app.config["PUBLIC_BASE_URL"] = "https://ponte.new.example.com"
    responses.replace(responses.GET, f"{ASAAS}/webhooks", json=_list(
        {"id": "wh_1", "url": old, "enabled": True, "interrupted": False}))
    responses.put(f"{ASAAS}/webhooks/wh_1", json={"id": "wh_1"})
    result = auto.cli("connections", "register-webhook", "billing", "--json")
    out = json.loads(result.stdout)["webhook"]
    assert out["registration"]["action"] == "replaced"
    [put] = _bodies("PUT")
    assert put["url"] == out["url"] and put["url"].startswith("https://ponte.new.example.com/webhooks/")


@responses.activate
def test_a_key_without_permission_is_explained_with_the_manual_steps(auto: Project) -> None:
    responses.get(f"{ASAAS}/webhooks", status=403,
                  json={"errors": [{"code": "forbidden", "description": "Sem permissão"}]})
    out = _asaas(auto)["webhook"]
    assert out["registration"]["status"] == "refused" and out["registration"]["reason"] == "forbidden"
    assert "Integrações" in out["instructions"] or "Integrations" in out["instructions"]
    result = auto.cli("connections", "register-webhook", "billing")
    assert result.exit_code == 1 and "forbidden" in result.output


@responses.activate
def test_a_localhost_url_is_refused_before_asking_the_real_asaas(auto: Project) -> None:
    auto.app.config["PUBLIC_BASE_URL"] = "http://localhost:5000"
    out = _create(auto, "asaas", "prod", "api_key=$aact_prod_k", "environment=production")["webhook"]
    assert out["registration"]["reason"] == "local_url"
    assert len(responses.calls) == 0


@responses.activate
def test_rotating_the_token_updates_asaas_and_deleting_removes_the_config(auto: Project) -> None:
    responses.get(f"{ASAAS}/webhooks", json=_list())
    responses.post(f"{ASAAS}/webhooks", json={"id": "wh_1"})
    url = _asaas(auto)["connection"]["webhook_url"]
    responses.replace(responses.GET, f"{ASAAS}/webhooks", json=_list({"id": "wh_1", "url": url}))
    responses.put(f"{ASAAS}/webhooks/wh_1", json={"id": "wh_1"})
    result = auto.cli("connections", "rotate-secret", "billing", "--yes", "--json")
    out = json.loads(result.stdout)
    assert _bodies("PUT")[0]["authToken"] == out["secret"]
    assert out["webhook"]["registration"]["status"] == "registered"
    responses.delete(f"{ASAAS}/webhooks/wh_1", json={"deleted": True})
    result = auto.cli("connections", "delete", "billing", "--yes", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["webhook"]["ids"] == ["wh_1"]


@responses.activate
def test_zapsign_gets_the_secret_as_a_header_once_and_a_new_config_after_rotation(auto: Project) -> None:
    ids = iter(range(1, 10))
    responses.add_callback(responses.POST, f"{ZAPSIGN}/user/company/webhook/",
                           callback=lambda request: (200, {}, json.dumps({"id": next(ids)})))
    out = _create(auto, "zapsign", "sign", "api_token=t", f"base_url={ZAPSIGN}")
    secret = out["generated_secrets"]["webhook_secret"]
    bodies = _bodies("POST")
    assert [b["type"] for b in bodies] == ["", "email_bounce"]  # "all" leaves out email_bounce
    assert all(b["headers"] == [{"name": "X-Ponte-Secret", "value": secret}] for b in bodies)
    assert all(b["url"] == out["connection"]["webhook_url"] for b in bodies)
    again = json.loads(auto.cli("connections", "register-webhook", "sign", "--json").stdout)
    assert again["webhook"]["registration"]["action"] == "unchanged" and len(_bodies("POST")) == 2
    responses.delete(f"{ZAPSIGN}/user/company/webhook/delete/", json={"detail": "ok"},
                     match=[matchers.json_params_matcher({"id": 1})])
    responses.delete(f"{ZAPSIGN}/user/company/webhook/delete/", json={"detail": "ok"},
                     match=[matchers.json_params_matcher({"id": 2})])
    rotated = json.loads(auto.cli("connections", "rotate-secret", "sign", "--yes", "--json").stdout)
    assert rotated["webhook"]["registration"]["action"] == "replaced"
    assert _bodies("POST")[-1]["headers"][0]["value"] == rotated["secret"]
    assert len(_bodies("DELETE")) == 2
