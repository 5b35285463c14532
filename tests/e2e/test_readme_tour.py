"""The README's 5-minute tour, as written: its curls, on the demo's wiring (``sandbox.demo.wire_demo``)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import requests
from sqlalchemy import select

from app.db import get_session
from app.engine.replay import replay_run
from app.models import Recipe, Run
from app.web.recovery import recovered

from .conftest import Stack

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def _readme_json(after: str) -> dict:
    """The ``-d '…'`` body of the first curl after ``after`` in the README (the words a reader copies)."""
    tail = README[README.index(after):]
    return json.loads(re.search(r"-d '(\{.*?\})'", tail, re.S).group(1))


def _contract_runs(stack: Stack) -> list[Run]:
    with stack.app.app_context():
        session = get_session()
        recipe_id = session.scalar(select(Recipe.id).where(Recipe.key == "asaas_charge_to_contract"))
        return list(session.scalars(select(Run).where(Run.recipe_id == recipe_id).order_by(Run.id)))


def test_the_tours_first_charge_makes_a_contract(stack: Stack) -> None:
    body = _readme_json("A charge becomes a contract.")
    assert body == {}
    requests.post(f"{stack.asaas}/_sandbox/payments", json=body, timeout=5).raise_for_status()
    stack.settle()
    [run] = _contract_runs(stack)
    assert run.status == "succeeded", run.error
    assert len(stack.zapsign_requests()) == 1


def test_the_tours_make_one_fail_fails_at_once_and_a_replay_recovers_it(stack: Stack) -> None:
    fault = _readme_json("Make one fail")
    requests.post(f"{stack.zapsign}/_sandbox/faults", json=fault, timeout=5).raise_for_status()
    requests.post(f"{stack.asaas}/_sandbox/payments", json={}, timeout=5).raise_for_status()
    stack.settle()
    [failed] = _contract_runs(stack)
    assert failed.status == "failed" and failed.attempt == 1  # refused: no backoff before it shows as failed
    with stack.app.app_context():
        replay_run(get_session(), failed.id, mode="failed_step")
    stack.settle()
    replay = _contract_runs(stack)[-1]
    assert replay.status == "succeeded" and replay.replay_of_id == failed.id
    with stack.app.app_context():
        assert recovered(get_session(), [failed.id]) == {failed.id: replay.id}
