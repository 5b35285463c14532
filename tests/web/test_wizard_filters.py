"""The filter screen with the Flask test client, in pt-BR and English: labelled fields with examples,
operators by kind, value dropdowns, money and dates typed the page's way, nested groups, round trips."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.db import get_session
from app.models import WizardDraft
from tests.web.test_wizard import _start, lookups  # noqa: F401 (fixture)

NESTED = [
    {"field": "$.payment.status", "op": "equals", "value": "PENDING"},
    {"field": "$.payment.value", "op": "greater_or_equal", "value": 1234.56, "type": "number"},
    {"field": "$.payment.dueDate", "op": "between", "value": ["2025-03-01", "2025-03-31"], "type": "date"},
    {"any": [{"field": "$.payment.externalReference", "op": "is_empty"},
             {"field": "$.payment.externalReference", "op": "not_starts_with", "value": "ponte-"}]},
]
TEXT = {
    "pt_BR": {"status": "Status da cobrança", "pending": "Aguardando pagamento", "money": "1.234,56",
              "from": "01/03/2025", "to": "31/03/2025", "any": "qualquer uma destas", "op": "é igual a",
              "advanced": "outro caminho (avançado)", "example": "Valor da cobrança (R$ 1.234,56)"},
    "en": {"status": "Payment status", "pending": "Pending", "money": "1,234.56",
           "from": "03/01/2025", "to": "03/31/2025", "any": "any of these", "op": "equals",
           "advanced": "another path (advanced)", "example": "Payment value (R$1,234.56)"},
}


def _filters(client: FlaskClient, locale: str) -> str:
    client.post("/locale", data={"locale": locale})
    base = _start(client, "asaas_charge_to_contract")
    client.post(f"{base}/connect", data={"trigger_connection": "asaas", "step_connection_0": "zapsign"})
    return base


def _form(locale: str, **extra: Any) -> dict[str, Any]:
    text = TEXT[locale]
    return {"mode": "all",
            "row-0": "c", "field-0": "$.payment.status", "op-0": "equals", "value-0": "PENDING",
            "row-1": "c", "field-1": "$.payment.value", "op-1": "greater_or_equal", "value-1": text["money"],
            "row-2": "c", "field-2": "$.payment.dueDate", "op-2": "between", "value-2": text["from"],
            "value2-2": text["to"],
            "row-3": "g", "mode-3": "any",
            "row-3-0": "c", "field-3-0": "$.payment.externalReference", "op-3-0": "is_empty",
            "row-3-1": "c", "field-3-1": "$.payment.externalReference", "op-3-1": "not_starts_with",
            "value-3-1": "ponte-", **extra}


def _document(app: Flask, base: str) -> dict[str, Any]:
    with app.app_context():
        return dict(get_session().get(WizardDraft, base.rsplit("/", 1)[1]).data["document"])


@pytest.mark.parametrize("locale", ["pt_BR", "en"])
def test_the_screen_offers_labelled_fields_with_examples_and_stores_canonical_values(
    operator_client: FlaskClient, seeded: dict[str, int], lookups: list[Any], app: Flask, locale: str  # noqa: F811
) -> None:
    text = TEXT[locale]
    base = _filters(operator_client, locale)
    page = operator_client.get(f"{base}/filters").get_data(as_text=True)
    assert f"{text['example']}</option>" in page  # the last real event's value, as the page writes money
    assert f"<option value=\"__other\" >{text['advanced']}</option>" in page
    assert operator_client.post(f"{base}/filters", data=_form(locale, go="next")).status_code == 302
    assert _document(app, base)["filters"] == NESTED
    page = operator_client.get(f"{base}/filters").get_data(as_text=True)
    # Shown back the page's way: the status by its label, money and dates typed as here.
    assert f'<option value="PENDING" selected>{text["pending"]}</option>' in page
    assert f'value="{text["money"]}"' in page and f'value="{text["from"]}"' in page and f'value="{text["to"]}"' in page
    assert f'<option value="any" selected>{text["any"]}</option>' in page
    assert "BOLETO" not in re.sub(r'value="[^"]*"', "", page)  # codes only as values, never as words


def test_operators_follow_the_field_kind(
    operator_client: FlaskClient, seeded: dict[str, int], lookups: list[Any]  # noqa: F811
) -> None:
    base = _filters(operator_client, "en")
    operator_client.post(f"{base}/filters", data={"mode": "all", "row-0": "c", "field-0": "$.payment.value",
                                                  "op-0": "starts_with", "edit": "refresh"})
    page = operator_client.get(f"{base}/filters").get_data(as_text=True)
    ops = re.search(r'<select name="op-0".*?</select>', page, re.S)
    assert ops is not None
    assert 'value="greater"' in ops.group(0) and 'value="starts_with"' not in ops.group(0)
    assert '<span class="unit">R$</span>' in page  # money is typed in reais
    operator_client.post(f"{base}/filters", data={"mode": "all", "row-0": "c", "field-0": "$.payment.deleted",
                                                  "op-0": "greater", "edit": "refresh"})
    page = operator_client.get(f"{base}/filters").get_data(as_text=True)
    ops = re.search(r'<select name="op-0".*?</select>', page, re.S)
    assert ops is not None and 'value="is_true"' in ops.group(0) and 'value="greater"' not in ops.group(0)
    assert 'name="value-0"' not in page  # yes/no needs no value


def test_an_existing_recipe_opens_with_the_rows_it_was_saved_with(
    operator_client: FlaskClient, seeded: dict[str, int], lookups: list[Any], app: Flask  # noqa: F811
) -> None:
    base = _filters(operator_client, "pt_BR")
    operator_client.post(f"{base}/filters", data=_form("pt_BR", go="next"))
    with app.app_context():
        session = get_session()
        draft = session.get(WizardDraft, base.rsplit("/", 1)[1])
        draft.data = {**draft.data, "filter_tree": None}  # as a fresh "edit" draft has: only the document
        session.commit()
    page = operator_client.get(f"{base}/filters").get_data(as_text=True)
    assert page.count('<fieldset class="group"') == 1 and 'name="row-3-1"' in page
    assert '<option value="is_empty" selected>' in page and 'value="ponte-"' in page
    # Posting the page back unchanged stores the very same filters.
    operator_client.post(f"{base}/filters", data=_form("pt_BR"))
    assert _document(app, base)["filters"] == NESTED


def test_a_hand_written_condition_the_picker_cannot_show_is_kept_as_an_advanced_row(
    operator_client: FlaskClient, seeded: dict[str, int], lookups: list[Any], app: Flask  # noqa: F811
) -> None:
    base = _filters(operator_client, "pt_BR")
    operator_client.post(f"{base}/filters", data={
        "mode": "all", "row-0": "c", "field-0": "__other", "path-0": "payment.description", "op-0": "greater",
        "value-0": "10", "type-0": "number"})
    page = operator_client.get(f"{base}/filters").get_data(as_text=True)
    assert '<option value="__other" selected>' in page and 'value="payment.description"' in page
    assert _document(app, base)["filters"] == [
        {"field": "$.payment.description", "op": "greater", "value": "10", "type": "number"}]
