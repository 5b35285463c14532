"""A connection tested on save, in Chromium: a typed key survives another field's error, a refused
key is saved only with "Salvar mesmo assim", and then shows as in error in the list and the wizard."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from app.connections import create_connection
from app.db import get_session
from sandbox import zapsign as zapsign_double
from tests.browser.conftest import ADMIN, Stack, login

pytestmark = pytest.mark.browser

WRONG_KEY = "$aact_hmlg_chave-errada-digitada-pela-pessoa"
GOOD_TOKEN = "Wq7rTzK0pLm4Xv9bNc2hYd6sFa8jRe1uGt5kQwZx"  # what Asaas accepts as a webhook token


@pytest.fixture(scope="module")
def tested_on_save(stack: Stack) -> Iterator[None]:
    stack.app.config["CONNECTION_TEST_ON_SAVE"] = True
    with stack.app.app_context():
        session = get_session()
        create_connection(session, connector_key="zapsign", name="ZapSign conntest", values={
            "api_token": zapsign_double.SANDBOX_TOKEN, "base_url": stack.zapsign.url + "/api/v1"})
        session.commit()
    yield
    stack.app.config["CONNECTION_TEST_ON_SAVE"] = False


def test_a_refused_key_saved_anyway_is_flagged_in_the_list_and_the_wizard(
    browser: Browser, stack: Stack, tested_on_save: None
) -> None:
    page = login(browser, stack, ADMIN)
    page.goto(stack.ponte.url + "/connections/new?connector=asaas")
    page.fill("#name", "Asaas com chave errada")
    page.fill("#f_api_key", WRONG_KEY)
    page.fill("#f_base_url", stack.asaas.url + "/v3")
    page.fill("#f_webhook_token", "curto")  # invalid: Asaas wants 32 characters or more
    page.click("form button[type=submit].primary")

    expect(page.locator(".field.invalid #f_webhook_token")).to_be_visible()
    expect(page.locator("#f_api_key")).to_have_value(WRONG_KEY)  # the typed secret survived
    stack.shot(page, "conntest-secret-survives")

    page.fill("#f_webhook_token", GOOD_TOKEN)
    page.click("form button[type=submit].primary")
    failed = page.locator("#test-failed")
    expect(failed).to_contain_text("Não salva: o serviço recusou a conexão.")
    expect(failed).to_contain_text("O serviço recusou a chave ou a senha")
    expect(failed).to_contain_text("invalid_access_token")  # the service's own answer, beside it
    expect(page.locator("#f_api_key")).to_have_value(WRONG_KEY)
    stack.shot(page, "conntest-refused")

    page.get_by_role("button", name="Salvar mesmo assim").click()
    page.wait_for_url("**/connections/*")
    expect(page.locator(".flash.error, .flash")).to_contain_text(["salva com erro"])
    page.goto(stack.ponte.url + "/connections")
    row = page.locator("tr", has_text="Asaas com chave errada")
    expect(row.locator(".connection-in-error")).to_have_text("com erro")
    expect(row).to_contain_text("O serviço recusou a chave ou a senha")
    assert WRONG_KEY not in page.content()
    stack.shot(page, "conntest-listed-in-error")

    page.goto(stack.ponte.url + "/automations/new")
    page.locator("form.tile:has(input[value=asaas_charge_to_contract])").locator("button").click()
    page.wait_for_url("**/connect")
    picker = page.locator("#trigger_connection")
    picker.select_option("Asaas com chave errada")
    expect(picker.locator("option[data-in-error='1']")).to_have_text("⚠ Asaas com chave errada (com erro)")
    page.locator("#step_connection_0").select_option("ZapSign conntest")
    page.click("button[name=go][value=next]")
    expect(page.locator(".flash.error")).to_contain_text("A conta “Asaas com chave errada” está com erro")
    page.check("#use-in-error")
    page.click("button[name=go][value=next]")
    page.wait_for_url("**/filters")
    page.context.close()
