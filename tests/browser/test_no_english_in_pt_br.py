"""Every page of the wizard and of the run history, in pt-BR, shows no English.

The visible text of each page (what a person reads: raw data in ``<pre>``/``<code>`` blocks and
the user's own names aside) is checked against a list of English giveaways seen on these pages
before: button words, field labels from the connectors, engine messages.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page
from sqlalchemy import select

from app.db import get_session
from app.engine.dispatch import dispatch_event
from app.engine.executor import EmbeddedExecutor
from app.models import Connection, Event, Run
from tests.browser.conftest import OPERATOR, Stack, login
from tests.browser.test_ops_self_service import (
    _file_managed_seed,
    _start_charge_to_contract,
    connections,  # noqa: F401 (fixture)
)

pytestmark = pytest.mark.browser

GIVEAWAYS = (
    "Next", "Back", "Save", "Cancel", "Loading", "Preview", "Trigger", "Filters", "Fields", "Finish",
    "Accounts", "Choices", "Template", "required", "optional", "Internal Server Error", "Not Found",
    "API key", "API token", "Environment", "Base URL", "override", "Signer name", "Signer email",
    "Signer phone", "Language", "Folder", "External id", "true", "false", "gave up after", "use force",
    "cannot be read as", "attempt", "attempts", "Attempt", "succeeded", "failed", "filtered", "skipped",
    "queued", "running", "retrying", "Replay", "Run again", "Step", "Input", "Output", "Error",
    "Automation", "Created", "Finished", "Event received", "condition", "value", "field", "as is",
    "money", "number", "date", "digits only", "lower case", "upper case", "Enabled", "Name", "Description",
    "Recipe", "Download", "Edit", "Disable", "Enable", "or", "and", "Switched", "Already",
)
_WORDS = re.compile(r"\b(" + "|".join(re.escape(w) for w in GIVEAWAYS) + r")\b")
VISIBLE_TEXT = """() => {
  const clone = document.body.cloneNode(true);
  clone.querySelectorAll('pre, code, script, style, [hidden], details:not([open]) > :not(summary)')
       .forEach(e => e.remove());
  // the person's own data: automation names and descriptions as typed, the YAML, examples of events
  clone.querySelectorAll('input, textarea, .example, .chip, .step-summary, datalist').forEach(e => e.remove());
  document.body.appendChild(clone); clone.style.display = 'block';
  const text = clone.innerText; clone.remove(); return text;
}"""


def _english(page: Page) -> list[str]:
    text = page.evaluate(VISIBLE_TEXT)
    return sorted({m.group(0) for m in _WORDS.finditer(text)})


def test_wizard_and_run_pages_in_pt_br_show_no_english(browser: Browser, stack: Stack, connections: None) -> None:  # noqa: F811
    _file_managed_seed(stack, "shipped_pt_check")
    page = login(browser, stack, OPERATOR)
    found: dict[str, list[str]] = {}
    base = _start_charge_to_contract(page, stack)
    if words := _english(page):
        found["wizard/connect"] = words
    page.click("button[value=next]")  # the accounts, saved
    page.wait_for_url("**/filters")
    for step in ("filters", "choices", "map", "finish"):
        page.goto(f"{base}/{step}")
        page.wait_for_load_state("networkidle")
        if step == "choices":
            page.select_option("select[name='c|0|template_id']", label="Contrato de prestação de serviços")
            page.click("button[value=next]")
            page.wait_for_url("**/map")
            page.wait_for_load_state("networkidle")
            step = "map"
        if words := _english(page):
            found[f"wizard/{step}"] = words
    page.goto(stack.ponte.url + "/automations/new")
    page.locator("form.tile:has(input[value=blank])").locator("button").click()
    page.wait_for_url("**/trigger")
    if words := _english(page):
        found["wizard/trigger"] = words
    with stack.app.app_context():
        session = get_session()
        asaas = session.scalar(select(Connection).where(Connection.name == "Asaas sandbox"))
        event = Event(connection_id=asaas.id, dedupe_key="evt_pt_check", event_type="PAYMENT_CREATED",
                      payload={"id": "evt_pt_check", "event": "PAYMENT_CREATED", "payment": {
                          "id": "pay_pt_check", "customer": "cus_x", "value": 500.0, "billingType": "PIX",
                          "status": "PENDING", "dueDate": "2030-01-10"}})
        session.add(event)
        session.commit()
        dispatch_event(session, event)
        session.commit()
    EmbeddedExecutor(stack.app).run_until_idle()
    with stack.app.app_context():
        run_ids = list(get_session().scalars(select(Run.id)))
    for path in ["/runs", "/", *[f"/runs/{i}" for i in run_ids]]:
        page.goto(stack.ponte.url + path)
        if words := _english(page):
            found[path] = words
    page.context.close()
    assert found == {}, found
