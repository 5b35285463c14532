"""A person's on/off switch survives ``recipes apply`` (and the plan says so); apply refuses to
activate a recipe that duplicates an active one unless ``--allow-duplicates``."""

from __future__ import annotations

import json

import yaml
from sqlalchemy import select

from app.db import get_session
from app.engine.recipes import save_recipe, set_enabled
from app.models import Recipe, User
from tests.cli.conftest import RECIPE, Project, add_connections


def _recipe(project: Project, key: str) -> Recipe:
    with project.app.app_context():
        return get_session().scalar(select(Recipe).where(Recipe.key == key))


def _switch_off_as(project: Project, key: str, email: str) -> None:
    with project.app.app_context():
        session = get_session()
        user = User(email=email, name="Ana", password_hash="x", role="operator")
        session.add(user)
        session.flush()
        set_enabled(session, session.scalar(select(Recipe).where(Recipe.key == key)), False, by=user.id)


def test_a_recipe_switched_off_in_the_ui_stays_off_when_its_file_is_applied(project: Project) -> None:
    add_connections(project.app)
    assert project.cli("recipes", "apply").exit_code == 0
    _switch_off_as(project, "charge_to_doc", "ana@example.com")
    plan = project.cli("recipes", "plan", "--offline")
    assert plan.exit_code == 0, plan.output
    assert "unchanged  charge_to_doc" in plan.output
    assert "switched off in the UI by ana@example.com at " in plan.output
    assert "the file says enabled: true; apply keeps it off" in plan.output
    as_json = json.loads(project.cli("recipes", "plan", "--offline", "--json").output)
    change = next(c for c in as_json["changes"] if c["key"] == "charge_to_doc")
    assert change["switch"]["enabled"] is False and change["switch"]["by"] == "ana@example.com"
    applied = project.cli("recipes", "apply")
    assert applied.exit_code == 0, applied.output
    assert "apply keeps it off" in applied.output
    assert _recipe(project, "charge_to_doc").enabled is False
    # A change to the file is applied, and the switch is still kept.
    project.write("recipes/charge_to_doc.yaml", RECIPE.replace("Charge → document", "Charge → contract"))
    assert project.cli("recipes", "apply").exit_code == 0
    recipe = _recipe(project, "charge_to_doc")
    assert recipe.name == "Charge → contract" and recipe.enabled is False and recipe.version == 2


def test_apply_refuses_to_activate_a_duplicate_of_an_active_recipe(project: Project) -> None:
    add_connections(project.app)
    (project.recipes / "signed_to_email.yaml").unlink()
    document = yaml.safe_load(RECIPE.replace("charge_to_doc", "wizard_copy"))
    document["steps"][0].pop("mapping")
    document["steps"][0]["input"] = {"template_id": "tpl-1", "signer_name": {"path": "$.customer.name"}}
    with project.app.app_context():
        assert save_recipe(get_session(), document, source="wizard").errors == []
    plan = project.cli("recipes", "plan", "--offline")
    assert "duplicate: active 'wizard_copy' (Charge → document) runs the same " \
           "zapsign.create_document_from_template" in plan.output
    refused = project.cli("recipes", "apply")
    assert refused.exit_code == 1
    assert "charge_to_doc: would run alongside active 'wizard_copy'" in refused.output
    assert "--allow-duplicates" in refused.output and "nothing applied" in refused.output
    assert _recipe(project, "charge_to_doc") is None
    allowed = project.cli("recipes", "apply", "--allow-duplicates")
    assert allowed.exit_code == 0, allowed.output
    assert _recipe(project, "charge_to_doc").enabled is True


def test_a_disabled_file_recipe_is_no_duplicate(project: Project) -> None:
    add_connections(project.app)
    (project.recipes / "signed_to_email.yaml").unlink()
    project.write("recipes/charge_to_doc.yaml", RECIPE.replace("name:", "enabled: false\nname:"))
    with project.app.app_context():
        document = yaml.safe_load(RECIPE.replace("charge_to_doc", "wizard_copy"))
        document["steps"][0].pop("mapping")
        document["steps"][0]["input"] = {"template_id": "tpl-1", "signer_name": "x"}
        assert save_recipe(get_session(), document, source="wizard").errors == []
    assert project.cli("recipes", "apply").exit_code == 0
