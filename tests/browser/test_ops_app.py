"""End to end in Chromium: connections, the charge → contract wizard, a real webhook, runs, replay.

The Asaas and ZapSign doubles answer the lookups and the actions; the executor runs inline
(``run_until_idle``) so the test decides when runs happen.
"""

from __future__ import annotations

import re
import time

import pytest
import requests
from playwright.sync_api import Browser, expect

from app.connections import create_connection
from app.db import get_session
from app.engine.executor import EmbeddedExecutor
from app.models import Connection
from sandbox import asaas as asaas_double
from sandbox import zapsign as zapsign_double
from tests.browser.conftest import ADMIN, OPERATOR, Stack, login

pytestmark = pytest.mark.browser


def run_executor(stack: Stack, *, settle: float = 0.0) -> int:
    """Execute everything due; with ``settle``, keep going while short retries come due."""
    executor = EmbeddedExecutor(stack.app)
    done = executor.run_until_idle()
    deadline = time.monotonic() + settle
    while time.monotonic() < deadline:
        time.sleep(0.2)
        done += executor.run_until_idle()
    return done


def new_payment(stack: Stack, name: str) -> dict:
    payment = requests.post(f"{stack.asaas.url}/_sandbox/payments", timeout=10, json={
        "customer": {"name": name, "cpfCnpj": "52998224725", "email": "marina@example.com.br"},
        "value": 1234.56, "billingType": "PIX"}).json()
    assert requests.post(f"{stack.asaas.url}/_sandbox/drain", timeout=20).json()["drained"]
    return payment


@pytest.fixture(scope="module")
def connections(stack: Stack) -> dict[str, str]:
    """Asaas and ZapSign connections pointing at the doubles; Asaas sends its webhooks to Ponte."""
    with stack.app.app_context():
        session = get_session()
        asaas = create_connection(session, connector_key="asaas", name="Asaas sandbox", values={
            "api_key": asaas_double.DEFAULT_API_KEY, "base_url": stack.asaas.url + "/v3"})
        create_connection(session, connector_key="zapsign", name="ZapSign sandbox", values={
            "api_token": zapsign_double.SANDBOX_TOKEN, "base_url": stack.zapsign.url + "/api/v1"})
        session.commit()
        token = asaas.get_credentials()["webhook_token"]
        url = f"{stack.ponte.url}/webhooks/{asaas.uid}"
    response = requests.post(f"{stack.asaas.url}/v3/webhooks", timeout=10, headers={
        "access_token": asaas_double.DEFAULT_API_KEY}, json={
        "url": url, "authToken": token, "sendType": "SEQUENTIALLY", "events": ["PAYMENT_CREATED"]})
    assert response.status_code == 200, response.text
    return {"asaas_url": url}


def test_connection_page_tests_live_and_hides_secrets(browser: Browser, stack: Stack,
                                                      connections: dict[str, str]) -> None:
    page = login(browser, stack, ADMIN)
    page.click("text=Conexões")
    page.click("text=ZapSign sandbox")
    expect(page.locator("#f_api_token")).to_have_value("")
    expect(page.locator("#f_webhook_secret")).to_have_attribute("placeholder", re.compile("definido"))
    page.click("text=Testar conexão")
    expect(page.locator("#test-result .test")).to_contain_text("ZapSign", timeout=10_000)
    page.click("text=Mostrar")
    expect(page.locator("#webhook-secret code.secret")).to_have_text(re.compile(r"^\w{48}$"))
    stack.shot(page, "connection")
    page.context.close()


def test_wizard_builds_the_charge_to_contract_automation_and_it_runs(
    browser: Browser, stack: Stack, connections: dict[str, str]
) -> None:
    page = login(browser, stack, ADMIN)
    page.click("text=Automações")
    page.click("text=+ Nova automação")
    stack.shot(page, "wizard-0-catalogue")
    page.locator("form.tile", has_text="Cobrança criada no Asaas → contrato no ZapSign").locator("button").click()

    expect(page.locator(".progress li.current")).to_contain_text("Contas")
    expect(page.locator("select[name=trigger_connection]")).to_have_value("Asaas sandbox")
    stack.shot(page, "wizard-1-accounts")
    page.click("button[value=next]")

    expect(page.locator(".progress li.current")).to_contain_text("Filtros")
    expect(page.locator("select[name=field-0]")).to_have_value("$.payment.billingType")
    stack.shot(page, "wizard-2-filters")
    page.click("button[value=next]")

    expect(page.locator(".progress li.current")).to_contain_text("Modelo")
    page.select_option("select[name='c|0|template_id']", label="Contrato de prestação de serviços")
    stack.shot(page, "wizard-3-template")
    page.click("button[value=next]")

    expect(page.locator(".progress li.current")).to_contain_text("Campos")
    expect(page.locator("label", has_text="Nome completo do cliente")).to_be_visible()  # live variables
    signer = page.locator("input[name='v|0|signer_name']")
    signer.fill("Sr(a). ")
    page.locator(".chip[data-insert='{{ customer.name }}']").first.click()
    expect(signer).to_have_value("Sr(a). {{ customer.name }}")
    expect(page.locator("#preview")).to_contain_text("Sr(a). Marina Costa Andrade", timeout=10_000)
    stack.shot(page, "wizard-4-fields")
    page.click("button[value=next]")

    expect(page.locator(".progress li.current")).to_contain_text("Concluir")
    page.fill("#name", "Contrato na cobrança")
    stack.shot(page, "wizard-5-finish")
    page.click("button[value=save]")
    expect(page.locator("#recipe-state")).to_have_text("ativada")
    expect(page.locator("#recipe-yaml")).to_contain_text("signer_name:")
    stack.shot(page, "recipe")

    payment = new_payment(stack, "Marina Costa Andrade")
    assert run_executor(stack) >= 1
    page.goto(stack.ponte.url + "/runs?q=" + payment["id"])
    row = page.locator("table.runs tbody tr").first
    expect(row).to_contain_text("sucesso")
    row.locator("td a").first.click()
    expect(page.locator("#step-0")).to_contain_text("Gatilho Asaas: Nova cobrança criada")
    expect(page.locator("#step-0 small[title='asaas.payment_created']")).to_be_visible()
    expect(page.locator("#step-1")).to_contain_text("sucesso")
    page.locator("#step-1 summary", has_text="Entrada").click()
    expect(page.locator("#step-1")).to_contain_text("Sr(a). Marina Costa Andrade")
    stack.shot(page, "run-succeeded")
    page.context.close()


def test_a_failed_run_is_replayed_from_the_failed_step(browser: Browser, stack: Stack,
                                                        connections: dict[str, str]) -> None:
    fault = {"method": "POST", "path": "/api/v1/models/create-doc/",
             "responses": [{"status": 400, "json": {"detail": "Modelo indisponível (simulado)."}}]}
    assert requests.post(f"{stack.zapsign.url}/_sandbox/faults", json=fault, timeout=10).ok
    payment = new_payment(stack, "Carla Falha")
    run_executor(stack)
    page = login(browser, stack, OPERATOR)
    page.goto(stack.ponte.url + "/runs?status=failed&q=" + payment["id"])
    page.locator("table.runs tbody tr td a").first.click()
    expect(page.locator("h1 .badge")).to_have_text("falhou")
    stack.shot(page, "run-failed")
    page.click("text=Reexecutar do passo que falhou")
    expect(page.locator(".flash.success")).to_contain_text("Reexecução enfileirada")
    run_executor(stack, settle=2.0)
    page.reload()
    expect(page.locator("h1 .badge")).to_have_text("sucesso")
    stack.shot(page, "run-replayed")
    page.context.close()


def test_operator_cannot_open_users(browser: Browser, stack: Stack) -> None:
    page = login(browser, stack, OPERATOR)
    expect(page.locator("header nav")).not_to_contain_text("Usuários")
    response = page.goto(stack.ponte.url + "/users")
    assert response is not None and response.status == 403
    page.context.close()


def test_a_form_posted_without_its_csrf_token_is_rejected(browser: Browser, stack: Stack) -> None:
    page = login(browser, stack, ADMIN)
    page.goto(stack.ponte.url + "/runs")
    page.evaluate("document.querySelectorAll('#bulk input[name=csrf_token]').forEach(e => e.remove())")
    with page.expect_response(lambda r: r.url.endswith("/runs/replay")) as answer:
        page.click("#bulk button[type=submit]")
    assert answer.value.status == 400
    page.context.close()


def test_pages_are_readable_on_a_phone(browser: Browser, stack: Stack) -> None:
    page = login(browser, stack, ADMIN, viewport={"width": 390, "height": 844}, is_mobile=True)
    page.goto(stack.ponte.url + "/runs")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, f"the run list scrolls sideways on a phone ({width}px)"
    stack.shot(page, "phone-runs")
    with stack.app.app_context():
        assert get_session().query(Connection).count() == 2
    page.context.close()
