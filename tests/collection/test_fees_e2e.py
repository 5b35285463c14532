"""The shipped fees recipe (asaas_collection_fees, switched on) end to end: scheduler poll →
executor → the Asaas double's ``POST /v3/payments/{id}``. An overdue payment gets its fine and
interest exactly once, however often the day is run, the run replayed or the update retried after an
answer that was lost; a payment paid in between is skipped and never updated."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import select

from app.db import get_session
from app.engine.recipes import sync_files
from app.engine.replay import replay_run
from app.models import Run, Step
from tests.collection.env import ROOT, CollectionEnv

FEES = "asaas_collection_fees"


@pytest.fixture
def fees_on(collection: CollectionEnv, tmp_path: Path) -> CollectionEnv:
    folder = tmp_path / "fees"
    folder.mkdir()
    text = (ROOT / "recipes" / f"{FEES}.yaml").read_text(encoding="utf-8")
    assert "enabled: false" in text
    (folder / f"{FEES}.yaml").write_text(text.replace("enabled: false", "enabled: true"), encoding="utf-8")
    with collection.app.app_context():
        report = sync_files(get_session(), folder, ROOT / "mappings")
    assert not report.errors, report.errors
    return collection


def _overdue(env: CollectionEnv, name: str, value: float) -> str:
    payment = env.payment("2025-03-01", name=name, email=f"{name.split()[0].lower()}@example.com", value=value)
    requests.post(f"{env.asaas.url}/_sandbox/payments/{payment['id']}/overdue", timeout=5).raise_for_status()
    return str(payment["id"])


def _updates(env: CollectionEnv, payment_id: str) -> list[dict[str, Any]]:
    """The ``POST /v3/payments/{id}`` calls the double received for this payment."""
    logged = requests.get(f"{env.asaas.url}/_sandbox/requests", timeout=5).json()
    return [r["json"] for r in logged if r["method"] == "POST" and r["path"] == f"/v3/payments/{payment_id}"]


def _fees_runs(env: CollectionEnv) -> list[Run]:
    recipe = env.recipe(FEES)
    return [r for r in env.runs() if r.recipe_id == recipe.id]


def _fees_step(env: CollectionEnv, run_id: int) -> Step:
    with env.app.app_context():
        return get_session().scalars(select(Step).where(Step.run_id == run_id, Step.key == "fees")).one()


def _in_asaas(env: CollectionEnv, payment_id: str) -> dict[str, Any]:
    return dict(env.state.payments[payment_id])


def test_fees_are_applied_once_and_a_payment_paid_meanwhile_is_skipped(fees_on: CollectionEnv) -> None:
    env = fees_on
    late = _overdue(env, "Eva Melo", 300.0)
    paid = _overdue(env, "Dora Reis", 150.0)
    env.at("2025-03-11")  # D+10: the fees step's day
    env.poll()
    env.pay(paid)  # between the poll and the run: its run reads it again and stops
    env.run()
    by_payment = {(r.trigger_output or {})["payment"]["id"]: r for r in _fees_runs(env)}
    assert set(by_payment) == {late, paid}
    assert by_payment[paid].status == "skipped" and "already paid" in (by_payment[paid].error or "")
    assert _updates(env, paid) == [] and _in_asaas(env, paid)["fine"]["value"] == 0
    done = by_payment[late]
    assert done.status == "succeeded", done.error
    expected = [{"billingType": "BOLETO", "value": 300.0, "dueDate": "2025-03-01",
                 "fine": {"value": 2.0, "type": "PERCENTAGE"}, "interest": {"value": 1.0}}]
    assert _updates(env, late) == expected
    payment = _in_asaas(env, late)
    assert (payment["fine"]["value"], payment["interest"]["value"], payment["status"]) == (2.0, 1.0, "OVERDUE")
    assert _fees_step(env, done.id).output["applied"] is True

    env.poll()  # the same day again: no second run
    env.run()
    assert len(_fees_runs(env)) == 2
    with env.app.app_context():  # a forced replay from the trigger reads the payment: fees in place
        replay_id = replay_run(get_session(), done.id, mode="trigger", force=True).id
    env.run()
    replayed = next(r for r in env.runs() if r.id == replay_id)
    assert replayed.status == "succeeded", replayed.error
    assert _fees_step(env, replay_id).output["applied"] is False
    assert _updates(env, late) == expected
    updated = [e for e in env.state.events.values()
               if e["event"] == "PAYMENT_UPDATED" and e["payment"]["id"] == late]
    assert len(updated) == 1
    env.day("2025-03-12")  # D+11: no fees step any more
    assert len(_fees_runs(env)) == 3


def test_an_update_whose_answer_was_lost_is_not_sent_again(fees_on: CollectionEnv) -> None:
    env = fees_on
    late = _overdue(env, "Eva Melo", 300.0)
    requests.post(f"{env.asaas.url}/_sandbox/faults", timeout=5, json={
        "method": "POST", "path": f"/v3/payments/{late}", "responses": [{"status": 503, "apply": True}]})
    env.at("2025-03-11")
    env.poll()
    env.run()  # the update happens, the answer is a 503: the step retries later
    env.clock.shift(timedelta(minutes=10))
    env.run()
    [run] = _fees_runs(env)
    assert run.status == "succeeded", run.error
    step = _fees_step(env, run.id)
    assert step.attempt == 2 and step.output["applied"] is False  # read again: already there
    assert len(_updates(env, late)) == 1
    payment = _in_asaas(env, late)
    assert (payment["fine"]["value"], payment["interest"]["value"]) == (2.0, 1.0)
