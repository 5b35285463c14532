"""Ops self-service in Chromium, in pt-BR and English: drafts that never 500, duplicate warnings,
switching off a file-managed automation.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select, update

from app.connections import create_connection
from app.db import get_session
from app.engine.recipes import save_recipe
from app.models import AlertSettings, Recipe, Run
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



TEXT = {
    "pt_BR": {"warning": "Isto já é feito", "confirm": "Ativar mesmo assim", "disable": "Desativar",
              "off": "desativada", "by": "Desativada por Otávio Operador", "saved": "Automação salva"},
    "en": {"warning": "Already being done", "confirm": "Activate anyway", "disable": "Disable",
           "off": "disabled", "by": "Switched off by Otávio Operador", "saved": "Automation saved"},
}


def _file_managed_seed(stack: Stack, key: str) -> int:
    """The shipped charge → contract recipe, applied from its file, on the sandbox connections."""
    from app.web.recipes_views import inline_mappings

    with stack.app.test_request_context():
        session = get_session()
        session.execute(update(Recipe).values(enabled=False))  # each test starts with nothing active
        session.commit()
        path = Path(stack.app.root_path).parent / "recipes" / "asaas_charge_to_contract.yaml"
        document = inline_mappings(yaml.safe_load(path.read_text(encoding="utf-8")))
        document["key"] = key
        document["trigger"]["connection"] = "Asaas sandbox"
        document["steps"][0]["connection"] = "ZapSign sandbox"
        result = save_recipe(session, document, source="file", source_path=f"recipes/{key}.yaml")
        assert result.errors == [] and result.recipe is not None
        return result.recipe.id


def _set_locale(page: Page, stack: Stack, locale: str) -> None:
    page.request.post(stack.ponte.url + "/locale", form={"locale": locale, "csrf_token": _token(page)})


@pytest.mark.parametrize("locale", ["pt_BR", "en"])
def test_rebuilding_an_active_automation_warns_with_a_link_and_needs_a_confirmation(
    browser: Browser, stack: Stack, connections: None, locale: str
) -> None:
    seed_id = _file_managed_seed(stack, f"shipped_contract_{locale.lower()}")
    page = login(browser, stack, OPERATOR)
    _set_locale(page, stack, locale)
    base = _start_charge_to_contract(page, stack)
    page.click("button[value=next]")  # the accounts: the only Asaas and ZapSign connections
    page.wait_for_url("**/filters")
    page.goto(base + "/finish")
    warning = page.locator("#duplicates")
    expect(warning).to_contain_text(TEXT[locale]["warning"])
    expect(warning.locator(f"a[href='/automations/{seed_id}']")).to_be_visible()
    stack.shot(page, f"duplicate-warning-{locale}")
    page.fill("#name", f"Contrato de novo {locale}")
    page.click("button[value=save]")
    expect(page.locator(".flash.error")).to_be_visible()  # not saved without the confirmation
    with stack.app.app_context():
        assert get_session().scalar(select(Recipe).where(Recipe.name == f"Contrato de novo {locale}")) is None
    page.locator("#duplicates label", has_text=TEXT[locale]["confirm"]).locator("input").check()
    page.click("button[value=save]")
    expect(page.locator(".flash.success")).to_contain_text(TEXT[locale]["saved"])
    with stack.app.app_context():
        assert get_session().scalar(select(Recipe).where(Recipe.name == f"Contrato de novo {locale}")).enabled
    page.context.close()


@pytest.mark.parametrize("locale", ["pt_BR", "en"])
def test_a_file_managed_automation_is_switched_off_from_the_list_and_the_plan_says_so(
    browser: Browser, stack: Stack, connections: None, locale: str
) -> None:
    key = f"shipped_switch_{locale.lower()}"
    seed_id = _file_managed_seed(stack, key)
    with stack.app.app_context():
        session = get_session()
        session.execute(update(Recipe).where(Recipe.id == seed_id).values(enabled=True))
        session.commit()
    page = login(browser, stack, OPERATOR)
    _set_locale(page, stack, locale)
    page.goto(stack.ponte.url + "/automations")
    row = page.locator("tr", has=page.locator(f"a[href='/automations/{seed_id}']"))
    row.locator("button", has_text=TEXT[locale]["disable"]).click()
    expect(row.locator(".badge")).to_have_text(TEXT[locale]["off"])
    page.goto(f"{stack.ponte.url}/automations/{seed_id}")
    expect(page.locator("#switched")).to_contain_text(TEXT[locale]["by"])
    stack.shot(page, f"switched-off-file-recipe-{locale}")
    with stack.app.app_context():
        recipe = get_session().get(Recipe, seed_id)
        assert recipe.enabled is False and recipe.switched_at is not None
    page.context.close()


REQUIRED = {"pt_BR": ("Obrigatório: digite um valor ou insira um campo do evento.", "Campos"),
            "en": ("Required: type a value or insert a field from the event.", "Fields")}


@pytest.mark.parametrize("locale", ["pt_BR", "en"])
def test_an_empty_required_template_variable_blocks_next_at_the_field(
    browser: Browser, stack: Stack, connections: None, locale: str
) -> None:
    page = login(browser, stack, OPERATOR)
    _set_locale(page, stack, locale)
    base = _start_charge_to_contract(page, stack)
    page.click("button[value=next]")
    page.wait_for_url("**/filters")
    page.goto(base + "/choices")
    page.select_option("select[name='c|0|template_id']", label="Contrato de prestação de serviços")
    page.click("button[value=next]")
    page.wait_for_url("**/map")
    row = page.locator(".map-row", has=page.locator("label", has_text="Nome completo do cliente"))
    row.locator("input.mappable").fill("")
    page.click("button[value=next]")
    expect(row.locator(".field-error")).to_have_text(REQUIRED[locale][0])
    expect(page.locator(".progress li.current")).to_contain_text(REQUIRED[locale][1])  # not moved on
    assert page.url.endswith("/map")
    stack.shot(page, f"required-field-{locale}")
    page.context.close()


LIVE = {"pt_BR": "esta página se atualiza sozinha", "en": "this page updates itself"}
BADGES = {"pt_BR": {"queued": "na fila", "succeeded": "sucesso", "filtered": "filtrada", "failed": "falhou",
                    "skipped": "ignorada"},
          "en": {"queued": "queued", "succeeded": "succeeded", "filtered": "filtered", "failed": "failed",
                 "skipped": "skipped"}}


@pytest.mark.parametrize("locale", ["pt_BR", "en"])
def test_the_run_page_follows_a_live_run_without_a_reload(
    browser: Browser, stack: Stack, connections: None, locale: str
) -> None:
    from app.engine.dispatch import dispatch_event
    from app.engine.executor import EmbeddedExecutor
    from app.models import Connection, Event

    _file_managed_seed(stack, f"shipped_live_{locale.lower()}")
    with stack.app.app_context():
        session = get_session()
        session.execute(update(Recipe).where(Recipe.key == f"shipped_live_{locale.lower()}").values(enabled=True))
        asaas = session.scalar(select(Connection).where(Connection.name == "Asaas sandbox"))
        event = Event(connection_id=asaas.id, dedupe_key=f"evt_live_{locale}", event_type="PAYMENT_CREATED",
                      payload={"id": f"evt_live_{locale}", "event": "PAYMENT_CREATED", "payment": {
                          "id": f"pay_live_{locale}", "customer": "cus_unknown", "value": 50.0, "billingType": "PIX",
                          "status": "PENDING", "dueDate": "2030-01-10"}})
        session.add(event)
        session.commit()
        [run_id] = dispatch_event(session, event)
        session.commit()
    page = login(browser, stack, OPERATOR)
    _set_locale(page, stack, locale)
    page.goto(f"{stack.ponte.url}/runs/{run_id}")
    expect(page.locator("#live-note")).to_contain_text(LIVE[locale])
    expect(page.locator("h1 .badge")).to_have_text(BADGES[locale]["queued"])
    EmbeddedExecutor(stack.app).run_until_idle()
    with stack.app.app_context():
        final = get_session().get(Run, run_id).status
    assert final in ("succeeded", "filtered", "failed", "skipped")
    expect(page.locator("#live-note")).to_have_count(0, timeout=10_000)  # the page noticed by itself
    expect(page.locator("h1 .badge")).to_have_text(BADGES[locale][final])
    stack.shot(page, f"run-live-{locale}")
    page.context.close()


ALERTS = {"pt_BR": ("Nenhuma conexão de e-mail está definida para os alertas", "Alertas",
                    "Configuração de alertas salva."),
          "en": ("No e-mail connection is set for alerts", "Alerts", "Alert settings saved.")}


@pytest.mark.parametrize("locale", ["pt_BR", "en"])
def test_alerts_are_set_up_from_the_dashboards_warning(browser: Browser, stack: Stack, connections: None,
                                                       locale: str) -> None:
    from tests.browser.conftest import ADMIN

    with stack.app.app_context():
        session = get_session()
        session.execute(update(AlertSettings).values(enabled=True, connection_id=None))
        session.commit()
    page = login(browser, stack, ADMIN)
    _set_locale(page, stack, locale)
    page.goto(stack.ponte.url + "/")
    if stack.app.config.get("SMTP_HOST") or _has_email_connection(stack):
        pytest.fail("this stack must start without any way to send e-mail")
    expect(page.locator("#alerts-problem")).to_contain_text(ALERTS[locale][0])
    page.locator("#alerts-problem a").click()
    expect(page.locator("h1")).to_have_text(ALERTS[locale][1])
    page.fill("#recipients", "financeiro@example.com")
    page.locator("#alerts-form button[type=submit]").click()
    expect(page.locator(".flash.success")).to_contain_text(ALERTS[locale][2])
    expect(page.locator("#alerts-problem")).to_contain_text(ALERTS[locale][0])  # still no way to send
    stack.shot(page, f"alerts-{locale}")
    page.context.close()


def _has_email_connection(stack: Stack) -> bool:
    from app.models import Connection

    with stack.app.app_context():
        return get_session().scalar(select(Connection.id).where(Connection.connector_key == "email")) is not None
