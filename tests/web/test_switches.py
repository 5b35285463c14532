"""Switching automations on and off from the pages: recorded, and a duplicate needs a confirmation."""

from __future__ import annotations

import copy

from flask import Flask
from flask.testing import FlaskClient

from app.db import get_session
from app.engine.recipes import save_recipe
from app.models import Recipe


def _second_copy(app: Flask, recipe_id: int) -> int:
    with app.app_context():
        session = get_session()
        document = copy.deepcopy(session.get(Recipe, recipe_id).definition)
        document.update(key="charge_contract_copy", name="Cópia do contrato", enabled=False)
        result = save_recipe(session, document, source="file", source_path="recipes/charge_contract_copy.yaml")
        assert result.errors == []
        return result.recipe.id


def test_enabling_a_duplicate_asks_first_and_names_the_other_one(
    operator_client: FlaskClient, seeded: dict[str, int], app: Flask
) -> None:
    copy_id = _second_copy(app, seeded["recipe"])
    page = operator_client.get(f"/automations/{copy_id}").get_data(as_text=True)
    assert 'id="duplicates"' in page and f'href="/automations/{seeded["recipe"]}"' in page
    assert "Cobrança → contrato" in page and "Ativar mesmo assim" in page
    refused = operator_client.post(f"/automations/{copy_id}/enabled", data={"enabled": "1"}, follow_redirects=True)
    assert "Não ativada" in refused.get_data(as_text=True)
    with app.app_context():
        assert get_session().get(Recipe, copy_id).enabled is False
    operator_client.post(f"/automations/{copy_id}/enabled",
                         data={"enabled": "1", "confirm_duplicate": str(seeded["recipe"])})
    with app.app_context():
        assert get_session().get(Recipe, copy_id).enabled is True


def test_switching_off_is_always_allowed_and_recorded(
    operator_client: FlaskClient, seeded: dict[str, int], app: Flask, operator: object
) -> None:
    operator_client.post("/locale", data={"locale": "en"})
    answer = operator_client.post(f"/automations/{seeded['recipe']}/enabled", data={"enabled": "0", "back": "list"},
                                  follow_redirects=True)
    assert "Automation disabled." in answer.get_data(as_text=True)
    page = operator_client.get(f"/automations/{seeded['recipe']}").get_data(as_text=True)
    assert "Switched off by " in page
    with app.app_context():
        recipe = get_session().get(Recipe, seeded["recipe"])
        assert recipe.switched_by_id == operator.id  # type: ignore[attr-defined]
