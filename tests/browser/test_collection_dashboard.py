"""In Chromium: the collection dashboard (figures from the Asaas double, the SVG charts, the CSV
download in pt-BR and English) and the reminder texts edited in the wizard with their live preview,
saved and sent to a real SMTP server with the edited words."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
import requests
from playwright.sync_api import Browser, expect

from app.collection import dashboard_data
from app.connections import create_connection
from app.db import get_session
from app.engine.executor import EmbeddedExecutor
from app.engine.polling import poll_all
from connectors.asaas.reminders import today_in_brazil
from sandbox import asaas as asaas_double
from tests.browser.conftest import OPERATOR, Stack, login
from tests.browser.test_no_english_in_pt_br import _english
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
        create_connection(session, connector_key="asaas", name="Asaas loja", values={
            "api_key": asaas_double.DEFAULT_API_KEY, "base_url": stack.asaas.url + "/v3"})
        create_connection(session, connector_key="email", name="E-mail cobrança", values={
            "host": smtp.host, "port": smtp.port, "security": "none", "from_address": "cobranca@example.com",
            "timeout_seconds": 5})
        session.commit()


def _payment(stack: Stack, name: str, value: float, days_from_today: int, *, then: str | None = None) -> str:
    due = (today_in_brazil() + timedelta(days=days_from_today)).isoformat()
    payment = requests.post(f"{stack.asaas.url}/_sandbox/payments", timeout=10, json={
        "customer": {"name": name, "email": f"{name.split()[0].lower()}@example.com"}, "value": value,
        "dueDate": due, "billingType": "BOLETO"}).json()
    if then:
        requests.post(f"{stack.asaas.url}/_sandbox/payments/{payment['id']}/{then}", timeout=10).raise_for_status()
    return str(payment["id"])


def test_dashboard_shows_the_figures_and_downloads_the_csv(browser: Browser, stack: Stack, connections: None) -> None:
    requests.post(f"{stack.asaas.url}/_sandbox/reset", timeout=10)
    dashboard_data.forget()
    _payment(stack, "Ana Souza", 1234.56, 5)                     # open
    bruno = _payment(stack, "Bruno Lima", 80.5, -3, then="overdue")   # 3 days late
    _payment(stack, "Carla Dias", 99.99, -20, then="overdue")    # 20 days late
    _payment(stack, "Davi Reis", 10.0, -1, then="pay")           # paid today, 1 day late

    page = login(browser, stack, OPERATOR)
    page.click("nav >> text=Cobrança")
    expect(page.locator("h1")).to_have_text("Cobrança")
    expect(page.locator("#open-total")).to_have_text("R$ 1.234,56")
    expect(page.locator("#overdue-total")).to_have_text("R$ 180,49")
    expect(page.locator("#average-days")).to_have_text("1,0")
    expect(page.locator("#recovery-rate")).to_have_text("—")  # no reminder sent yet
    rows = page.locator("#aging tbody tr")
    expect(rows.nth(0)).to_contain_text(re.compile(r"1 a 15 dias\s*1\s*R\$ 80,50"))
    expect(rows.nth(1)).to_contain_text(re.compile(r"16 a 30 dias\s*1\s*R\$ 99,99"))
    expect(page.locator("#aging-chart rect")).to_have_count(4)
    expect(page.locator("#attention-empty")).to_be_visible()  # no rule yet: nobody is past its last step
    stack.shot(page, "collection-dashboard")
    assert _english(page) == []

    with page.expect_download() as info:
        page.click("#csv")
    download = info.value
    assert re.fullmatch(r"cobranca-\d{4}-\d{2}-\d{2}\.csv", download.suggested_filename)
    with open(download.path(), encoding="utf-8-sig") as downloaded:
        text = downloaded.read()
    lines = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert lines[0][:4] == ["Cobrança", "Cliente", "Valor (R$)", "Vencimento"]
    row = next(line for line in lines if line[0] == bruno)
    assert row[2] == "80,50" and row[4:7] == ["vencida", "3", "1 a 15 dias"]
    assert len(lines) == 4  # the header and the three open payments

    _payment(stack, "Eva Melo", 5.0, 2)  # a new payment is not seen until "Atualizar"
    page.reload()
    expect(page.locator("#open-total")).to_have_text("R$ 1.234,56")
    page.click("#refresh")
    expect(page.locator("#open-total")).to_have_text("R$ 1.239,56")

    page.context.close()


def test_edited_reminder_text_is_previewed_live_and_sent(browser: Browser, stack: Stack, connections: None,
                                                          smtp: SmtpServer) -> None:
    in_five = today_in_brazil() + timedelta(days=5)
    requests.post(f"{stack.asaas.url}/_sandbox/payments", timeout=10, json={
        "customer": {"name": "Fábio Nunes", "email": "fabio@example.com"}, "value": 321.0,
        "dueDate": in_five.isoformat(), "billingType": "BOLETO"}).raise_for_status()

    page = login(browser, stack, OPERATOR)
    page.goto(stack.ponte.url + "/automations/new")
    rule_tile = page.locator("form.tile", has_text="Régua de cobrança: lembretes de vencimento por e-mail")
    rule_tile.locator("button").click()
    page.select_option("select[name=payments_connection]", "Asaas loja")
    page.select_option("select[name=email_connection]", "E-mail cobrança")
    page.click("button[value=next]")
    page.click("button[value=next]")  # the shipped days

    expect(page.locator(".progress li.current")).to_contain_text("Textos dos lembretes")
    preview = page.locator("#preview--5")
    expect(preview).to_contain_text("Lembrete: sua cobrança vence em breve")
    page.fill("#subject_-5", "Falta pouco para o vencimento")
    body = page.locator("#body_-5")
    body.fill("Oi {{ name }}, a fatura de ")
    body.press("End")
    page.locator(".reminder-text[data-day='-5'] .chip", has_text="amount").click()
    body.press("End")
    body.type(" vence em {{ due_date }}. <i>Obrigado</i>!")
    expect(preview).to_contain_text("Falta pouco para o vencimento")
    expect(preview).to_contain_text(
        "Oi Marina Costa Andrade, a fatura de R$ 450,00 vence em 10/03/2025. <i>Obrigado</i>!")
    expect(preview.locator("i")).to_have_count(0)  # typed HTML is shown, not run

    body.type(" {{ multa }}")
    expect(page.locator("#err-body_-5")).to_contain_text("{{ multa }} não é um marcador aqui")
    page.click("button[value=next]")
    expect(page.locator(".flash.error")).to_contain_text("Alguns textos dos lembretes precisam de ajuste")
    expect(page.locator("#body_-5")).to_have_value(re.compile(r"\{\{ multa \}\}$"))  # kept as typed
    page.fill("#body_-5", page.locator("#body_-5").input_value().replace(" {{ multa }}", ""))
    expect(page.locator("#err-body_-5")).to_have_text("")
    stack.shot(page, "collection-texts")
    assert _english(page) == []
    page.click("button[value=next]")

    expect(page.locator(".progress li.current")).to_contain_text("Quem recebe o quê hoje")
    page.click("button[value=next]")
    page.fill("#name", "Régua com texto próprio")
    page.click("button[value=save]")
    expect(page.locator("#recipe-state")).to_have_text("ativada")
    page.context.close()

    with stack.app.app_context():
        poll_all(get_session())
    EmbeddedExecutor(stack.app).run_until_idle()
    [mail] = [m for m in smtp.messages if m.rcpt_tos == ["fabio@example.com"]]
    assert mail.message["Subject"] == "Falta pouco para o vencimento"
    html = mail.body("html") or ""
    assert f"Oi Fábio Nunes, a fatura de R$ 321,00 vence em {in_five:%d/%m/%Y}. &lt;i&gt;Obrigado&lt;/i&gt;!" in html
