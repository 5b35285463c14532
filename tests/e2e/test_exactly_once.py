"""Exactly once under every timing: the defects the fault battery found, each pinned by a test.

A create whose outcome is unknown is resolved by finding the earlier document, whatever the attempt
number; waits are scheduled in the database, never slept in a thread, and rate limits or deferrals
do not use up attempts; a busy destination hands its run back instead of holding a thread; the
outcome of a call survives a database hiccup; a clean stop hands its claims back.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from app.db import get_session
from app.engine import fence
from app.engine.executor import EmbeddedExecutor, claim_runs, execute_one
from app.engine.runner import RunSettings
from app.engine.slots import SLOTS
from app.models import Recipe, Run, Step

from .conftest import Stack
from .test_leases_and_replays import _queued_charge_run as queued_contract_run
from .test_reliability import CREATE_DOC, _charge, _documents, _fault, _step


def set_retry(stack: Stack, recipe_key: str, retry: dict[str, Any]) -> None:
    """Give a stored recipe a ``retry:`` block (as its YAML would), for the runs to come."""
    with stack.app.app_context():
        session = get_session()
        recipe = session.scalar(select(Recipe).where(Recipe.key == recipe_key))
        recipe.definition = {**recipe.definition, "retry": retry}
        session.commit()


def _scaled(stack: Stack, scale: float, list_cache_seconds: float) -> None:
    """Waits scaled by ``scale`` and a ZapSign list that lags like the real one, scaled alike."""
    stack.app.config["RETRY_DELAY_SCALE"] = scale
    stack.executor = EmbeddedExecutor(stack.app, workers=2, poll_interval=0.05)
    requests.post(f"{stack.zapsign}/_sandbox/config", json={"list_cache_seconds": list_cache_seconds},
                  timeout=5).raise_for_status()


@pytest.mark.parametrize("failures_before", [0, 1, 2])
def test_a_create_that_happened_behind_an_error_makes_one_document_on_any_attempt(
        stack: Stack, failures_before: int) -> None:
    # The battery's case: 503s, then a create that failed for us but happened, then quick retries
    # (retry 5-10 s, scaled) that come back while ZapSign's list (60 s, scaled) does not show it yet.
    _scaled(stack, 0.01, list_cache_seconds=0.5)
    set_retry(stack, "asaas_charge_to_contract", {"base_delay_seconds": 5, "max_delay_seconds": 10})
    _fault(stack.zapsign, "POST", CREATE_DOC, *([{"status": 503}] * failures_before),
           {"status": 503, "apply": True})
    _charge(stack)
    [run] = stack.settle(timeout=60)
    assert run.status == "succeeded", run.error
    assert len(_documents(stack)) == 1
    assert _step(stack, run.id, "contract").output["reused"] is True


def test_rate_limits_are_scheduled_and_do_not_use_up_attempts(stack: Stack) -> None:
    set_retry(stack, "asaas_charge_to_contract", {"max_attempts": 2})
    slow_down = {"status": 429, "headers": {"Retry-After": "30"}}  # scaled by RETRY_DELAY_SCALE, never slept
    _fault(stack.zapsign, "POST", CREATE_DOC, slow_down, slow_down, slow_down)
    _charge(stack)
    [run] = stack.settle(timeout=60)
    assert run.status == "succeeded", run.error
    assert run.deferrals == 3 and run.attempt == 4  # four claims, one failed attempt's worth of budget
    assert len(_documents(stack)) == 1


def test_a_busy_destination_hands_the_run_back_without_calling_it(stack: Stack) -> None:
    run_id = queued_contract_run(stack)
    with stack.app.app_context():
        [claimed] = claim_runs(get_session(), "host:1:a", 10, 300)
    settings = RunSettings(retry_scale=0.001, owner="host:1:a", lease_seconds=300, destination_limit=1)
    with SLOTS.hold("zapsign", 1):  # another thread of this process is calling ZapSign
        assert execute_one(stack.app, claimed, settings) == "retrying"
        assert stack.zapsign_requests() == []
    with stack.app.app_context():
        run = get_session().get(Run, run_id)
        assert run.status == "retrying" and run.lease_owner is None and run.deferrals == 1
        contract = get_session().scalar(select(Step).where(Step.run_id == run_id, Step.key == "contract"))
        assert contract is None  # the step never started: nothing to look up later
    [run] = stack.settle(timeout=30)
    assert run.status == "succeeded", run.error
    assert len(_documents(stack)) == 1


def test_the_outcome_of_a_call_survives_a_database_hiccup(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    real_commit, refused = fence.commit, []

    def flaky_commit(session: Any, run: Run, settings: RunSettings) -> None:
        done = [o for o in session.dirty if isinstance(o, Step) and o.key == "contract" and o.status == "succeeded"]
        if done and not refused:
            refused.append(True)
            raise OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly"))
        real_commit(session, run, settings)

    monkeypatch.setattr(fence, "commit", flaky_commit)
    monkeypatch.setattr(fence.time, "sleep", lambda seconds: None)
    _charge(stack)
    [run] = stack.settle(timeout=30)
    assert refused, "the hiccup was not injected"
    assert run.status == "succeeded", run.error
    contract = _step(stack, run.id, "contract")
    assert contract.attempt == 1 and contract.output["reused"] is False  # kept, not redone
    assert len(_documents(stack)) == 1


def test_an_interrupted_run_is_handed_back_once_the_database_answers(
        stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.engine import executor as executor_module

    run_id = queued_contract_run(stack)
    executor = EmbeddedExecutor(stack.app, workers=1)
    with stack.app.app_context():
        [claimed] = claim_runs(get_session(), executor.owner, 10, 300)
        attempt = get_session().get(Run, claimed).attempt

    def outage(*args: Any, **kwargs: Any) -> str:
        raise OperationalError("SELECT", {}, Exception("could not connect to server"))

    monkeypatch.setattr(executor_module, "execute_run", outage)
    executor._inflight.acquire()
    executor._execute(claimed, attempt)
    monkeypatch.undo()
    executor.tick()  # the database answers again: the claim goes back to the queue at once
    with stack.app.app_context():
        run = get_session().get(Run, run_id)
        assert run.status in {"retrying", "running", "succeeded"}
        assert run.deferrals == 1  # the interruption was not a failed attempt
    [run] = stack.settle(timeout=30)
    assert run.status == "succeeded", run.error


def test_a_stopped_executor_claims_nothing_and_strands_nothing(stack: Stack) -> None:
    executor = EmbeddedExecutor(stack.app, workers=1, poll_interval=0.05)
    executor.start()
    executor.stop()
    run_id = queued_contract_run(stack)
    assert executor.tick() is False  # before: claimed it, then "cannot schedule new futures after shutdown"
    with stack.app.app_context():
        run = get_session().get(Run, run_id)
        assert run.status == "queued" and run.lease_owner is None


def test_a_run_claimed_but_not_started_at_stop_is_handed_back(stack: Stack) -> None:
    executor = EmbeddedExecutor(stack.app, workers=1)
    run_id = queued_contract_run(stack)
    with stack.app.app_context():
        [claimed] = claim_runs(get_session(), executor.owner, 10, 300)
        attempt = get_session().get(Run, claimed).attempt
    executor._stop.set()
    executor._inflight.acquire()
    executor._execute(claimed, attempt)  # what a queued pool task does once the stop is requested
    executor._release_pending()
    with stack.app.app_context():
        run = get_session().get(Run, run_id)
        assert run.status == "retrying" and run.lease_owner is None and run.lease_expires_at is None
    assert stack.zapsign_requests() == []


def test_the_run_lease_length_is_a_setting(stack: Stack) -> None:
    stack.app.config["RUN_LEASE_SECONDS"] = 42
    executor = EmbeddedExecutor(stack.app, workers=1)
    assert executor.lease_seconds == 42 and executor.settings.lease_seconds == 42
    queued_contract_run(stack)
    with stack.app.app_context():
        session = get_session()
        [claimed] = claim_runs(session, executor.owner, 10, executor.lease_seconds)
        run = session.get(Run, claimed)
        left = (run.lease_expires_at - run.created_at).total_seconds()
        assert 30 < left < 60
        assert session.scalar(select(Recipe.key).where(Recipe.id == run.recipe_id)) == "asaas_charge_to_contract"
