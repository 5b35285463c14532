"""The test before saving: each service's answer becomes a reason a person reads in their language."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import responses
from flask import Flask

from app.connection_check import reason_text, try_config
from connectors.asaas import CONNECTOR as ASAAS
from connectors.mail import CONNECTOR as MAIL
from connectors.zapsign import CONNECTOR as ZAPSIGN
from tests.smtp_server import LOOPBACK, SmtpServer, unused_port

ASAAS_BASE = "https://api-sandbox.asaas.com/v3"
ASAAS_PROD = "https://api.asaas.com/v3"
ZAPSIGN_BASE = "https://sandbox.api.zapsign.com.br/api/v1"
SANDBOX_KEY = "$aact_hmlg_000MzkwODA2MWY2OGM3MWRlMDU2NWM3MzJlNzZmNGZhZGY6OjQ2"
ZAPSIGN_TOKEN = "0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"
ASAAS_401 = {"errors": [{"code": "invalid_access_token", "description": "A chave de API fornecida é inválida"}]}


@responses.activate
def test_asaas_accepting_the_key_is_ok_with_its_own_answer() -> None:
    responses.get(f"{ASAAS_BASE}/customers", json={"object": "list", "totalCount": 3, "data": []})
    result = try_config(ASAAS, {"api_key": SANDBOX_KEY, "environment": "sandbox"})
    assert (result.ok, result.reason) == (True, "ok")
    assert result.detail == "Connected to Asaas (sandbox); the account has 3 customer(s)."
    assert responses.calls[0].request.params == {"limit": "1"}  # the cheap call


@responses.activate
@pytest.mark.parametrize(("environment", "url", "reason"), [
    ("sandbox", ASAAS_BASE, "unauthorized"),
    ("production", ASAAS_PROD, "environment"),  # a $aact_hmlg_ key against production
])
def test_asaas_401_is_a_wrong_key_or_the_other_environment(environment: str, url: str, reason: str) -> None:
    responses.get(f"{url}/customers", json=ASAAS_401, status=401)
    result = try_config(ASAAS, {"api_key": SANDBOX_KEY, "environment": environment})
    assert (result.ok, result.reason) == (False, reason)
    assert "invalid_access_token" in result.detail
    assert SANDBOX_KEY not in result.detail


@responses.activate
def test_asaas_403_is_no_permission() -> None:
    responses.get(f"{ASAAS_BASE}/customers", json={"errors": [{"code": "forbidden", "description": "Acesso negado"}]},
                  status=403)
    result = try_config(ASAAS, {"api_key": SANDBOX_KEY, "environment": "sandbox"})
    assert (result.ok, result.reason) == (False, "forbidden")
    assert "Acesso negado" in result.detail


@responses.activate
@pytest.mark.parametrize(("failure", "reason"), [
    (requests.exceptions.ReadTimeout("read timed out"), "timeout"),
    (requests.exceptions.ConnectTimeout("connect timed out"), "timeout"),
    (requests.exceptions.ConnectionError("Name or service not known"), "unreachable"),
])
def test_asaas_network_failures_are_timeout_or_unreachable(failure: Exception, reason: str) -> None:
    responses.get(f"{ASAAS_BASE}/customers", body=failure)
    result = try_config(ASAAS, {"api_key": SANDBOX_KEY, "environment": "sandbox"})
    assert (result.ok, result.reason) == (False, reason)


@responses.activate
@pytest.mark.parametrize(("status", "body", "reason"), [
    (401, {"detail": "Token inválido."}, "unauthorized"),
    (403, {"detail": "Você não tem permissão."}, "environment"),  # ZapSign: token of the other environment
    (402, {"detail": "Plano de API necessário."}, "plan"),
    (503, {"detail": "Serviço indisponível."}, "service_error"),
])
def test_zapsign_refusals_by_status(status: int, body: dict[str, Any], reason: str) -> None:
    responses.get(f"{ZAPSIGN_BASE}/templates/", json=body, status=status)
    result = try_config(ZAPSIGN, {"api_token": ZAPSIGN_TOKEN, "environment": "sandbox"})
    assert (result.ok, result.reason) == (False, reason)
    assert ZAPSIGN_TOKEN not in result.detail


@responses.activate
def test_zapsign_accepting_the_token_and_timing_out() -> None:
    responses.get(f"{ZAPSIGN_BASE}/templates/", json={"count": 2, "results": []})
    ok = try_config(ZAPSIGN, {"api_token": ZAPSIGN_TOKEN, "environment": "sandbox"})
    assert (ok.ok, ok.detail) == (True, "Connected to ZapSign (sandbox); 2 template(s) found")
    assert responses.calls[0].request.headers["Authorization"] == f"Bearer {ZAPSIGN_TOKEN}"
    responses.replace(responses.GET, f"{ZAPSIGN_BASE}/templates/", body=requests.exceptions.ReadTimeout("slow"))
    late = try_config(ZAPSIGN, {"api_token": ZAPSIGN_TOKEN, "environment": "sandbox"})
    assert (late.ok, late.reason) == (False, "timeout")


def _smtp(port: int, **extra: Any) -> dict[str, Any]:
    return {"host": LOOPBACK, "port": port, "security": "none", "from_address": "cobranca@exemplo.com.br",
            "timeout_seconds": 5, **extra}


@pytest.mark.filterwarnings("ignore:Session.login_data is deprecated")
def test_smtp_login_accepted_refused_and_unreachable() -> None:
    with SmtpServer(username="ponte", password="s3nh4-Certa-123") as server:
        ok = try_config(MAIL, _smtp(server.port, username="ponte", password="s3nh4-Certa-123"))
        wrong = try_config(MAIL, _smtp(server.port, username="ponte", password="s3nh4-Errada-456"))
    assert (ok.ok, ok.reason) == (True, "ok")
    assert (wrong.ok, wrong.reason) == (False, "unauthorized")
    assert "s3nh4-Errada-456" not in wrong.detail
    closed = try_config(MAIL, _smtp(unused_port()))
    assert (closed.ok, closed.reason) == (False, "unreachable")


def test_a_connector_bug_is_unexpected_and_redacted() -> None:
    class Broken:
        auth_schema = {"properties": {"api_key": {"type": "string", "writeOnly": True}}}

        def test_credentials(self, ctx: Any) -> str:
            raise ValueError(f"boom with {ctx.config['api_key']}")

    result = try_config(Broken(), {"api_key": "chave-Secreta-Demais-987"})
    assert (result.ok, result.reason) == (False, "unexpected")
    assert "chave-Secreta-Demais-987" not in result.detail


@pytest.mark.parametrize(("locale", "expected"), [
    ("pt_BR", "A chave pertence ao outro ambiente"),
    ("en", "The key belongs to the other environment"),
])
def test_reasons_are_in_the_readers_language(app: Flask, locale: str, expected: str) -> None:
    with app.test_request_context(headers={"Accept-Language": locale.replace("_", "-")}):
        from flask_babel import force_locale

        with force_locale(locale):
            assert reason_text("environment").startswith(expected)
            assert reason_text(None) == ""
