"""Recipe files waiting for a connection: listed by plan, said by apply, applied when it is created."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask import Flask
from sqlalchemy import select

from app.auth import create_user
from app.db import get_db, get_session
from app.models import Base, Recipe
from tests.cli.conftest import ASAAS_KEY, MAPPING, RECIPE, SECOND, Project


def _stored(project: Project) -> dict[str, str]:
    with project.app.app_context():
        return {r.key: r.source for r in get_session().scalars(select(Recipe))}


def _create(project: Project, connector: str, name: str, *values: str) -> str:
    args = [a for v in values for a in ("--set", v)]
    result = project.cli("connections", "create", "--connector", connector, "--name", name, *args)
    assert result.exit_code == 0, result.output
    return result.output


def test_plan_lists_waiting_recipes_and_apply_says_so_in_one_line(project: Project) -> None:
    plan = project.cli("recipes", "plan")
    assert plan.exit_code == 0, plan.output
    assert ("waiting    charge_to_doc  (recipes/charge_to_doc.yaml) needs connection(s) 'asaas', 'zapsign': "
            "not applied until they exist") in plan.output
    assert "plan: 0 to create, 0 to update, 0 unchanged, 0 to disable, 0 invalid, 2 waiting for a connection" \
        in plan.output
    applied = project.cli("recipes", "apply")
    assert applied.exit_code == 0, applied.output
    [line] = [line for line in applied.output.splitlines() if line.startswith("waiting:")]
    assert line == ("waiting: charge_to_doc, signed_to_email need connection(s) 'asaas', 'zapsign'; each is applied "
                    "as soon as its connections exist (flask --app wsgi connections create ...)")
    assert _stored(project) == {}


def test_a_broken_recipe_still_blocks_apply_while_a_waiting_one_does_not(project: Project) -> None:
    project.write("recipes/broken.yaml", RECIPE.replace("op: in", "op: among").replace("charge_to_doc", "broken"))
    result = project.cli("recipes", "apply")
    assert result.exit_code == 1 and "unknown operator 'among'" in result.output


def test_creating_the_last_missing_connection_applies_the_waiting_recipes(project: Project) -> None:
    first = _create(project, "asaas", "asaas", f"api_key={ASAAS_KEY}", "base_url=http://127.0.0.1:9/v3")
    assert "applied the recipe file" not in first and _stored(project) == {}  # zapsign is still missing
    second = _create(project, "zapsign", "zapsign", "api_token=t", "base_url=http://127.0.0.1:9/api/v1")
    assert "applied the recipe file(s) waiting for this connection: charge_to_doc, signed_to_email" in second
    assert _stored(project) == {"charge_to_doc": "file", "signed_to_email": "file"}
    assert project.cli("recipes", "plan", "--offline").output.count("unchanged") == 3  # 2 rows + the counts line


def test_without_apply_on_start_the_recipes_wait_for_recipes_apply(make_app: Callable[..., Flask],
                                                                   tmp_path: Path) -> None:
    root = tmp_path / "p"
    (root / "recipes").mkdir(parents=True)
    (root / "mappings").mkdir()
    (root / "recipes" / "charge_to_doc.yaml").write_text(RECIPE)
    (root / "recipes" / "signed_to_email.yaml").write_text(SECOND)
    (root / "mappings" / "charge_doc.yaml").write_text(MAPPING)
    app = make_app(RECIPES_DIR=str(root / "recipes"), MAPPINGS_DIR=str(root / "mappings"),
                   APPLY_RECIPE_FILES_ON_START=False)
    engine = get_db(app).engine
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    try:
        project = Project(app, root)
        assert "create them, then run recipes apply again" in project.cli("recipes", "apply").output
        _create(project, "asaas", "asaas", f"api_key={ASAAS_KEY}", "base_url=http://127.0.0.1:9/v3")
        output = _create(project, "zapsign", "zapsign", "api_token=t")
        assert "applied the recipe" not in output and _stored(project) == {}
    finally:
        get_db(app).remove()
        Base.metadata.drop_all(engine)


def _login(project: Project, locale: str) -> object:
    with project.app.app_context():
        session = get_session()
        create_user(session, email=f"{locale}@example.com", name="Admin", role="admin", password="admin-password-1")
        session.commit()
    client = project.app.test_client()
    assert client.post("/login", data={"email": f"{locale}@example.com", "password": "admin-password-1"}
                       ).status_code == 302
    if locale == "en":
        client.post("/locale", data={"locale": "en", "next": "/"})
    return client


def test_the_dashboard_lists_waiting_recipes_in_portuguese_and_english(project: Project) -> None:
    pt = _login(project, "pt_BR").get("/").get_data(as_text=True)  # type: ignore[attr-defined]
    assert "Automações aguardando uma conexão" in pt and "precisa das conexões" in pt
    assert "charge_to_doc" in pt and "<code>zapsign</code>" in pt
    en = _login(project, "en").get("/").get_data(as_text=True)  # type: ignore[attr-defined]
    assert "Automations waiting for a connection" in en and "needs the connections" in en
    _create(project, "asaas", "asaas", f"api_key={ASAAS_KEY}", "base_url=http://127.0.0.1:9/v3")
    _create(project, "zapsign", "zapsign", "api_token=t")
    after = _login(project, "en2").get("/").get_data(as_text=True)  # type: ignore[attr-defined]
    assert "waiting for a connection" not in after and "aguardando uma conexão" not in after


def test_creating_the_connection_through_the_api_applies_the_waiting_recipes(project: Project) -> None:
    from app.auth import create_api_token

    with project.app.app_context():
        session = get_session()
        user = create_user(session, email="api@example.com", name="API", role="admin", password="admin-password-1")
        _, token = create_api_token(session, user, "tests")
        session.commit()
    _create(project, "asaas", "asaas", f"api_key={ASAAS_KEY}", "base_url=http://127.0.0.1:9/v3")
    response = project.app.test_client().post(
        "/api/connections", headers={"Authorization": f"Bearer {token}"},
        json={"connector": "zapsign", "name": "zapsign", "config": {"api_token": "t"}})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["recipes_applied"] == ["charge_to_doc", "signed_to_email"]
    assert set(_stored(project)) == {"charge_to_doc", "signed_to_email"}
