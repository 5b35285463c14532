"""The filter screen in Chromium: a person builds "status is pending, value at least R$ 1.234,56, and
(no external reference, or it does not start with ponte-)" by picking fields from the list, saves
it, and finds the same rows when editing the automation again."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from app.db import get_session
from app.models import Recipe
from tests.browser.conftest import OPERATOR, Stack, login
from tests.browser.test_no_english_in_pt_br import _english
from tests.browser.test_ops_self_service import (
    _set_locale,
    _start_charge_to_contract,
    connections,  # noqa: F401 (fixture)
)

pytestmark = pytest.mark.browser

EXPECTED: list[dict[str, Any]] = [
    {"field": "$.payment.status", "op": "equals", "value": "PENDING"},
    {"field": "$.payment.value", "op": "greater_or_equal", "value": 1234.56, "type": "number"},
    {"any": [{"field": "$.payment.externalReference", "op": "is_empty"},
             {"field": "$.payment.externalReference", "op": "not_starts_with", "value": "ponte-"}]},
]
TEXT = {"pt_BR": {"status": "Status da cobrança", "pending": "Aguardando pagamento", "value": "Valor da cobrança",
                  "reference": "Referência externa da cobrança", "money": "1.234,56",
                  "all": "todas estas", "any": "qualquer uma destas"},
        "en": {"status": "Payment status", "pending": "Pending", "value": "Payment value",
               "reference": "Payment external reference", "money": "1,234.56",
               "all": "all of these", "any": "any of these"}}


@contextmanager
def _refreshed(page: Page) -> Iterator[None]:
    """Wait until htmx has swapped in the rows it fetched again after a field or an operator changed
    (its afterSettle event), so the next action never lands on the rows being replaced."""
    page.evaluate("""() => { window.__settled = false; document.body.addEventListener('htmx:afterSettle',
                      () => { window.__settled = true; }, {once: true}); }""")
    yield
    page.wait_for_function("() => window.__settled === true")


def _submit(page: Page, value: str) -> None:
    """A plain form button (add, remove): wait for the page it leads to, not a leftover of this one."""
    with page.expect_navigation():
        page.click(f"button[value='{value}']")


def _pick_field(page: Page, row: str, label: str) -> None:
    """Choose a field by its label, as a person reads it in the list (the example follows it)."""
    option = page.locator(f"#field-{row} option", has_text=re.compile("^" + re.escape(label) + " \\("))
    with _refreshed(page):
        page.select_option(f"#field-{row}", label=option.inner_text())


def _pick_operator(page: Page, row: str, op: str) -> None:
    with _refreshed(page):
        page.select_option(f"#op-{row}", op)


@pytest.mark.parametrize("locale", ["pt_BR", "en"])
def test_a_person_builds_a_nested_filter_from_the_field_list_and_edits_it_again(
    browser: Browser, stack: Stack, connections: None, locale: str  # noqa: F811
) -> None:
    text = TEXT[locale]
    page = login(browser, stack, OPERATOR)
    _set_locale(page, stack, locale)
    base = _start_charge_to_contract(page, stack)
    page.click("button[value=next]")
    page.wait_for_url("**/filters")
    for left in (5, 4, 3, 2, 0):  # the template's own conditions: four rows, then a group of two
        _submit(page, "del:0")
        expect(page.locator(".condition")).to_have_count(left)
    page.select_option("#mode", label=text["all"])  # the sentence: "... matches all of these:"

    _submit(page, "add")
    _pick_field(page, "0", text["status"])
    expect(page.locator("select#value-0 option", has_text=text["pending"])).to_have_count(1)  # a dropdown
    page.select_option("#value-0", label=text["pending"])

    _submit(page, "add")
    _pick_field(page, "1", text["value"])
    expect(page.locator("#op-1 option[value=starts_with]")).to_have_count(0)  # operators for money only
    _pick_operator(page, "1", "greater_or_equal")
    page.fill("#value-1", text["money"])

    _submit(page, "add-group")
    expect(page.locator("#mode-2")).to_have_value("any")
    expect(page.locator("#mode-2 option:checked")).to_have_text(text["any"])
    _pick_field(page, "2-0", text["reference"])
    _pick_operator(page, "2-0", "is_empty")
    expect(page.locator("#value-2-0")).to_have_count(0)  # "is empty" needs no value
    _pick_field(page, "2-1", text["reference"])
    _pick_operator(page, "2-1", "not_starts_with")
    page.fill("#value-2-1", "ponte-")
    stack.shot(page, f"filters-nested-{locale}")
    if locale == "pt_BR":
        assert _english(page) == []

    page.click("button[value=next]")
    page.wait_for_url(re.compile(r".*/(choices|map)$"))
    page.goto(base + "/finish")
    page.fill("#name", f"Cobranças sem referência Ponte {locale}")
    page.click("button[value=save]")
    page.wait_for_url(re.compile(r".*/automations/\d+$"))
    with stack.app.app_context():
        recipe = get_session().scalar(select(Recipe).where(Recipe.name == f"Cobranças sem referência Ponte {locale}"))
        assert recipe is not None and recipe.definition["filters"] == EXPECTED
        recipe.enabled = False  # the other locale's run must not meet it as a duplicate
        get_session().commit()

    page.locator("form[action$='/edit'] button").click()  # edit it again: the same rows
    page.wait_for_url(re.compile(r".*/wizard/.*"))
    page.goto(page.url.rsplit("/", 1)[0] + "/filters")
    expect(page.locator("#field-0")).to_have_value("$.payment.status")
    expect(page.locator("#value-0")).to_have_value("PENDING")
    expect(page.locator("#value-1")).to_have_value(text["money"])
    expect(page.locator("#mode-2")).to_have_value("any")
    expect(page.locator("#op-2-0")).to_have_value("is_empty")
    expect(page.locator("#value-2-1")).to_have_value("ponte-")
    if locale == "pt_BR":
        assert _english(page) == []
    page.context.close()
