"""End to end in Chromium: the collection-rule wizard (accounts, reminder steps with a template per
day, who gets what today from the Asaas double), saved and enabled; the next poll sends each
customer the e-mail of their step to a real SMTP server.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
import requests
from playwright.sync_api import Browser, expect

from app.connections import create_connection
from app.db import get_session
from app.engine.executor import EmbeddedExecutor
from app.engine.polling import poll_all
from connectors.asaas.reminders import today_in_brazil
from sandbox import asaas as asaas_double
from tests.browser.conftest import OPERATOR, Stack, login
from tests.smtp_server import SmtpServer

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture(scope="module")
def connections(stack: Stack, smtp: SmtpServer) -> None:
    with stack.app.app_context():
        session = get_session()
        create_connection(session, connector_key="asaas", name="Asaas sandbox", values={
            "api_key": asaas_double.DEFAULT_API_KEY, "base_url": stack.asaas.url + "/v3"})
        create_connection(session, connector_key="email", name="E-mail financeiro", values={
            "host": smtp.host, "port": smtp.port, "security": "none", "from_address": "financeiro@example.com",
            "timeout_seconds": 5})
        session.commit()


def _payment(stack: Stack, name: str, email: str, value: float, due: str) -> None:
    response = requests.post(f"{stack.asaas.url}/_sandbox/payments", timeout=10, json={
        "customer": {"name": name, "email": email}, "value": value, "dueDate": due, "billingType": "BOLETO"})
    assert response.ok, response.text


def test_collection_rule_wizard_previews_today_and_the_saved_rule_sends(
        browser: Browser, stack: Stack, connections: None, smtp: SmtpServer) -> None:
    today = today_in_brazil()
    in_five, yesterday = today + timedelta(days=5), today - timedelta(days=1)
    _payment(stack, "Ana Souza", "ana@example.com", 1234.56, in_five.isoformat())  # D-5 today
    _payment(stack, "Bruno Lima", "bruno@example.com", 80.5, yesterday.isoformat())  # D+1 today

    page = login(browser, stack, OPERATOR)
    page.click("text=Automações")
    page.click("text=+ Nova automação")
    rule_tile = page.locator("form.tile", has_text="Régua de cobrança: lembretes de vencimento por e-mail")
    rule_tile.locator("button").click()

    expect(page.locator(".progress li.current")).to_contain_text("Contas")
    page.select_option("select[name=payments_connection]", "Asaas sandbox")
    page.select_option("select[name=email_connection]", "E-mail financeiro")
    stack.shot(page, "collection-1-accounts")
    page.click("button[value=next]")

    expect(page.locator(".progress li.current")).to_contain_text("Etapas da régua")
    days = page.locator("input.day")
    expect(days).to_have_count(4)
    assert [days.nth(i).input_value() for i in range(4)] == ["-5", "0", "1", "7"]
    page.click("button[value=add]")
    expect(days).to_have_count(5)
    days.nth(4).fill("7")
    page.click("button[value=next]")
    expect(page.locator(".flash.error")).to_have_text("D+7 aparece duas vezes; deixe só uma.")
    days.nth(4).fill("3")
    page.select_option("select[name=template_2]", label="Lembrete em inglês")  # D+1 in English
    stack.shot(page, "collection-2-steps")
    page.click("button[value=next]")

    expect(page.locator(".progress li.current")).to_contain_text("Textos dos lembretes")
    page.click("button[value=next]")  # the texts as the templates have them

    expect(page.locator(".progress li.current")).to_contain_text("Quem recebe o quê hoje")
    rows = page.locator("#today tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text(re.compile(
        rf"D-5\s+Ana Souza\s+ana@example.com\s+R\$ 1\.234,56\s+{in_five:%d/%m/%Y}\s+Lembrete em português"))
    expect(rows.nth(1)).to_contain_text(re.compile(
        rf"D\+1\s+Bruno Lima\s+bruno@example.com\s+R\$ 80,50\s+{yesterday:%d/%m/%Y}\s+Lembrete em inglês"))
    stack.shot(page, "collection-3-today")
    page.click("button[value=next]")

    expect(page.locator(".progress li.current")).to_contain_text("Concluir")
    expect(page.locator("#description")).to_have_value(re.compile(r"D-5, D0, D\+1, D\+3 e D\+7"))
    page.fill("#name", "Régua da loja")
    stack.shot(page, "collection-4-finish")
    page.click("button[value=save]")
    expect(page.locator("#recipe-state")).to_have_text("ativada")
    expect(page.locator("#recipe-yaml")).to_contain_text("asaas.payment_due_reminder")
    expect(page.locator("#recipe-yaml")).to_contain_text(re.compile(r"offsets:\s+- -5\s+- 0\s+- 1\s+- 3\s+- 7"))
    page.context.close()

    with stack.app.app_context():
        [result] = poll_all(get_session())
        assert (result.error, result.stored) == (None, 2)
    EmbeddedExecutor(stack.app).run_until_idle()
    sent = {m.rcpt_tos[0]: m.message["Subject"] for m in smtp.messages}
    assert sent == {"ana@example.com": "Lembrete: sua cobrança vence em breve",
                    "bruno@example.com": "Overdue payment: please settle it"}
