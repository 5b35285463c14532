"""The collection-rule wizard's escalation card: the owner's daily list and fine/interest after N
days, listed in "who gets what today" before saving, saved as the rule's companion recipes, read
back on "Edit", switched off when unticked; bad values listed at once in the page's language."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
import requests
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.db import get_session
from app.models import Recipe
from sandbox import asaas as asaas_double
from sandbox.server import RunningServer
from tests.web.test_wizard_collection import PT, _days_form, _errors, _start


@pytest.fixture
def today() -> Iterator[None]:
    with time_machine.travel("2025-03-15T15:00:00+00:00", tick=True):
        yield


@pytest.fixture
def asaas() -> Iterator[RunningServer]:
    server = asaas_double.serve()
    yield server
    server.stop()


@pytest.fixture
def accounts(make_connection: Callable[..., int], asaas: RunningServer) -> dict[str, str]:
    make_connection("asaas", "Asaas produção", api_key=asaas_double.DEFAULT_API_KEY, base_url=f"{asaas.url}/v3")
    make_connection("email", "SMTP financeiro", host="127.0.0.1", port=2525, security="none",
                    from_address="financeiro@example.com")
    return {"asaas": "Asaas produção", "email": "SMTP financeiro"}


ESCALATION = {"owner_on": "1", "owner_to": "financeiro@loja.com.br", "owner_min_days": "3",
              "fees_on": "1", "fees_day": "10", "fees_fine": "2", "fees_interest": "1,5"}


def _steps(client: FlaskClient, base: str, **card: str) -> FlaskClient:
    return client.post(f"{base}/steps", data=_days_form(("-5", PT), ("0", PT), ("7", PT), **card))


def test_escalation_steps_are_previewed_saved_and_read_back(
        today: None, operator_client: FlaskClient, accounts: dict[str, str], asaas: RunningServer,
        app: Flask) -> None:
    for due, name, value in (("2025-03-05", "Ana Souza", 1234.56), ("2025-03-14", "Bruno Lima", 80.5)):
        requests.post(f"{asaas.url}/_sandbox/payments", timeout=5, json={
            "customer": {"name": name, "email": "x@example.com"}, "dueDate": due, "value": value}).raise_for_status()
    base = _start(operator_client)
    operator_client.post(f"{base}/accounts", data={"payments_connection": accounts["asaas"],
                                                   "email_connection": accounts["email"]})
    assert _steps(operator_client, base, **ESCALATION, go="next").status_code == 302
    page = operator_client.get(f"{base}/today").get_data(as_text=True)
    table = page[page.index('id="today-escalations"'):]
    rows = [" ".join(re.sub(r"<[^>]+>", " ", r).split()) for r in re.findall(r"<tr class[^>]*>(.*?)</tr>", table, re.S)]
    assert rows == [
        "D+10 Multa e juros aplicados à cobrança Ana Souza R$ 1.234,56 05/03/2025 não",
        "diário Lista de 1 cobrança vencida ao responsável financeiro@loja.com.br 3+ dias de atraso não",
    ]
    operator_client.post(f"{base}/finish", data={"name": "Régua da loja", "enabled": "1", "go": "save"})
    with app.app_context():
        session = get_session()
        rule = session.scalar(select(Recipe).where(Recipe.name == "Régua da loja"))
        owner = session.scalar(select(Recipe).where(Recipe.key == f"{rule.key}_owner"))
        fees = session.scalar(select(Recipe).where(Recipe.key == f"{rule.key}_fees"))
        assert owner.enabled and fees.enabled
        assert owner.trigger_key == "asaas.overdue_digest" and owner.trigger_connection_id == rule.trigger_connection_id
        assert owner.definition["trigger"]["options"] == {"min_days": 3, "hour": 8}
        assert owner.definition["steps"][1]["input"]["to"] == "financeiro@loja.com.br"
        assert owner.definition["steps"][1]["connection"] == "SMTP financeiro"
        assert fees.definition["trigger"]["options"] == {"offsets": [10]}
        assert fees.definition["steps"][0]["input"]["fine"] == 2.0
        assert fees.definition["steps"][0]["input"]["interest"] == 1.5
        rule_id = rule.id
    # "Edit" finds them again; unticking the fees switches that automation off
    edit = operator_client.post(f"/automations/{rule_id}/edit").location.rsplit("/", 1)[0]
    page = operator_client.get(f"{edit}/steps").get_data(as_text=True)
    assert 'value="financeiro@loja.com.br"' in page and 'name="fees_interest" id="fees_interest" value="1.5"' in page
    _steps(operator_client, edit, **{**ESCALATION, "fees_on": ""})
    operator_client.post(f"{edit}/finish", data={"name": "Régua da loja", "enabled": "1", "go": "save"})
    with app.app_context():
        session = get_session()
        assert not session.scalar(select(Recipe).where(Recipe.key.like("%_fees"))).enabled
        assert session.scalar(select(Recipe).where(Recipe.key.like("%_owner"))).enabled


def test_bad_escalation_values_are_listed_at_once(operator_client: FlaskClient, accounts: dict[str, str]) -> None:
    base = _start(operator_client)
    page = _steps(operator_client, base, owner_on="1", owner_to="financeiro", owner_min_days="0",
                  fees_on="1", fees_day="abc", fees_fine="200", fees_interest="1", go="next").get_data(as_text=True)
    assert _errors(page) == [
        "Informe o endereço de e-mail que recebe a lista diária de cobranças vencidas.",
        "A lista diária conta cobranças atrasadas por um número inteiro de dias, de 1 a 365.",
        "Multa e juros começam um número inteiro de dias depois do vencimento, de 1 a 90.",
        "Multa e juros são percentuais de 0 a 100.",
    ]
    assert 'value="financeiro"' in page and 'value="abc"' in page  # nothing typed is lost


def test_the_daily_list_can_go_out_in_english(operator_client: FlaskClient, accounts: dict[str, str],
                                              app: Flask) -> None:
    base = _start(operator_client)
    operator_client.post(f"{base}/accounts", data={"payments_connection": accounts["asaas"],
                                                   "email_connection": accounts["email"]})
    page = operator_client.get(f"{base}/steps").get_data(as_text=True)
    assert '<option value="pt_BR" selected>Português (pt-BR)</option><option value="en">Inglês</option>' in page
    bad = _steps(operator_client, base, **ESCALATION, owner_language="fr", go="next").get_data(as_text=True)
    assert _errors(bad) == ["Escolha o idioma da lista diária: português (pt-BR) ou inglês."]
    assert _steps(operator_client, base, **ESCALATION, owner_language="en", go="next").status_code == 302
    operator_client.post(f"{base}/finish", data={"name": "Régua da loja", "enabled": "1", "go": "save"})
    with app.app_context():
        session = get_session()
        rule = session.scalar(select(Recipe).where(Recipe.name == "Régua da loja"))
        owner = session.scalar(select(Recipe).where(Recipe.key == f"{rule.key}_owner"))
        email = owner.definition["steps"][1]["input"]
        assert email["to"] == "financeiro@loja.com.br"
        assert email["subject"]["format"] == [{"date": "Overdue payments on %d/%m/%Y"}]
        assert '<html lang="en">' in email["html_template"]["const"]
        rule_id = rule.id
    edit = operator_client.post(f"/automations/{rule_id}/edit").location.rsplit("/", 1)[0]
    page = operator_client.get(f"{edit}/steps").get_data(as_text=True)
    assert '<option value="en" selected>Inglês</option>' in page
