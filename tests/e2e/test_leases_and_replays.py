"""Leases that fence a stalled worker out, replays that never double an effect, recipes switched off.

These run the seed recipes through the real connectors against the sandbox doubles; the worker that
"stalls" is a thread whose ZapSign call the double holds open (``delay``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
import requests
from sqlalchemy import select, update

from app.db import get_session
from app.engine import hooks
from app.engine.executor import claim_runs, execute_one
from app.engine.recipes import set_enabled
from app.engine.replay import ReplayError, replay_run
from app.engine.runner import RunSettings
from app.models import Connection, Recipe, Run, Step, utcnow

from .conftest import FINAL, Stack
from .test_reliability import CREATE_DOC, _charge, _documents, _fault, _signed_document, _step

AS_FILE = {"source": "file", "source_path": "recipes/asaas_charge_to_contract.yaml"}


class Worker(threading.Thread):
    """A worker (owner ``name``) executing one claimed run in the background."""

    def __init__(self, stack: Stack, run_id: int, settings: RunSettings) -> None:
        super().__init__(daemon=True)
        self.stack, self.run_id, self.settings = stack, run_id, settings
        self.result: str | None = None

    def run(self) -> None:
        self.result = execute_one(self.stack.app, self.run_id, self.settings)


def _queued_charge_run(stack: Stack) -> int:
    """A charge's PAYMENT_CREATED run, dispatched but not executed yet."""
    _charge(stack)
    stack.drain()
    with stack.app.app_context():
        from app.engine.dispatch import dispatch_pending

        session = get_session()
        dispatch_pending(session)
        return session.scalar(select(Run.id).where(Run.status == "queued"))


def _claim(stack: Stack, owner: str, lease_seconds: float) -> list[int]:
    with stack.app.app_context():
        return claim_runs(get_session(), owner, 10, lease_seconds)


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def _run(stack: Stack, run_id: int) -> Run:
    with stack.app.app_context():
        return get_session().get(Run, run_id)


def _settings(stack: Stack, owner: str, lease_seconds: float) -> RunSettings:
    return RunSettings(retry_scale=0.001, owner=owner, lease_seconds=lease_seconds)


def test_a_stalled_worker_whose_run_was_taken_over_records_nothing(stack: Stack) -> None:
    run_id = _queued_charge_run(stack)
    _fault(stack.zapsign, "POST", CREATE_DOC, {"delay": 5})  # A's late answer (5 s: after the take-over, even loaded)
    assert _claim(stack, "host:1:a", lease_seconds=300) == [run_id]
    stalled = Worker(stack, run_id, _settings(stack, "host:1:a", 300))
    stalled.start()
    _wait_for(lambda: bool(stack.zapsign_requests()), "worker A to call ZapSign")

    with stack.app.app_context():  # A's lease runs out (it stalled); B takes the run over
        session = get_session()
        session.execute(update(Run).where(Run.id == run_id).values(lease_expires_at=utcnow() - timedelta(seconds=1)))
        session.commit()
    assert _claim(stack, "host:2:b", lease_seconds=300) == [run_id]
    taken_over = execute_one(stack.app, run_id, _settings(stack, "host:2:b", 300))
    stalled.join(timeout=15)

    assert stalled.result == "lease lost"  # A's late success was not written over B's state
    assert taken_over in {"retrying", "succeeded"}
    [run] = [r for r in stack.settle(timeout=30) if r.id == run_id]
    assert run.status == "succeeded", run.error
    assert len(_documents(stack)) == 1
    assert _step(stack, run_id, "contract").output["reused"] is True


def test_a_stalled_thread_is_fenced_out_when_its_own_worker_reclaims_the_run(stack: Stack) -> None:
    run_id = _queued_charge_run(stack)
    _fault(stack.zapsign, "POST", CREATE_DOC, {"delay": 5})  # as above: the re-claim must come before the late answer
    assert _claim(stack, "host:1:a", lease_seconds=300) == [run_id]
    stalled = Worker(stack, run_id, _settings(stack, "host:1:a", 300))
    stalled.start()
    _wait_for(lambda: bool(stack.zapsign_requests()), "the first thread to call ZapSign")
    with stack.app.app_context():
        session = get_session()
        session.execute(update(Run).where(Run.id == run_id).values(lease_expires_at=utcnow() - timedelta(seconds=1)))
        session.commit()
    assert _claim(stack, "host:1:a", lease_seconds=300) == [run_id]  # the same worker, a new claim
    stalled.join(timeout=15)  # its late answer must not be written under the new claim
    assert stalled.result == "lease lost"
    assert execute_one(stack.app, run_id, _settings(stack, "host:1:a", 300)) in {"retrying", "succeeded"}
    [run] = [r for r in stack.settle(timeout=30) if r.id == run_id]
    assert run.status == "succeeded", run.error
    assert len(_documents(stack)) == 1


def test_a_run_whose_worker_dies_on_it_every_time_gives_up(stack: Stack) -> None:
    run_id = _queued_charge_run(stack)
    with stack.app.app_context():
        session = get_session()
        run = session.get(Run, run_id)
        session.execute(update(Run).where(Run.id == run_id).values(attempt=run.max_attempts + 3))
        session.commit()
    assert _claim(stack, "host:1:a", lease_seconds=300) == [run_id]
    assert execute_one(stack.app, run_id, _settings(stack, "host:1:a", 300)) == "failed"
    run = _run(stack, run_id)
    assert "worker stopped during this run each time" in run.error and stack.zapsign_requests() == []


def test_the_heartbeat_keeps_the_lease_of_a_long_call(stack: Stack) -> None:
    run_id = _queued_charge_run(stack)
    _fault(stack.zapsign, "POST", CREATE_DOC, {"delay": 2})
    assert _claim(stack, "host:1:a", lease_seconds=0.6) == [run_id]
    worker = Worker(stack, run_id, _settings(stack, "host:1:a", 0.6))
    worker.start()
    _wait_for(lambda: bool(stack.zapsign_requests()), "the worker to call ZapSign")
    leases = []
    while worker.is_alive():  # a 2 s call under a 0.6 s lease: nobody else may claim the run
        assert _claim(stack, "host:2:b", lease_seconds=300) == []
        leases.append(_run(stack, run_id).lease_expires_at)
        time.sleep(0.1)
    assert worker.result == "succeeded"
    assert len(set(leases)) > 2  # renewed during the call, not just once
    assert len(stack.zapsign_requests()) == 1 and len(_documents(stack)) == 1


def test_no_database_lock_is_held_while_a_connector_is_called(stack: Stack) -> None:
    run_id = _queued_charge_run(stack)
    _fault(stack.zapsign, "POST", CREATE_DOC, {"delay": 2})
    assert _claim(stack, "host:1:a", lease_seconds=300) == [run_id]
    worker = Worker(stack, run_id, _settings(stack, "host:1:a", 300))
    worker.start()
    _wait_for(lambda: bool(stack.zapsign_requests()), "the worker to call ZapSign")
    with stack.app.app_context():  # the same row the worker writes: a held lock would block here
        session = get_session()
        session.execute(update(Run).where(Run.id == run_id).values(max_attempts=Run.max_attempts))
        session.commit()
    assert worker.is_alive()  # the write went through while the call was still in flight
    worker.join(timeout=15)
    assert worker.result == "succeeded"


def test_fail_run_leaves_a_run_owned_by_another_worker_alone_and_redacts_its_message(stack: Stack) -> None:
    from app.engine.runner import fail_run
    from app.vault import REDACTOR

    run_id = _queued_charge_run(stack)
    assert _claim(stack, "host:2:b", lease_seconds=300) == [run_id]
    with stack.app.app_context():
        session = get_session()
        assert fail_run(session, run_id, "boom", RunSettings(owner="host:1:a")) == "running"
        assert session.get(Run, run_id).error is None
        REDACTOR.add("s3cr3t-token-value")
        message = "internal error: KeyError: s3cr3t-token-value\nTraceback (most recent call last): ..."
        assert fail_run(session, run_id, message, RunSettings(owner="host:2:b")) == "failed"
        run = session.get(Run, run_id)
        assert "s3cr3t-token-value" not in run.error and "Traceback" not in run.error
        assert run.error.startswith("internal error: KeyError")


def _recipe(stack: Stack, key: str) -> Recipe:
    return get_session().scalar(select(Recipe).where(Recipe.key == key))


def test_switching_a_recipe_off_stops_its_retrying_runs_and_a_replay_resumes_them(stack: Stack) -> None:
    fired: list[dict] = []

    def listener(**payload) -> None:  # noqa: ANN003
        fired.append(payload)

    _fault(stack.zapsign, "POST", CREATE_DOC, {"status": 503})
    _charge(stack)
    [run] = stack.settle(lambda rs: bool(rs) and rs[0].status == "retrying")
    with stack.app.app_context():
        session = get_session()
        set_enabled(session, _recipe(stack, "asaas_charge_to_contract"), False)
    hooks.subscribe("run_failed", listener)
    try:
        [run] = stack.settle()
    finally:
        hooks.unsubscribe("run_failed", listener)
    assert run.status == "skipped" and run.error_kind == "disabled" and "disabled" in run.error
    assert fired == [] and _documents(stack) == []  # not a failure to alert about; nothing created

    with stack.app.app_context():
        session = get_session()
        with pytest.raises(ReplayError, match="disabled"):
            replay_run(session, run.id)
        set_enabled(session, _recipe(stack, "asaas_charge_to_contract"), True)
        replay_id = replay_run(session, run.id).id
    replayed = next(r for r in stack.settle() if r.id == replay_id)
    assert replayed.status == "succeeded", replayed.error
    assert len(_documents(stack)) == 1


def test_replay_from_the_trigger_refuses_to_repeat_a_step_that_succeeded_unless_forced(stack: Stack) -> None:
    # The contract is created, then the answer is a permanent error: the run fails with its effect done.
    _fault(stack.zapsign, "POST", CREATE_DOC, {"status": 400, "apply": True, "json": {"detail": "oops"}})
    _charge(stack)
    [failed] = stack.settle()
    assert failed.status == "failed" and len(_documents(stack)) == 1
    with stack.app.app_context():
        session = get_session()
        carried = replay_run(session, failed.id, mode="trigger")  # contract failed: no force needed
        carried_id = carried.id
        with pytest.raises(ReplayError, match="already replayed"):
            replay_run(session, failed.id, mode="trigger")
        with pytest.raises(ReplayError, match="already being replayed"):  # force skips the first check only
            replay_run(session, failed.id, mode="trigger", force=True)
    replayed = next(r for r in stack.settle() if r.id == carried_id)
    assert replayed.status == "succeeded", replayed.error
    contract = _step(stack, carried_id, "contract")
    assert contract.attempt == 2 and contract.output["reused"] is True
    assert contract.idempotency_key == _step(stack, failed.id, "contract").idempotency_key
    assert len(_documents(stack)) == 1  # the document created behind the error was found, not made again

    with stack.app.app_context():
        session = get_session()
        with pytest.raises(ReplayError, match="use force"):
            replay_run(session, carried_id, mode="trigger", force=False)
    # A succeeded run replays from the trigger only with force, and force repeats the effect on purpose.
    with stack.app.app_context():
        forced_id = replay_run(get_session(), carried_id, mode="trigger", force=True).id
    forced = next(r for r in stack.settle() if r.id == forced_id)
    assert forced.status == "succeeded"
    assert _step(stack, forced_id, "contract").idempotency_key == f"ponte-{forced_id}-1"
    assert len(_documents(stack)) == 2


def test_a_failed_run_whose_first_action_succeeded_replays_from_the_trigger_only_with_force(stack: Stack) -> None:
    _fault(stack.asaas, "POST", "/v3/payments", {"status": 400, "json": {"errors": [
        {"code": "invalid_value", "description": "Valor inválido"}]}})
    _signed_document(stack)
    failed = stack.settle(lambda rs: bool(rs) and rs[0].status in FINAL)[0]
    assert failed.status == "failed" and _step(stack, failed.id, "customer").status == "succeeded"
    with stack.app.app_context():
        session = get_session()
        with pytest.raises(ReplayError, match="already did customer.*force"):
            replay_run(session, failed.id, mode="trigger")
        assert session.scalar(select(Run.id).where(Run.replay_of_id == failed.id)) is None
        resumed_id = replay_run(session, failed.id).id  # from the failed step: the customer is reused
    resumed = next(r for r in stack.settle(lambda rs: all(r.status in FINAL for r in rs)) if r.id == resumed_id)
    assert resumed.status == "succeeded", resumed.error
    assert len(stack.asaas_requests("POST", "/v3/customers")) == 1


def test_a_run_whose_replay_succeeded_cannot_be_replayed_again_to_charge_twice(stack: Stack) -> None:
    from app.engine.replay import replay_runs

    _fault(stack.asaas, "POST", "/v3/payments", {"status": 503}, {"status": 503}, {"status": 503},
           {"status": 503}, {"status": 503}, {"status": 503})
    _signed_document(stack)
    failed = stack.settle(lambda rs: bool(rs) and rs[0].status in FINAL, timeout=30)[0]
    assert failed.status == "failed"
    with stack.app.app_context():
        first_id = replay_run(get_session(), failed.id).id
    stack.settle(lambda rs: all(r.status in FINAL for r in rs))
    assert _run(stack, first_id).status == "succeeded"
    with stack.app.app_context():  # the original still shows "failed": a bulk "replay all failed" picks it
        session = get_session()
        replayed, problems = replay_runs(session, [failed.id])
        assert replayed == [] and "already replayed" in problems[0]
    assert len(stack.asaas_requests("POST", "/v3/payments")) == 7  # 6 refused + 1 created
    assert len(requests.get(f"{stack.asaas}/_sandbox/state", timeout=5).json()["payments"]) == 1


def test_replay_from_the_trigger_follows_a_step_that_moved_and_refuses_one_that_is_gone(stack: Stack) -> None:
    from app.engine.recipes import save_recipe

    _fault(stack.zapsign, "POST", CREATE_DOC, {"status": 400, "apply": True, "json": {"detail": "oops"}})
    _charge(stack)
    [failed] = stack.settle()
    assert failed.status == "failed" and len(_documents(stack)) == 1
    with stack.app.app_context():  # a new version checks the payment first: the contract moves to place 2
        session = get_session()
        document = dict(_recipe(stack, "asaas_charge_to_contract").definition)
        check = {"key": "open", "action": "asaas.check_payment_open", "connection": "asaas",
                 "input": {"id": {"path": "$.payment.id"}, "due_date": {"path": "$.payment.dueDate"}}}
        moved = {**document, "steps": [check, *document["steps"]]}
        assert not save_recipe(session, moved, **AS_FILE).errors
        renamed = {**moved, "steps": [check, {**document["steps"][0], "key": "contrato"}]}
        assert not save_recipe(session, renamed, **AS_FILE).errors
        with pytest.raises(ReplayError, match="contract may have reached the service"):
            replay_run(session, failed.id, mode="trigger")
        assert not save_recipe(session, moved, **AS_FILE).errors
        replay_id = replay_run(session, failed.id, mode="trigger").id
    replayed = next(r for r in stack.settle() if r.id == replay_id)
    assert replayed.status == "succeeded", replayed.error
    contract = _step(stack, replay_id, "contract")
    assert contract.position == 2 and contract.attempt == 2 and contract.output["reused"] is True
    assert len(_documents(stack)) == 1


def test_a_step_searches_for_its_earlier_result_from_the_start_of_the_replay_chain(stack: Stack) -> None:
    from app.engine.stepio import chain_started_at as _chain_started_at

    with stack.app.app_context():
        session = get_session()
        recipe = _recipe(stack, "asaas_charge_to_contract")
        first = Run(recipe_id=recipe.id, recipe_version=recipe.version, status="failed",
                    created_at=utcnow() - timedelta(days=9))
        session.add(first)
        session.flush()
        second = Run(recipe_id=recipe.id, recipe_version=recipe.version, status="failed", replay_of_id=first.id,
                     created_at=utcnow() - timedelta(days=2))
        session.add(second)
        session.flush()
        third = Run(recipe_id=recipe.id, recipe_version=recipe.version, status="queued", replay_of_id=second.id)
        session.add(third)
        session.commit()
        assert _chain_started_at(session, third).date() == (utcnow() - timedelta(days=9)).date()
        assert session.scalars(select(Step).where(Step.run_id == third.id)).all() == []


def test_two_deliveries_that_both_say_fully_signed_make_one_charge(stack: Stack) -> None:
    _signed_document(stack)
    stack.drain()
    [delivery] = [d for d in requests.get(f"{stack.zapsign}/_sandbox/deliveries", timeout=5).json()
                  if d["event_type"] == "doc_signed"]
    # The second signer's delivery, computed once the document was already "signed": a distinct event.
    body = {**delivery["body"], "last_update_at": "2099-01-01T00:00:00.000000Z",
            "signer_who_signed": {**delivery["body"]["signer_who_signed"], "token": "second-signer"}}
    with stack.app.app_context():
        zapsign = get_session().scalar(select(Connection).where(Connection.name == "zapsign"))
        secret = zapsign.get_credentials()["webhook_secret"]
    answer = requests.post(delivery["url"], json=body, headers={"X-Ponte-Secret": secret}, timeout=5)
    assert answer.status_code == 200
    runs = stack.settle(lambda rs: bool(rs) and all(r.status in FINAL for r in rs), timeout=30)
    signed_runs = [
        r for r in runs if _recipe_key(stack, r) == "zapsign_signed_to_charge"]
    assert len(stack.events()) >= 2 and len(signed_runs) == 1
    assert len(requests.get(f"{stack.asaas}/_sandbox/state", timeout=5).json()["payments"]) == 1


def _recipe_key(stack: Stack, run: Run) -> str:
    with stack.app.app_context():
        return get_session().get(Recipe, run.recipe_id).key


def test_two_runs_for_one_cpf_at_once_create_one_asaas_customer(stack: Stack) -> None:
    from app.engine.dispatch import dispatch_pending

    # The create answers slowly, so without a lock the other run would search meanwhile, find
    # nothing, and create the customer a second time.
    _fault(stack.asaas, "POST", "/v3/customers", {"delay": 0.5, "apply": True}, {"delay": 0.5, "apply": True})
    _signed_document(stack)
    _signed_document(stack)  # the same CPF: a second contract of the same customer
    stack.drain()
    with stack.app.app_context():
        dispatch_pending(get_session())
    claimed = _claim(stack, "host:1:a", lease_seconds=300)
    assert len(claimed) == 2
    workers = [Worker(stack, run_id, _settings(stack, "host:1:a", 300)) for run_id in claimed]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    assert [w.result for w in workers] == ["succeeded", "succeeded"]
    assert len(stack.asaas_requests("POST", "/v3/customers")) == 1
    created = sorted(bool(_step(stack, run_id, "customer").output["created"]) for run_id in claimed)
    assert created == [False, True]
