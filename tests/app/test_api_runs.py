"""The runs and recipes API: history as data, replay, recipes saved, toggled, exported, previewed."""

from __future__ import annotations

import pytest
import yaml
from flask import Flask

from app.connections import create_connection
from app.db import get_session
from app.engine.recipes import save_recipe
from app.models import Run, Step, utcnow

RECIPE = {
    "key": "charge_contract", "name": "Charge → contract",
    "trigger": {"connection": "asaas", "event": "asaas.payment_created"},
    "filters": [{"field": "$.payment.value", "op": "greater", "value": 100}],
    "steps": [{"key": "contract", "action": "zapsign.create_document_from_template", "connection": "zapsign",
               "input": {"template_id": "tpl", "signer_name": {"path": "$.customer.name"}}}],
}


def _setup(app: Flask) -> int:
    with app.app_context():
        session = get_session()
        create_connection(session, connector_key="asaas", name="asaas",
                          values={"api_key": "$aact_hmlg_secret_key_123", "environment": "sandbox"})
        create_connection(session, connector_key="zapsign", name="zapsign",
                          values={"api_token": "zapsign-secret-token-1", "environment": "sandbox"})
        session.commit()
        recipe = save_recipe(session, RECIPE).recipe
        run = Run(recipe_id=recipe.id, recipe_version=1, status="failed", attempt=1, max_attempts=6,
                  error="contract: ZapSign refused the credentials", error_kind="config", created_at=utcnow(),
                  trigger_output={"payment": {"value": 150}, "customer": {"name": "Maria"}})
        session.add(run)
        session.flush()
        session.add(Step(run_id=run.id, position=0, key="trigger", action_key="asaas.payment_created",
                         status="succeeded", attempt=1, idempotency_key=f"ponte-{run.id}-0",
                         output={"payment": {"value": 150}}))
        session.add(Step(run_id=run.id, position=1, key="contract", action_key=RECIPE["steps"][0]["action"],
                         status="failed", attempt=1, idempotency_key=f"ponte-{run.id}-1",
                         error="ZapSign refused the credentials"))
        session.commit()
        return run.id


def test_runs_need_authentication(client) -> None:  # noqa: ANN001
    assert client.get("/api/runs").status_code == 401
    assert client.post("/api/runs/1/replay").status_code == 401


def test_runs_list_and_show_with_steps(app: Flask, client, operator) -> None:  # noqa: ANN001
    run_id = _setup(app)
    listed = client.get("/api/runs?status=failed", headers=operator.headers).json["runs"]
    assert [r["id"] for r in listed] == [run_id] and listed[0]["recipe"] == "charge_contract"
    assert client.get("/api/runs?status=bogus", headers=operator.headers).status_code == 400
    shown = client.get(f"/api/runs/{run_id}", headers=operator.headers).json
    assert [s["key"] for s in shown["steps"]] == ["trigger", "contract"]
    assert client.get("/api/runs/999", headers=operator.headers).status_code == 404


def test_replay_from_the_failed_step_copies_what_succeeded(app: Flask, client, operator) -> None:  # noqa: ANN001
    run_id = _setup(app)
    response = client.post(f"/api/runs/{run_id}/replay", json={"mode": "failed_step"}, headers=operator.headers)
    assert response.status_code == 201 and response.json["replay_of"] == run_id
    with app.app_context():
        steps = get_session().get(Run, response.json["id"]).steps
        by_key = {s.key: s for s in steps}
        assert by_key["trigger"].status == "succeeded"
        assert by_key["contract"].idempotency_key == f"ponte-{run_id}-1"  # same key: no second contract
    succeeded = client.post(f"/api/runs/{response.json['id']}/replay", headers=operator.headers)
    assert succeeded.status_code == 409  # a queued run is not replayable


def test_bulk_replay_reports_what_could_not_be_replayed(app: Flask, client, operator) -> None:  # noqa: ANN001
    run_id = _setup(app)
    response = client.post("/api/runs/replay", json={"ids": [run_id, 999]}, headers=operator.headers)
    assert response.status_code == 201
    assert len(response.json["replayed"]) == 1 and "999" in response.json["problems"][0]


@pytest.mark.parametrize("mode", [{}, "sideways", 3])
def test_bulk_replay_with_an_unknown_mode_is_a_422_not_a_conflict(app: Flask, client, operator,  # noqa: ANN001
                                                                  mode: object) -> None:
    run_id = _setup(app)
    response = client.post("/api/runs/replay", json={"ids": [run_id], "mode": mode}, headers=operator.headers)
    assert response.status_code == 422 and response.json["error"]["details"][0]["field"] == "mode"


def test_an_invalid_recipe_is_refused_with_every_problem(app: Flask, client, operator) -> None:  # noqa: ANN001
    _setup(app)
    bad = {**RECIPE, "key": "bad_one", "filters": [{"field": "$.x", "op": "nearly", "value": 1}],
           "trigger": {"connection": "nope", "event": "asaas.payment_created"}}
    response = client.post("/api/recipes", json=bad, headers=operator.headers)
    assert response.status_code == 422
    messages = " ".join(d["message"] for d in response.json["error"]["details"])
    assert "nearly" in messages and "nope" in messages


def test_recipes_toggle_export_and_preview(app: Flask, client, operator) -> None:  # noqa: ANN001
    _setup(app)
    off = client.patch("/api/recipes/charge_contract", json={"enabled": False}, headers=operator.headers)
    assert off.status_code == 200 and off.json["enabled"] is False
    exported = client.get("/api/recipes/charge_contract/export", headers=operator.headers)
    assert yaml.safe_load(exported.get_data(as_text=True))["key"] == "charge_contract"
    preview = client.post("/api/recipes/charge_contract/preview", headers=operator.headers,
                          json={"payload": {"payment": {"value": 50}, "customer": {"name": "Ana"}}}).json
    assert preview["filters"]["passed"] is False
    assert preview["steps"][0]["input"]["signer_name"] == "Ana"


def test_no_secret_in_any_runs_or_recipes_response(app: Flask, client, operator) -> None:  # noqa: ANN001
    run_id = _setup(app)
    for url in ("/api/runs", f"/api/runs/{run_id}", "/api/recipes", "/api/connectors"):
        body = client.get(url, headers=operator.headers).get_data(as_text=True)
        assert "$aact_hmlg_secret_key_123" not in body and "zapsign-secret-token-1" not in body


def test_activating_a_duplicate_recipe_is_a_409_until_confirmed(app: Flask, client, operator) -> None:  # noqa: ANN001
    _setup(app)
    copy = {**RECIPE, "key": "charge_contract_again", "name": "Again"}
    refused = client.post("/api/recipes", json=copy, headers=operator.headers)
    assert refused.status_code == 409 and refused.json["error"]["code"] == "duplicate_recipes"
    assert refused.json["error"]["details"][0]["key"] == "charge_contract"
    assert refused.json["error"]["details"][0]["url"] == "/api/recipes/charge_contract"
    assert client.get("/api/recipes/charge_contract_again", headers=operator.headers).status_code == 404
    disabled = client.post("/api/recipes", json={**copy, "enabled": False}, headers=operator.headers)
    assert disabled.status_code == 201  # saved switched off: nothing doubles
    switched_on = client.patch("/api/recipes/charge_contract_again", json={"enabled": True}, headers=operator.headers)
    assert switched_on.status_code == 409
    confirmed = client.patch("/api/recipes/charge_contract_again?confirm_duplicates=1", json={"enabled": True},
                             headers=operator.headers)
    assert confirmed.status_code == 200 and confirmed.json["enabled"] is True
    with app.app_context():
        from app.models import Recipe

        recipe = get_session().query(Recipe).filter_by(key="charge_contract_again").one()
        assert recipe.switched_by_id == operator.id and recipe.switched_at is not None
