"""Ops self-service in Chromium, in pt-BR and English: drafts that never 500, duplicate warnings,
switching off a file-managed automation.
"""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Browser, Page, expect

from app.connections import create_connection
from app.db import get_session
from sandbox import asaas as asaas_double
from sandbox import zapsign as zapsign_double
from tests.browser.conftest import OPERATOR, Stack, login

pytestmark = pytest.mark.browser

CONCURRENT_SAVES = """async ([base, n]) => {
  const token = JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRFToken'];
  const post = (path, fields) => fetch(base + path, {method: 'POST', headers: {'X-CSRFToken': token},
      body: new URLSearchParams(fields)}).then(r => r.status, () => 0);
  const calls = [];
  for (let i = 0; i < n; i++) {
    calls.push(i % 2
      ? post('/preview', {'v|0|signer_name': 'Sr(a). ' + i + ' {{ customer.name }}'})
      : post('/map', {'v|0|signer_name': 'Sr(a). ' + i + ' {{ customer.name }}', 'go': 'next'}));
  }
  return Promise.all(calls);
}"""


@pytest.fixture(scope="module")
def connections(stack: Stack) -> None:
    with stack.app.app_context():
        session = get_session()
        create_connection(session, connector_key="asaas", name="Asaas sandbox", values={
            "api_key": asaas_double.DEFAULT_API_KEY, "base_url": stack.asaas.url + "/v3"})
        create_connection(session, connector_key="zapsign", name="ZapSign sandbox", values={
            "api_token": zapsign_double.SANDBOX_TOKEN, "base_url": stack.zapsign.url + "/api/v1"})
        session.commit()


def _start_charge_to_contract(page: Page, stack: Stack) -> str:
    page.goto(stack.ponte.url + "/automations/new")
    page.locator("form.tile:has(input[value=asaas_charge_to_contract])").locator("button").click()
    page.wait_for_url("**/connect")
    return page.url.rsplit("/", 1)[0]


@pytest.mark.parametrize("locale", ["pt_BR", "en"])
def test_forty_concurrent_draft_saves_never_answer_5xx(browser: Browser, stack: Stack, connections: None,
                                                       locale: str) -> None:
    page = login(browser, stack, OPERATOR)
    page.request.post(stack.ponte.url + "/locale", form={"locale": locale, "csrf_token": _token(page)})
    base = _start_charge_to_contract(page, stack)
    page.goto(base + "/map")
    statuses = page.evaluate(CONCURRENT_SAVES, [base.replace(stack.ponte.url, ""), 40])
    assert len(statuses) == 40
    assert all(200 <= s < 400 for s in statuses), statuses
    page.goto(base + "/map")
    # one of the saves, whole: never a mix of two, never an empty field
    expect(page.locator("input[name='v|0|signer_name']")).to_have_value(
        re.compile(r"^Sr\(a\)\. \d+ \{\{ customer\.name \}\}$"))
    page.context.close()


def _token(page: Page) -> str:
    return json.loads(page.locator("body").get_attribute("hx-headers") or "{}")["X-CSRFToken"]

