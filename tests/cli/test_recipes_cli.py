"""``flask recipes validate | plan | apply | export | list``: recipes as code."""

from __future__ import annotations

import json

import yaml
from sqlalchemy import func, select

from app.db import get_session
from app.engine.recipes import save_recipe
from app.models import Recipe, RecipeVersion
from tests.cli.conftest import RECIPE, SECOND, Project, add_connections

BROKEN = RECIPE.replace("op: in", "op: among").replace("key: charge_to_doc", "key: broken")


def _recipes(project: Project) -> dict[str, Recipe]:
    with project.app.app_context():
        return {r.key: r for r in get_session().scalars(select(Recipe))}


def _versions(project: Project, key: str) -> int:
    with project.app.app_context():
        session = get_session()
        recipe = session.scalar(select(Recipe).where(Recipe.key == key))
        count = select(func.count()).select_from(RecipeVersion).where(RecipeVersion.recipe_id == recipe.id)
        return session.scalar(count)


def test_validate_ok_checks_connections_in_the_database(project: Project) -> None:
    missing = project.cli("recipes", "validate")
    assert missing.exit_code == 1
    assert "recipes/charge_to_doc.yaml:4: unknown connection 'asaas'" in missing.output
    offline = project.cli("recipes", "validate", "--offline")
    assert offline.exit_code == 0, offline.output
    assert "2 recipe(s) and 1 mapping(s) valid (connections not checked)" in offline.output
    add_connections(project.app)
    assert project.cli("recipes", "validate").exit_code == 0


def test_validate_prints_file_and_line_of_every_problem(project: Project) -> None:
    add_connections(project.app)
    project.write("recipes/broken.yaml", BROKEN)
    project.write("mappings/bad_map.yaml", "key: bad_map\naction: zapsign.nope\nfields: {a: 1}\n")
    project.write("recipes/syntax.yaml", "key: syntax\nname: [unclosed\n")
    result = project.cli("recipes", "validate", str(project.root))
    assert result.exit_code == 1
    assert "recipes/broken.yaml:7: filters.0.op: unknown operator 'among'" in result.output
    assert "mappings/bad_map.yaml:2: unknown action 'zapsign.nope'" in result.output
    assert "recipes/syntax.yaml:3: YAML syntax error" in result.output
    assert "Error: 3 problem(s) in 3 file(s)" in result.output


def test_validate_one_file_reports_only_that_file(project: Project) -> None:
    add_connections(project.app)
    project.write("recipes/broken.yaml", BROKEN)
    good = project.cli("recipes", "validate", str(project.recipes / "charge_to_doc.yaml"))
    assert good.exit_code == 0 and "ok: recipes/charge_to_doc.yaml valid" in good.output
    bad = project.cli("recipes", "validate", str(project.recipes / "broken.yaml"))
    assert bad.exit_code == 1 and bad.output.startswith("recipes/broken.yaml:7:")


def test_plan_shows_create_update_unchanged_and_disable(project: Project) -> None:
    add_connections(project.app)
    first = project.cli("recipes", "plan")
    assert first.exit_code == 0, first.output
    assert "create     charge_to_doc" in first.output and "create     signed_to_email" in first.output
    assert project.cli("recipes", "apply").exit_code == 0
    project.write("recipes/charge_to_doc.yaml", RECIPE.replace('"100,00"', '"150,00"'))
    (project.recipes / "signed_to_email.yaml").unlink()
    project.write("recipes/broken.yaml", BROKEN)
    result = project.cli("recipes", "plan")
    assert result.exit_code == 1
    assert "update     charge_to_doc  v1 -> v2" in result.output
    assert "-  value: 100,00" in result.output and "+  value: 150,00" in result.output
    assert "disable    signed_to_email  v1 (its file recipes/signed_to_email.yaml was removed" in result.output
    assert "invalid    broken" in result.output
    assert "recipes/broken.yaml:7: filters.0.op: unknown operator" in result.output
    assert "apply would refuse" in result.output
    (project.recipes / "broken.yaml").unlink()
    as_json = json.loads(project.cli("recipes", "plan", "--json").output)
    assert {c["key"]: c["action"] for c in as_json["changes"]} == {"charge_to_doc": "update",
                                                                    "signed_to_email": "disable"}
    assert _recipes(project)["charge_to_doc"].version == 1  # plan changed nothing


def test_plan_unchanged_after_apply(project: Project) -> None:
    add_connections(project.app)
    project.cli("recipes", "apply")
    result = project.cli("recipes", "plan")
    assert "unchanged  charge_to_doc  v1 (recipes/charge_to_doc.yaml)" in result.output
    assert "plan: 0 to create, 0 to update, 2 unchanged, 0 to disable, 0 invalid" in result.output


def test_apply_is_all_or_nothing(project: Project) -> None:
    add_connections(project.app)
    project.write("recipes/broken.yaml", BROKEN)
    result = project.cli("recipes", "apply")
    assert result.exit_code == 1
    assert "recipes/broken.yaml:7: filters.0.op: unknown operator 'among'" in result.output
    assert "nothing applied" in result.output
    assert _recipes(project) == {}


def test_apply_versions_changes_and_disables_removed_files(project: Project) -> None:
    add_connections(project.app)
    assert project.cli("recipes", "apply").exit_code == 0
    recipes = _recipes(project)
    assert recipes["charge_to_doc"].source == "file"
    assert recipes["charge_to_doc"].source_path == "recipes/charge_to_doc.yaml"
    project.write("mappings/charge_doc.yaml",
                  (project.mappings / "charge_doc.yaml").read_text().replace("tpl-1", "tpl-2"))
    (project.recipes / "signed_to_email.yaml").unlink()
    result = project.cli("recipes", "apply")
    assert result.exit_code == 0, result.output
    assert "applied: 0 created, 1 updated, 1 disabled" in result.output
    recipes = _recipes(project)
    assert recipes["charge_to_doc"].version == 2 and _versions(project, "charge_to_doc") == 2
    assert recipes["charge_to_doc"].definition["steps"][0]["input"]["template_id"] == "tpl-2"
    assert recipes["signed_to_email"].enabled is False and recipes["signed_to_email"].version == 1
    again = project.cli("recipes", "plan")
    assert "disable" not in again.output.split("plan:")[0]


def test_export_apply_round_trip_leaves_a_wizard_recipe_unchanged(project: Project) -> None:
    add_connections(project.app)
    (project.recipes / "charge_to_doc.yaml").unlink()
    (project.recipes / "signed_to_email.yaml").unlink()
    document = yaml.safe_load(SECOND.replace("signed_to_email", "wizard_made"))
    document["description"] = "Feito no assistente: R$ 1.234,56 — ção"
    document["steps"][0]["input"]["description"] = {"text": "Contrato {{ document.name }}"}
    with project.app.app_context():
        saved = save_recipe(get_session(), document, source="wizard")
        assert saved.errors == [] and saved.recipe.version == 1
        before = dict(saved.recipe.definition)
    target = project.recipes / "wizard_made.yaml"
    exported = project.cli("recipes", "export", "wizard_made", "--output", str(target))
    assert exported.exit_code == 0, exported.output
    plan = project.cli("recipes", "plan")
    assert "unchanged  wizard_made  v1" in plan.output and "becomes managed by this file" in plan.output
    assert project.cli("recipes", "apply").exit_code == 0
    recipe = _recipes(project)["wizard_made"]
    assert recipe.version == 1 and recipe.definition == before and _versions(project, "wizard_made") == 1
    assert recipe.source == "file" and recipe.source_path == "recipes/wizard_made.yaml"
    assert project.cli("recipes", "export", "wizard_made").output.split("\n", 1)[1] == \
        target.read_text().split("\n", 1)[1]


def test_export_errors_change_nothing(project: Project) -> None:
    missing = project.cli("recipes", "export", "nope")
    assert missing.exit_code == 1 and "no recipe 'nope'" in missing.output
    add_connections(project.app)
    project.cli("recipes", "apply")
    existing = project.recipes / "charge_to_doc.yaml"
    refused = project.cli("recipes", "export", "charge_to_doc", "--output", str(existing))
    assert refused.exit_code == 1 and "use --force" in refused.output
    assert existing.read_text() == RECIPE


def test_list_shows_source_version_trigger_and_last_run(project: Project) -> None:
    add_connections(project.app)
    project.cli("recipes", "apply")
    result = project.cli("recipes", "list")
    assert result.exit_code == 0
    assert "charge_to_doc\tenabled\tfile\tv1\tasaas.payment_created\tlast run: -" in result.output
    items = json.loads(project.cli("recipes", "list", "--json").output)
    assert [i["key"] for i in items] == ["charge_to_doc", "signed_to_email"]
