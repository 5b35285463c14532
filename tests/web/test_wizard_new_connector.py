"""A connector Ponte has never heard of (MiniCRM, only under ``tests/``) is usable in the wizard from
its metadata alone: translated titles, a dropdown that depends on another field, fixed options with
labels, and its run summary in the run list, in pt-BR and in English."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.db import get_session
from app.engine.executor import EmbeddedExecutor
from app.engine.recipes import save_recipe
from app.models import Connection, Recipe, Run, User
from tests.conftest import Person
from tests.minicrm import CONNECTOR, TASKS
from tests.minicrm.registration import registered


@pytest.fixture
def crm(make_connection: Callable[..., int]) -> Iterator[int]:
    with registered(CONNECTOR):
        TASKS.clear()
        yield make_connection("minicrm", "CRM da equipe", api_key="crm-key-1234")


def _text(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def _deliver(client: FlaskClient, app: Flask, connection_id: int, deal_id: str) -> None:
    with app.app_context():
        connection = get_session().get(Connection, connection_id)
        assert connection is not None
        uid, secret = connection.uid, connection.get_credentials()["webhook_secret"]
    body = {"id": f"evt_{deal_id}", "event": "deal.won", "deal": {
        "id": deal_id, "title": "Plano anual", "value": 1234.56, "contact": {"name": "Ana Souza"}}}
    response = client.post(f"/webhooks/{uid}", data=json.dumps(body), content_type="application/json",
                           headers={"X-MiniCRM-Secret": secret})
    assert response.status_code == 200, response.get_data(as_text=True)


def test_a_test_only_connector_goes_through_the_wizard_and_its_runs_read_well(
        operator_client: FlaskClient, operator: Person, crm: int, app: Flask) -> None:
    response = operator_client.post("/automations/new", data={"template": "blank"})
    base = response.location.rsplit("/", 1)[0]
    page = _text(operator_client, f"{base}/trigger")
    assert "MiniCRM: Negócio ganho" in page and "MiniCRM: Criar tarefa de acompanhamento" in page
    operator_client.post(f"{base}/trigger", data={"event": "minicrm.deal_won", "action": "minicrm.create_task",
                                                  "go": "next"})
    assert operator_client.post(f"{base}/connect", data={
        "trigger_connection": "CRM da equipe", "step_connection_0": "CRM da equipe", "go": "next"}
    ).location == f"{base}/filters"
    assert operator_client.post(f"{base}/filters", data={"go": "next"}).location == f"{base}/choices"

    page = _text(operator_client, f"{base}/choices")  # the field the stage depends on comes first
    assert "Funil" in page and ">Vendas<" in page and ">Renovações<" in page
    assert operator_client.post(f"{base}/choices", data={"c|0|pipeline": "renewals", "go": "next"}
                                ).location == f"{base}/map"

    page = _text(operator_client, f"{base}/map")
    assert ">Lembrete de renovação<" in page and "Proposta enviada" not in page  # the renewals' stages only
    assert '<option value="high" >Urgente</option>' in page.replace("  ", " ")
    assert "Título da tarefa" in page and "O que a pessoa deve fazer." in page
    operator_client.post(f"{base}/map", data={
        "v|0|stage": "reminder", "v|0|priority": "high", "v|0|title": "Ligar para {{ deal.contact.name }}",
        "f|0|title": "", "go": "next"})
    saved = operator_client.post(f"{base}/finish", data={"name": "Negócio ganho → tarefa", "enabled": "1",
                                                          "go": "save"})
    assert saved.status_code == 302 and "/automations/" in saved.location
    with app.app_context():
        recipe = get_session().scalar(select(Recipe).where(Recipe.name == "Negócio ganho → tarefa"))
        assert recipe is not None and recipe.enabled
        step = recipe.definition["steps"][0]
        assert step["input"]["pipeline"] == "renewals" and step["input"]["priority"] == "high"

    _deliver(operator_client, app, crm, "deal_7")
    EmbeddedExecutor(app).run_until_idle()
    assert [(t["pipeline"], t["stage"], t["priority"], t["title"]) for t in TASKS] == [
        ("renewals", "reminder", "high", "Ligar para Ana Souza")]
    assert "R$\xa01.234,56 · Ana Souza · deal_7" in _text(operator_client, "/runs")

    with app.app_context():
        session = get_session()
        user = session.get(User, operator.id)
        assert user is not None
        user.locale = "en"
        session.commit()
    assert "R$1,234.56 · Ana Souza · deal_7" in _text(operator_client, "/runs")
    recipe_page = _text(operator_client, "/automations")
    assert "MiniCRM: Deal won" in recipe_page


def test_the_dependent_dropdown_waits_for_the_field_it_depends_on(
        operator_client: FlaskClient, operator: Person, crm: int, app: Flask) -> None:
    with app.app_context():
        session = get_session()
        user = session.get(User, operator.id)
        assert user is not None
        user.locale = "en"
        session.commit()
    base = operator_client.post("/automations/new", data={"template": "blank"}).location.rsplit("/", 1)[0]
    operator_client.post(f"{base}/trigger", data={"event": "minicrm.deal_won", "action": "minicrm.create_task"})
    operator_client.post(f"{base}/connect", data={"trigger_connection": "CRM da equipe",
                                                  "step_connection_0": "CRM da equipe"})
    page = _text(operator_client, f"{base}/map")  # no pipeline yet: no stage options, and a hint why
    assert "Choose Pipeline first to see the options." in page and "Renewal reminder" not in page
    assert ">Urgent<" in page and "Task title" in page
    page = _text(operator_client, f"{base}/choices")
    assert ">Sales<" in page and ">Renewals<" in page and "Listed live from the MiniCRM account" in page


def test_the_run_page_shows_each_steps_summary(operator_client: FlaskClient, crm: int, app: Flask) -> None:
    with app.app_context():
        session = get_session()
        result = save_recipe(session, {"key": "deal_task", "name": "Deal → task",
                                       "trigger": {"connection": "CRM da equipe", "event": "minicrm.deal_won"},
                                       "steps": [{"key": "task", "action": "minicrm.create_task",
                                                  "connection": "CRM da equipe",
                                                  "input": {"pipeline": "sales", "stage": "proposal",
                                                            "title": "Enviar proposta"}}]}, source="wizard")
        assert not result.errors
        session.commit()
    _deliver(operator_client, app, crm, "deal_8")
    EmbeddedExecutor(app).run_until_idle()
    with app.app_context():
        run = get_session().scalar(select(Run).order_by(Run.id.desc()))
        assert run is not None and run.status == "succeeded"
    page = _text(operator_client, f"/runs/{run.id}")
    assert "R$\xa01.234,56 · Ana Souza · deal_8" in page
    assert f"Enviar proposta · tarefa {TASKS[-1]['id']}" in page


def test_the_choices_screen_takes_only_the_properties_it_offers(
        operator_client: FlaskClient, crm: int, app: Flask) -> None:
    base = operator_client.post("/automations/new", data={"template": "blank"}).location.rsplit("/", 1)[0]
    operator_client.post(f"{base}/trigger", data={"event": "minicrm.deal_won", "action": "minicrm.create_task"})
    operator_client.post(f"{base}/choices", data={"c|0|pipeline": "sales", "c|0|title": "typed elsewhere",
                                                  "c|0|api_key": "x", "go": "next"})
    page = _text(operator_client, f"{base}/finish")
    assert "pipeline: sales" in page and "typed elsewhere" not in page and "api_key" not in page
