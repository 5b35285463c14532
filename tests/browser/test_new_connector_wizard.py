"""End to end in Chromium with a connector Ponte's code has never heard of: MiniCRM, registered by
this test only. The wizard offers its trigger and action in Portuguese, lists the pipelines live,
shows only the chosen pipeline's stages, labels the fixed priorities; a real webhook runs the saved
automation and the run list shows the trigger's own one-line summary."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
import requests
from playwright.sync_api import Browser, expect

from app.connections import create_connection
from app.db import get_session
from app.engine.executor import EmbeddedExecutor
from tests.browser.conftest import OPERATOR, Stack, login
from tests.minicrm import CONNECTOR, TASKS
from tests.minicrm.registration import registered

pytestmark = pytest.mark.browser

ACCOUNT = "CRM da equipe"


@pytest.fixture(scope="module")
def crm(stack: Stack) -> Iterator[tuple[str, str]]:
    """MiniCRM in the registry for this module, and one connection: (webhook URL, secret)."""
    with registered(CONNECTOR):
        TASKS.clear()
        with stack.app.app_context():
            session = get_session()
            connection = create_connection(session, connector_key="minicrm", name=ACCOUNT,
                                           values={"api_key": "crm-key-1234"})
            session.commit()
            yield f"{stack.ponte.url}/webhooks/{connection.uid}", connection.get_credentials()["webhook_secret"]


def test_a_new_connector_is_usable_in_the_wizard_in_portuguese(
        browser: Browser, stack: Stack, crm: tuple[str, str]) -> None:
    page = login(browser, stack, OPERATOR)
    page.click("text=Automações")
    page.click("text=+ Nova automação")
    page.locator("form.tile", has_text="Automação em branco").locator("button").click()

    expect(page.locator("#event option[value='minicrm.deal_won']")).to_have_text("MiniCRM: Negócio ganho")
    expect(page.locator("#action option[value='minicrm.create_task']")).to_have_text(
        "MiniCRM: Criar tarefa de acompanhamento")
    page.select_option("#event", "minicrm.deal_won")
    page.select_option("#action", "minicrm.create_task")
    page.click("button[value=next]")

    expect(page.locator(".progress li.current")).to_contain_text("Contas")
    page.select_option("select[name=trigger_connection]", ACCOUNT)
    page.select_option("select[name=step_connection_0]", ACCOUNT)
    page.click("button[value=next]")
    expect(page.locator(".progress li.current")).to_contain_text("Filtros")
    page.click("button[value=next]")

    expect(page.locator(".progress li.current")).to_contain_text("Funil")
    pipeline = page.locator("select[name='c|0|pipeline']")
    expect(pipeline.locator("option")).to_have_text(["escolha…", "Vendas", "Renovações"])
    pipeline.select_option(label="Renovações")
    stack.shot(page, "minicrm-1-pipeline")
    page.click("button[value=next]")

    expect(page.locator(".progress li.current")).to_contain_text("Campos")
    stage = page.locator("select[name='v|0|stage']")
    expect(stage.locator("option")).to_have_text(["—", "Lembrete de renovação", "Renovação assinada"])
    stage.select_option(label="Lembrete de renovação")
    priority = page.locator("select[name='v|0|priority']")
    expect(priority.locator("option")).to_have_text(["—", "Baixa", "Normal", "Urgente"])
    priority.select_option(label="Urgente")
    expect(page.locator("label[for='v|0|title']")).to_contain_text("Título da tarefa")
    title = page.locator("input[name='v|0|title']")
    title.fill("Ligar para ")
    page.locator(".chip[data-insert='{{ deal.contact.name }}']").first.click()
    expect(page.locator("#preview")).to_contain_text("Ligar para Ana Souza", timeout=10_000)
    stack.shot(page, "minicrm-2-fields")
    page.click("button[value=next]")

    expect(page.locator(".progress li.current")).to_contain_text("Concluir")
    page.fill("#name", "Negócio ganho → tarefa")
    page.click("button[value=save]")
    expect(page.locator("#recipe-state")).to_have_text("ativada")

    url, secret = crm
    body = {"id": "evt_42", "event": "deal.won", "deal": {"id": "deal_42", "title": "Plano anual",
                                                          "value": 1234.56, "contact": {"name": "Ana Souza"}}}
    response = requests.post(url, data=json.dumps(body), timeout=10, headers={
        "Content-Type": "application/json", "X-MiniCRM-Secret": secret})
    assert response.status_code == 200, response.text
    assert EmbeddedExecutor(stack.app).run_until_idle() >= 1
    assert [(t["pipeline"], t["stage"], t["priority"], t["title"]) for t in TASKS] == [
        ("renewals", "reminder", "high", "Ligar para Ana Souza")]

    page.goto(stack.ponte.url + "/runs")
    row = page.locator("table.runs tbody tr").first
    expect(row).to_contain_text("sucesso")
    expect(row).to_contain_text(re.compile(r"R\$\s1\.234,56 · Ana Souza · deal_42"))
    stack.shot(page, "minicrm-3-runs")
    page.context.close()
