"""``flask runs list | show | replay``: run history from the command line, secrets masked."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from app.db import get_session
from app.models import Connection, Event, Recipe, Run, Step, utcnow
from tests.cli.conftest import ASAAS_KEY, Project, add_connections


def _seed(project: Project) -> dict[str, int]:
    """One succeeded, one failed (step 1 ok, step 2 failed) and one old filtered run of charge_to_doc."""
    add_connections(project.app)
    assert project.cli("recipes", "apply").exit_code == 0
    with project.app.app_context():
        session = get_session()
        recipe = session.scalar(select(Recipe).where(Recipe.key == "charge_to_doc"))
        connection = session.scalar(select(Connection).where(Connection.name == "asaas"))
        ids = {}
        for name, status, age in (("ok", "succeeded", 0), ("failed", "failed", 0), ("old", "filtered", 10)):
            event = Event(connection_id=connection.id, dedupe_key=f"evt_{name}", event_type="PAYMENT_CREATED",
                          payload={"id": f"evt_{name}"}, received_at=utcnow())
            session.add(event)
            session.flush()
            run = Run(recipe_id=recipe.id, recipe_version=1, event_id=event.id, dedupe_key=f"{recipe.id}:{event.id}",
                      status=status, attempt=1, trigger_output={"payment": {"id": "pay_1"}},
                      filter_result={"passed": status != "filtered", "explanation": "all conditions passed"},
                      created_at=utcnow() - timedelta(days=age),
                      error=f"contract: refused with key {ASAAS_KEY}" if status == "failed" else None)
            session.add(run)
            session.flush()
            session.add(Step(run_id=run.id, position=0, key="trigger", action_key="asaas.payment_created",
                             status="succeeded", idempotency_key=f"ponte-{run.id}-0",
                             output={"payment": {"id": "pay_1"}, "api_key": ASAAS_KEY}))
            if status == "failed":
                session.add(Step(run_id=run.id, position=1, key="contract", attempt=3,
                                 action_key="zapsign.create_document_from_template", status="failed",
                                 idempotency_key=f"ponte-{run.id}-1", input={"template_id": "tpl-1"},
                                 error="ZapSign answered 503", error_kind="transient"))
            ids[name] = run.id
        session.commit()
        return ids


def test_list_filters_by_status_recipe_and_since(project: Project) -> None:
    ids = _seed(project)
    result = project.cli("runs", "list")
    assert result.exit_code == 0, result.output
    assert [int(line.split("\t")[0]) for line in result.output.splitlines()] == sorted(ids.values(), reverse=True)
    assert ASAAS_KEY not in result.output and "••••" in result.output
    failed = json.loads(project.cli("runs", "list", "--status", "failed", "--json").output)
    assert [r["id"] for r in failed] == [ids["failed"]]
    recent = json.loads(project.cli("runs", "list", "--since", "2d", "--recipe", "charge_to_doc", "--json").output)
    assert {r["id"] for r in recent} == {ids["ok"], ids["failed"]}
    assert project.cli("runs", "list", "--recipe", "signed_to_email").output == ""
    bad = project.cli("runs", "list", "--since", "last tuesday")
    assert bad.exit_code == 2 and "use 7d, 12h" in bad.output


def test_show_prints_steps_with_attempts_and_masks_secrets(project: Project) -> None:
    ids = _seed(project)
    result = project.cli("runs", "show", str(ids["failed"]))
    assert result.exit_code == 0, result.output
    assert f"run {ids['failed']}: failed  recipe charge_to_doc v1" in result.output
    assert "filters: passed: all conditions passed" in result.output
    assert "step 1 contract (zapsign.create_document_from_template): failed, 3 attempt(s)" in result.output
    assert "error (transient): ZapSign answered 503" in result.output
    assert ASAAS_KEY not in result.output
    data = json.loads(project.cli("runs", "show", str(ids["failed"]), "--json").output)
    assert data["steps"][0]["output"]["api_key"] == "••••"
    missing = project.cli("runs", "show", "9999")
    assert missing.exit_code == 1 and "run 9999 does not exist" in missing.output


def test_replay_one_run_from_its_failed_step(project: Project) -> None:
    ids = _seed(project)
    result = project.cli("runs", "replay", str(ids["failed"]))
    assert result.exit_code == 0, result.output
    with project.app.app_context():
        new = get_session().scalar(select(Run).where(Run.replay_of_id == ids["failed"]))
        assert new.status == "queued" and [s.key for s in new.steps] == ["trigger", "contract"]
        assert new.steps[1].idempotency_key == f"ponte-{ids['failed']}-1"
    refused = project.cli("runs", "replay", str(ids["ok"]))
    assert refused.exit_code == 1 and "is succeeded" in refused.output
    forced = project.cli("runs", "replay", str(ids["ok"]), "--from", "trigger", "--force")
    assert forced.exit_code == 0, forced.output
    usage = project.cli("runs", "replay")
    assert usage.exit_code == 2 and "give a RUN_ID, or --status" in usage.output


def test_bulk_replay_skips_runs_already_replayed(project: Project) -> None:
    ids = _seed(project)
    result = project.cli("runs", "replay", "--status", "failed", "--recipe", "charge_to_doc", "--yes")
    assert result.exit_code == 0, result.output
    assert "queued 1 replay(s)" in result.output
    again = project.cli("runs", "replay", "--status", "failed", "--recipe", "charge_to_doc", "--yes")
    assert again.exit_code == 1 and "no failed run to replay" in again.output
    filtered = project.cli("runs", "replay", "--status", "filtered", "--yes")
    assert filtered.exit_code == 0 and "queued 1 replay(s)" in filtered.output
    with project.app.app_context():
        replays = get_session().scalars(select(Run).where(Run.replay_of_id.is_not(None))).all()
        assert sorted(r.replay_of_id for r in replays) == sorted([ids["failed"], ids["old"]])
