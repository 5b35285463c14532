"""Wizard lookups: every page of templates, a template's variables."""

from __future__ import annotations

import pytest
import responses
from responses import matchers

from connectors.sdk import Context, PermanentError, TransientError
from connectors.zapsign.lookups import template_variables, templates

from .conftest import BASE


def _page(n: int, last: int, per_page: int = 20) -> dict:
    return {
        "count": (last - 1) * per_page + 3,
        "next": f"{BASE}/templates/?page={n + 1}" if n < last else None,
        "previous": f"{BASE}/templates/?page={n - 1}" if n > 1 else None,
        "results": [{"token": f"t{n}-{i}", "name": f"Modelo {n}-{i}", "active": i != 0}
                    for i in range(per_page if n < last else 3)],
    }


@responses.activate
def test_templates_follow_next_through_every_page(ctx: Context) -> None:
    for n in (1, 2, 3):
        responses.get(f"{BASE}/templates/", json=_page(n, 3),
                      match=[matchers.query_param_matcher({"page": str(n)})])
    options = templates(ctx, {})
    assert len(responses.calls) == 3
    assert len(options) == 19 + 19 + 2  # the first template of each page is inactive
    assert options[0] == {"value": "t1-1", "label": "Modelo 1-1", "active": True}
    assert len(templates(ctx, {"include_inactive": True})) == 43


@responses.activate
def test_template_variables_come_from_inputs_without_braces(ctx: Context) -> None:
    responses.get(f"{BASE}/templates/tpl/", json={"token": "tpl", "inputs": [
        {"variable": "{{CPF}}", "input_type": "input", "label": "", "help_text": "Somente números",
         "options": "", "required": True, "order": 2},
        {"variable": "{{NOME COMPLETO}}", "input_type": "input", "label": "Nome completo",
         "help_text": "", "options": "", "required": False, "order": 1},
    ]})
    assert template_variables(ctx, {"template_id": "tpl"}) == [
        {"value": "NOME COMPLETO", "label": "Nome completo", "required": False, "input_type": "input",
         "help_text": ""},
        {"value": "CPF", "label": "CPF", "required": True, "input_type": "input",
         "help_text": "Somente números"},
    ]


def test_template_variables_need_a_template(ctx: Context) -> None:
    with pytest.raises(PermanentError):
        template_variables(ctx, {})


@responses.activate
def test_template_variables_of_an_answer_that_is_not_a_template_is_a_transient_error(ctx: Context) -> None:
    responses.get(f"{BASE}/templates/tpl/", json=[{"variable": "CPF"}])
    with pytest.raises(TransientError, match="unexpected array"):
        template_variables(ctx, {"template_id": "tpl"})


@responses.activate
def test_templates_stop_at_a_next_that_is_not_a_url(ctx: Context) -> None:
    responses.get(f"{BASE}/templates/", json={**_page(1, 1), "next": 2})
    assert len(templates(ctx, {})) == 2
    assert len(responses.calls) == 1
