"""The wizard's test step in Chromium, in pt-BR and English: a real Asaas charge (delivered by the Asaas
double's webhook), its mapped input, the confirmation, and exactly one document in the ZapSign double
however often the send is clicked or resubmitted.
"""

from __future__ import annotations

import json
import re

import pytest
import requests
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import func, select

from app.connections import create_connection
from app.db import get_session
from app.models import Event, Run
from sandbox import asaas as asaas_double
from sandbox import zapsign as zapsign_double
from tests.browser.conftest import OPERATOR, Stack, login
from tests.browser.test_no_english_in_pt_br import _english

pytestmark = pytest.mark.browser

TEXT = {
    "pt_BR": {"send": "Enviar de verdade…", "confirm": "Enviar de verdade?", "yes": "Sim, enviar de verdade",
              "sent": "Enviado de verdade.", "account": "com a conta “ZapSign sandbox”"},
    "en": {"send": "Send for real…", "confirm": "Send for real?", "yes": "Yes, send for real",
           "sent": "Sent for real.", "account": "with the account “ZapSign sandbox”"},
}
# Three more sends of the confirmed form at once, as a double click and a resubmitted form would.
RESUBMIT = """async ([url, fields]) => {
  const token = JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRFToken'];
  const post = () => fetch(url, {method: 'POST', headers: {'X-CSRFToken': token, 'HX-Request': 'true'},
      body: new URLSearchParams(fields)}).then(r => r.status, () => 0);
  return Promise.all([post(), post(), post()]);
}"""


@pytest.fixture(scope="module")
def connections(stack: Stack) -> None:
    """Asaas and ZapSign connections on the doubles; the Asaas double sends its webhooks to Ponte."""
    with stack.app.app_context():
        session = get_session()
        asaas = create_connection(session, connector_key="asaas", name="Asaas sandbox", values={
            "api_key": asaas_double.DEFAULT_API_KEY, "base_url": stack.asaas.url + "/v3"})
        create_connection(session, connector_key="zapsign", name="ZapSign sandbox", values={
            "api_token": zapsign_double.SANDBOX_TOKEN, "base_url": stack.zapsign.url + "/api/v1"})
        session.commit()
        token, url = asaas.get_credentials()["webhook_token"], f"{stack.ponte.url}/webhooks/{asaas.uid}"
    response = requests.post(f"{stack.asaas.url}/v3/webhooks", timeout=10, headers={
        "access_token": asaas_double.DEFAULT_API_KEY}, json={
        "url": url, "authToken": token, "sendType": "SEQUENTIALLY", "events": ["PAYMENT_CREATED"]})
    assert response.status_code == 200, response.text


def _real_charge(stack: Stack, name: str) -> dict:
    payment = requests.post(f"{stack.asaas.url}/_sandbox/payments", timeout=10, json={
        "customer": {"name": name, "cpfCnpj": "52998224725", "email": "cliente@example.com.br"},
        "value": 1234.56, "billingType": "BOLETO"}).json()
    assert requests.post(f"{stack.asaas.url}/_sandbox/drain", timeout=20).json()["drained"]
    with stack.app.app_context():  # Ponte stored the delivery as an event (nothing ran it: no executor here)
        assert get_session().scalar(select(func.count()).select_from(Event)
                                    .where(Event.payload["payment"]["id"].as_string() == payment["id"])) == 1
    return payment


def _documents(stack: Stack) -> list[dict]:
    return requests.get(f"{stack.zapsign.url}/_sandbox/state", timeout=10).json()["documents"]


def _token(page: Page) -> str:
    return json.loads(page.locator("body").get_attribute("hx-headers") or "{}")["X-CSRFToken"]


@pytest.mark.parametrize("locale", ["pt_BR", "en"])
def test_a_real_charge_is_tested_and_creates_exactly_one_document(
    browser: Browser, stack: Stack, connections: None, locale: str
) -> None:
    name = f"Marina Teste {locale}"
    payment = _real_charge(stack, name)
    page = login(browser, stack, OPERATOR)
    page.request.post(stack.ponte.url + "/locale", form={"locale": locale, "csrf_token": _token(page)})
    page.goto(stack.ponte.url + "/automations/new")
    page.locator("form.tile:has(input[value=asaas_charge_to_contract])").locator("button").click()
    page.wait_for_url("**/connect")
    base = page.url.rsplit("/", 1)[0]
    page.click("button[value=next]")  # the only Asaas and ZapSign connections
    page.wait_for_url("**/filters")
    page.goto(base + "/finish")

    chooser = page.locator("#test-sample")
    expect(chooser.locator("option").first).to_contain_text(payment["id"])  # the newest real event
    panel = page.locator("#test-panel")
    expect(panel.locator("[data-field=signer_name] dd")).to_contain_text(name)
    expect(panel.locator("[data-field='variables.VALOR'] dd")).to_contain_text("R$ 1.234,56")
    expect(panel.locator("[data-field='variables.CPF'] dd")).to_contain_text("529.982.247-25")
    stack.shot(page, f"wizard-test-input-{locale}")
    assert locale != "pt_BR" or not _english(page), _english(page)

    before = len(_documents(stack))
    page.get_by_role("button", name=TEXT[locale]["send"]).click()
    confirm = page.locator(".test-confirm")
    expect(confirm).to_contain_text(TEXT[locale]["confirm"])
    expect(confirm.locator(".test-intents li").first).to_contain_text(TEXT[locale]["account"])
    expect(confirm.locator(".test-intents li").first).to_contain_text(name)
    assert len(_documents(stack)) == before  # nothing is sent before the confirmation
    key = confirm.locator("input[name=key]").get_attribute("value")
    sample = confirm.locator("input[name=sample]").get_attribute("value")
    stack.shot(page, f"wizard-test-confirm-{locale}")
    assert locale != "pt_BR" or not _english(page), _english(page)

    # ZapSign takes a while to answer this create, so the other sends arrive while it is under way.
    assert requests.post(f"{stack.zapsign.url}/_sandbox/faults", timeout=10, json={
        "method": "POST", "path": "/api/v1/models/create-doc/", "responses": [{"delay": 1.5}]}).ok
    page.locator("#test-confirm").dblclick()
    # and three more sends of the same form at once, while the first may still be under way
    statuses = page.evaluate(RESUBMIT, [base.replace(stack.ponte.url, "") + "/test/send",
                                        {"key": key, "sample": sample}])
    assert statuses == [200, 200, 200]
    expect(panel.locator(".test-result")).to_contain_text(TEXT[locale]["sent"], timeout=20_000)
    expect(panel.locator(".test-outcome a").first).to_have_attribute("href", re.compile(
        re.escape(_documents(stack)[-1]["signers"][0]["token"])))  # the signing link of the new document
    stack.shot(page, f"wizard-test-sent-{locale}")
    assert locale != "pt_BR" or not _english(page), _english(page)
    documents = _documents(stack)
    assert len(documents) == before + 1
    assert documents[-1]["external_id"] == f"{key}-1" and documents[-1]["signers"][0]["name"] == name
    with stack.app.app_context():
        assert get_session().scalar(select(func.count()).select_from(Run)) == 0  # a test is not a run
    page.context.close()
