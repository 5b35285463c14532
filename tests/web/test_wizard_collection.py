"""The collection-rule wizard: days and templates per step, accounts, the "who gets what today"
preview against the Asaas double, and a saved recipe the engine accepts."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
import time_machine
import yaml
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.collection import rule
from app.db import get_session
from app.engine.loader import load_recipe_document
from app.engine.mapping import compile_mapping
from app.engine.polling import event_key
from app.models import Connection, Event, Recipe, WizardDraft, utcnow
from sandbox import asaas as asaas_double
from sandbox.server import RunningServer

ROOT = Path(__file__).resolve().parents[2]
PT, EN = "collection_reminder_email", "collection_reminder_email_en"


@pytest.fixture
def asaas() -> Iterator[RunningServer]:
    server = asaas_double.serve()
    yield server
    server.stop()


@pytest.fixture
def accounts(make_connection: Callable[..., int], asaas: RunningServer) -> dict[str, str]:
    """An Asaas connection on the double and an SMTP sender, named as a user would name them."""
    make_connection("asaas", "Asaas produção", api_key=asaas_double.DEFAULT_API_KEY, base_url=f"{asaas.url}/v3")
    make_connection("email", "SMTP financeiro", host="127.0.0.1", port=2525, security="none",
                    from_address="financeiro@example.com")
    return {"asaas": "Asaas produção", "email": "SMTP financeiro"}


@pytest.fixture
def today() -> Iterator[None]:
    """2025-03-05 at noon in São Paulo (the preview's "today"); first, so the login happens then too."""
    with time_machine.travel("2025-03-05T15:00:00+00:00", tick=True):
        yield


def _start(client: FlaskClient) -> str:
    response = client.post("/automations/new", data={"template": "asaas_collection_rule"})
    assert response.status_code == 302
    assert response.location.endswith("/accounts")
    return response.location.rsplit("/", 1)[0]


def _draft_document(app: Flask, base: str) -> dict:
    """The definition the draft holds (drafts are rows of ``wizard_drafts``)."""
    with app.app_context():
        return get_session().get(WizardDraft, base.rsplit("/", 1)[1]).data["document"]


def _days_form(*rows: tuple[str, str], **extra: str) -> dict[str, str]:
    form = {}
    for i, (day, template) in enumerate(rows):
        form[f"day_{i}"], form[f"template_{i}"] = day, template
    return {**form, **extra}


def _errors(page: str) -> list[str]:
    return re.findall(r'<p class="flash error" role="alert">([^<]*)</p>', page)


def _payment(asaas: RunningServer, due: str, name: str, email: str | None, value: float) -> dict:
    customer = {"name": name, **({"email": email} if email else {})}
    return requests.post(f"{asaas.url}/_sandbox/payments", timeout=5, json={
        "customer": customer, "value": value, "dueDate": due, "billingType": "BOLETO"}).json()


def test_catalogue_offers_the_collection_rule(operator_client: FlaskClient) -> None:
    page = operator_client.get("/automations/new").get_data(as_text=True)
    assert "Régua de cobrança: lembretes de vencimento por e-mail" in page
    assert 'value="asaas_collection_rule"' in page


def test_steps_start_with_d_minus_5_d0_d_plus_1_d_plus_7_in_portuguese(
        operator_client: FlaskClient, accounts: dict[str, str]) -> None:
    base = _start(operator_client)
    page = operator_client.get(f"{base}/accounts").get_data(as_text=True)
    assert "Asaas produção" in page and "SMTP financeiro" in page
    page = operator_client.get(f"{base}/steps").get_data(as_text=True)
    assert re.findall(r'name="day_\d+" id="day_\d+" value="([^"]*)"', page) == ["-5", "0", "1", "7"]
    assert re.findall(r'<option value="(collection_[^"]+)" selected>', page) == [PT] * 4
    assert "5 dias antes do vencimento" in page and "no dia do vencimento" in page
    assert "1 dia depois do vencimento" in page and "Sua cobrança vence hoje" in page


def test_invalid_days_are_all_reported_and_nothing_moves_on(
        operator_client: FlaskClient, accounts: dict[str, str], app: Flask) -> None:
    base = _start(operator_client)
    response = operator_client.post(f"{base}/steps", data=_days_form(
        ("abc", PT), ("120", PT), ("2", PT), ("D+2", EN), ("1.5", PT), go="next"))
    assert response.status_code == 200  # stays on the screen
    assert _errors(response.get_data(as_text=True)) == [
        "abc: escolha um número inteiro de dias entre -90 e 90.",
        "120: escolha um número inteiro de dias entre -90 e 90.",
        "D+2 aparece duas vezes; deixe só uma.",
        "1.5: escolha um número inteiro de dias entre -90 e 90.",
    ]
    assert 'value="abc"' in response.get_data(as_text=True)  # what was typed is kept
    assert _draft_document(app, base)["trigger"]["options"]["offsets"] == [-5, 0, 1, 7]
    response = operator_client.post(f"{base}/steps", data={"go": "next"})
    assert _errors(response.get_data(as_text=True)) == ["Mantenha pelo menos um dia de lembrete."]
    response = operator_client.post(f"{base}/steps", data=_days_form(
        *[(str(day), PT) for day in range(-6, 7)], go="next"))
    assert _errors(response.get_data(as_text=True)) == ["No máximo 12 dias de lembrete."]


def test_days_are_added_and_removed_without_losing_what_was_typed(
        operator_client: FlaskClient, accounts: dict[str, str], app: Flask) -> None:
    base = _start(operator_client)
    rows = [("-5", PT), ("0", PT), ("1", PT), ("7", EN)]
    assert operator_client.post(f"{base}/steps", data=_days_form(*rows, edit="add")).location.endswith("/steps")
    page = operator_client.get(f"{base}/steps").get_data(as_text=True)
    assert re.findall(r'name="day_\d+" id="day_\d+" value="([^"]*)"', page) == ["-5", "0", "1", "7", ""]
    operator_client.post(f"{base}/steps", data=_days_form(*rows, ("-2", PT), edit="del:0"))
    page = operator_client.get(f"{base}/steps").get_data(as_text=True)
    assert re.findall(r'name="day_\d+" id="day_\d+" value="([^"]*)"', page) == ["-2", "0", "1", "7"]
    document = _draft_document(app, base)
    assert document["trigger"]["options"]["offsets"] == [-2, 0, 1, 7]
    assert rule.templates_by_day(document["steps"][1]["input"], [-2, 0, 1, 7]) == {-2: PT, 0: PT, 1: PT, 7: EN}


def test_accounts_must_be_an_asaas_and_an_email_connection(
        operator_client: FlaskClient, accounts: dict[str, str]) -> None:
    base = _start(operator_client)
    response = operator_client.post(f"{base}/accounts", data={
        "payments_connection": "SMTP financeiro", "email_connection": "", "go": "next"})
    assert _errors(response.get_data(as_text=True)) == [
        "Escolha a conta do Asaas cujas cobranças recebem os lembretes.",
        "Escolha a conta de e-mail que envia os lembretes."]
    response = operator_client.post(f"{base}/accounts", data={
        "payments_connection": accounts["asaas"], "email_connection": accounts["email"], "go": "next"})
    assert response.location.endswith("/steps")


def test_the_saved_rule_has_the_chosen_days_templates_and_connections(
        today: None, operator_client: FlaskClient, accounts: dict[str, str], app: Flask) -> None:
    base = _start(operator_client)
    operator_client.post(f"{base}/accounts", data={
        "payments_connection": accounts["asaas"], "email_connection": accounts["email"], "go": "next"})
    response = operator_client.post(f"{base}/steps", data=_days_form(
        ("-3", PT), ("0", PT), ("D+2", EN), go="next"))
    assert response.location.endswith("/texts")  # then the reminder texts, then who gets what today
    assert operator_client.get(f"{base}/today").status_code == 200
    page = operator_client.get(f"{base}/finish").get_data(as_text=True)
    assert "D-3, D0 e D+2" in page  # the description follows the days
    response = operator_client.post(f"{base}/finish", data={
        "name": "Régua da loja", "description": "Lembretes", "enabled": "1", "go": "save"})
    assert response.status_code == 302, _errors(response.get_data(as_text=True))
    with app.app_context():
        session = get_session()
        recipe = session.scalar(select(Recipe).where(Recipe.name == "Régua da loja"))
        definition = recipe.definition
        assert recipe.source == "wizard" and recipe.enabled and recipe.trigger_key == rule.TRIGGER_KEY
        assert recipe.trigger_connection_id == session.scalar(
            select(Connection.id).where(Connection.name == accounts["asaas"]))
        _, errors = load_recipe_document(definition, source="<test>", connections=set(accounts.values()))
        assert errors == []
    assert definition["trigger"] == {"connection": accounts["asaas"], "event": rule.TRIGGER_KEY,
                                     "options": {"offsets": [-3, 0, 2]}}
    assert [(s["key"], s["connection"]) for s in definition["steps"]] == [
        ("open", accounts["asaas"]), ("email", accounts["email"])]
    assert definition["filters"] == [{"field": "$.customer.email", "op": "not_empty"}]
    email = compile_mapping(definition["steps"][1]["input"], where="test")
    event = {"customer": {"name": "Ana", "email": "ana@example.com"},
             "payment": {"value": 1234.56, "invoiceUrl": "https://x/i/1"}, "steps": {}}
    sent = {day: email.apply({**event, "reminder": {"offset": day, "phase": rule.phase(day), "days": abs(day),
                                                    "due_date": "2025-03-10"}}).value for day in (-3, 0, 2)}
    assert sent[-3]["subject"] == "Lembrete: sua cobrança vence em breve"
    assert sent[0]["subject"] == "Sua cobrança vence hoje"
    assert sent[2]["subject"] == "Overdue payment: please settle it"
    assert 'lang="pt-BR"' in sent[-3]["html_template"] and 'lang="en"' in sent[2]["html_template"]
    assert sent[2]["variables"]["amount"] == "R$ 1.234,56" and sent[2]["to"] == "ana@example.com"


def test_one_template_for_every_day_saves_the_shipped_mapping(
        operator_client: FlaskClient, accounts: dict[str, str], app: Flask) -> None:
    base = _start(operator_client)
    operator_client.post(f"{base}/accounts", data={
        "payments_connection": accounts["asaas"], "email_connection": accounts["email"]})
    operator_client.post(f"{base}/steps", data=_days_form(("-5", EN), ("0", EN), ("1", EN), ("7", EN)))
    operator_client.post(f"{base}/finish", data={"name": "Reminders", "enabled": "1", "go": "save"})
    with app.app_context():
        recipe = get_session().scalar(select(Recipe).where(Recipe.name == "Reminders"))
        shipped = yaml.safe_load((ROOT / "mappings" / f"{EN}.yaml").read_text(encoding="utf-8"))
        assert recipe.definition["steps"][1]["input"] == shipped["fields"]


def test_preview_lists_who_gets_what_today_in_reais_and_dd_mm_aaaa(
        today: None, operator_client: FlaskClient, accounts: dict[str, str], asaas: RunningServer,
        app: Flask) -> None:
    _payment(asaas, "2025-03-10", "Ana Souza", "ana@example.com", 1234.56)  # D-5 today
    _payment(asaas, "2025-03-04", "Bruno Lima", "bruno@example.com", 80.5)  # D+1 today
    _payment(asaas, "2025-03-20", "Carla Dias", "carla@example.com", 99.0)  # nothing today
    _payment(asaas, "2025-03-05", "Davi Sem Email", None, 10.0)  # D0, filtered out
    base = _start(operator_client)
    operator_client.post(f"{base}/accounts", data={
        "payments_connection": accounts["asaas"], "email_connection": accounts["email"]})
    operator_client.post(f"{base}/steps", data=_days_form(("-5", PT), ("0", PT), ("1", EN), ("7", PT)))
    page = operator_client.get(f"{base}/today").get_data(as_text=True)
    rows = [re.sub(r"<[^>]+>", " ", row) for row in re.findall(r"<tr>(.*?)</tr>", page, re.S)[1:]]
    rows = [" ".join(row.split()) for row in rows]
    assert rows == [
        "D-5 Ana Souza ana@example.com R$ 1.234,56 10/03/2025 Lembrete em português (pt-BR) não",
        "D0 Davi Sem Email sem e-mail: fica de fora R$ 10,00 05/03/2025 Lembrete em português (pt-BR) não",
        "D+1 Bruno Lima bruno@example.com R$ 80,50 04/03/2025 Lembrete em inglês não",
    ]
    assert "3 lembretes para hoje." in page and "Carla" not in page
    with app.app_context():  # read-only: nothing stored, no recipe yet
        session = get_session()
        assert session.scalar(select(func.count()).select_from(Event)) == 0
        assert session.scalar(select(func.count()).select_from(Recipe)) == 0


def test_preview_says_why_when_asaas_cannot_be_read(
        operator_client: FlaskClient, accounts: dict[str, str], make_connection: Callable[..., int],
        asaas: RunningServer) -> None:
    make_connection("asaas", "Asaas chave errada", api_key="$aact_wrong", base_url=f"{asaas.url}/v3")
    make_connection("asaas", "Asaas fora do ar", api_key="$aact_x", base_url="http://127.0.0.1:9/v3")
    base = _start(operator_client)
    for name, message in (
            ("Asaas chave errada", "Não foi possível consultar o Asaas: Asaas refused the credentials (HTTP 401): "
                                   "A chave de API fornecida é inválida ou não foi informada. (invalid_access_token)"),
            ("Asaas fora do ar", "Não foi possível consultar o Asaas: could not reach Asaas")):
        operator_client.post(f"{base}/accounts", data={"payments_connection": name,
                                                       "email_connection": accounts["email"]})
        response = operator_client.get(f"{base}/today")
        assert response.status_code == 200
        problem = re.search(r'id="today-problem">([^<]*)<', response.get_data(as_text=True))
        assert problem is not None and problem.group(1) == message
    operator_client.post(f"{base}/accounts", data={"payments_connection": "", "email_connection": ""})
    page = operator_client.get(f"{base}/today").get_data(as_text=True)
    assert "Escolha antes a conta do Asaas (etapa Contas)." in page


def test_editing_a_saved_rule_reopens_its_days_and_marks_queued_steps(
        today: None, operator_client: FlaskClient, accounts: dict[str, str], asaas: RunningServer,
        app: Flask) -> None:
    payment = _payment(asaas, "2025-03-10", "Ana Souza", "ana@example.com", 1234.56)
    base = _start(operator_client)
    operator_client.post(f"{base}/accounts", data={
        "payments_connection": accounts["asaas"], "email_connection": accounts["email"]})
    operator_client.post(f"{base}/steps", data=_days_form(("-5", EN), ("0", PT)))
    operator_client.post(f"{base}/finish", data={"name": "Régua", "enabled": "1", "go": "save"})
    with app.app_context():
        session = get_session()
        recipe = session.scalar(select(Recipe).where(Recipe.name == "Régua"))
        recipe_id = recipe.id
        session.add(Event(connection_id=recipe.trigger_connection_id, recipe_id=recipe.id, event_type="x",
                          dedupe_key=event_key(recipe, f"{payment['id']}:-5:2025-03-10"), payload={},
                          source="poll", dispatched_at=utcnow()))
        session.commit()
    response = operator_client.post(f"/automations/{recipe_id}/edit")
    page = operator_client.get(response.location, follow_redirects=True).get_data(as_text=True)
    assert "Asaas produção" in page  # the accounts screen (connect is not a collection-rule step)
    edit = response.location.rsplit("/", 1)[0]
    page = operator_client.get(f"{edit}/steps").get_data(as_text=True)
    assert re.findall(r'name="day_\d+" id="day_\d+" value="([^"]*)"', page) == ["-5", "0"]
    assert re.findall(r'<option value="(collection_[^"]+)" selected>', page) == [EN, PT]
    page = operator_client.get(f"{edit}/today").get_data(as_text=True)
    assert "sim: não será enviado de novo" in page
    operator_client.post(f"{edit}/steps", data=_days_form(("-5", EN), ("0", PT), ("3", PT)))
    operator_client.post(f"{edit}/finish", data={"name": "Régua", "enabled": "1", "go": "save"})
    with app.app_context():
        recipe = get_session().get(Recipe, recipe_id)
        assert recipe.version == 2 and recipe.definition["trigger"]["options"]["offsets"] == [-5, 0, 3]


def test_the_screens_speak_english_too(today: None, operator_client: FlaskClient, accounts: dict[str, str],
                                       asaas: RunningServer) -> None:
    _payment(asaas, "2025-03-10", "Ana Souza", "ana@example.com", 1234.56)
    operator_client.post("/locale", data={"locale": "en", "next": "/"})
    base = _start(operator_client)
    operator_client.post(f"{base}/accounts", data={
        "payments_connection": accounts["asaas"], "email_connection": accounts["email"]})
    operator_client.post(f"{base}/steps", data=_days_form(("-5", EN), ("1", PT), ("7", PT)))
    page = operator_client.get(f"{base}/steps").get_data(as_text=True)
    assert "5 days before the due date" in page and "1 day after the due date" in page
    assert "Reminder: your payment is due soon" in page and "Reminder in English" in page
    page = operator_client.get(f"{base}/today").get_data(as_text=True)
    assert "1 reminder due today." in page and "R$1,234.56" in page and "Mar 10, 2025" in page
    page = operator_client.get(f"{base}/finish").get_data(as_text=True)
    assert "on D-5, D+1, and D+7 (days from the due date)" in page
