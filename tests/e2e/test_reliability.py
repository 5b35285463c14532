"""Nothing doubled: retries after 500/429, writes that happened behind an error, a killed worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import requests
from sqlalchemy import select

from app.db import get_session
from app.engine.executor import release_dead_leases
from app.models import Connection, Run, Step

from .conftest import Stack

ROOT = Path(__file__).resolve().parents[2]
CREATE_DOC = "/api/v1/models/create-doc/"


def _charge(stack: Stack) -> dict:
    due = (date.today() + timedelta(days=10)).isoformat()
    response = requests.post(f"{stack.asaas}/_sandbox/payments", timeout=5, json={
        "customer": {"name": "Maria Souza", "cpfCnpj": "24971563792", "email": "maria@example.com"},
        "value": 300.0, "billingType": "PIX", "dueDate": due})
    response.raise_for_status()
    return response.json()


def _signed_document(stack: Stack) -> None:
    requests.post(f"{stack.zapsign}/_sandbox/docs", timeout=5, json={
        "template_id": "c2a8b6a4-1f0e-4b53-9a57-5f0c2e8d7a10", "name": "Contrato",
        "signers": [{"name": "João da Silva", "email": "joao@example.com"}],
        "answers": {"CPF": "52998224725", "VALOR": "800,00", "VENCIMENTO": "10/12/2026"}, "sign": True,
    }).raise_for_status()


def _fault(base: str, method: str, path: str, *responses: dict) -> None:
    requests.post(f"{base}/_sandbox/faults", timeout=5,
                  json={"method": method, "path": path, "responses": list(responses)}).raise_for_status()


def _documents(stack: Stack) -> list[dict]:
    state = requests.get(f"{stack.zapsign}/_sandbox/state", timeout=5).json()
    docs = state["documents"]
    return list(docs.values()) if isinstance(docs, dict) else docs


def _step(stack: Stack, run_id: int, key: str) -> Step:
    with stack.app.app_context():
        return get_session().scalar(select(Step).where(Step.run_id == run_id, Step.key == key))


def test_500_then_429_on_the_contract_is_retried_and_creates_one_document(stack: Stack) -> None:
    _fault(stack.zapsign, "POST", CREATE_DOC, {"status": 500}, {"status": 429, "headers": {"Retry-After": "1"}})
    _charge(stack)
    [run] = stack.settle(timeout=30)
    assert run.status == "succeeded", run.error
    assert run.attempt >= 2 and run.error is None
    assert len(_documents(stack)) == 1
    contract = _step(stack, run.id, "contract")
    assert contract.attempt >= 2 and contract.output["reused"] is False
    # Every attempt is kept, not only the last: the 500 and the 429 are there, then the success.
    history = contract.history
    assert [a["attempt"] for a in history] == list(range(1, contract.attempt + 1))
    assert history[0]["status"] == "retrying" and history[0]["error"] and history[0]["error_kind"] == "transient"
    assert history[-1]["status"] == "succeeded" and history[-1]["error"] is None
    assert all(a["started_at"] and a["finished_at"] for a in history)


def test_a_charge_made_behind_a_500_is_found_on_retry_not_made_again(stack: Stack) -> None:
    _fault(stack.asaas, "POST", "/v3/payments", {"status": 500, "apply": True})
    _signed_document(stack)
    runs = stack.settle(lambda rs: bool(rs) and rs[0].status in {"succeeded", "failed"}, timeout=30)
    run = runs[0]  # the signed-document run; the charge's own PAYMENT_CREATED run comes after
    assert run.status == "succeeded", run.error
    payments = requests.get(f"{stack.asaas}/_sandbox/state", timeout=5).json()["payments"]
    assert len(payments) == 1
    charge = _step(stack, run.id, "charge")
    assert charge.attempt == 2 and charge.output["reused"] is True


def test_a_worker_killed_mid_call_is_resumed_and_the_contract_is_created_once(stack: Stack) -> None:
    _fault(stack.zapsign, "POST", CREATE_DOC, {"delay": 4})  # the call lands, the answer comes late
    _charge(stack)
    stack.drain()
    env = {
        **os.environ,
        "DATABASE_URL": stack.app.config["DATABASE_URL"],
        "PONTE_VAULT_KEYS": stack.app.config["PONTE_VAULT_KEYS"],
        "SECRET_KEY": "worker-test-secret",
        "PONTE_INSTANCE_PATH": str(Path(stack.app.instance_path)),
        "EXECUTOR_POLL_SECONDS": "0.1",
        "LOG_LEVEL": "WARNING",
    }
    worker = subprocess.Popen(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "run", "--workers", "1"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while not stack.zapsign_requests():
            assert worker.poll() is None, worker.stderr.read().decode()
            assert time.monotonic() < deadline, "the worker never called ZapSign"
            time.sleep(0.05)
        os.kill(worker.pid, signal.SIGKILL)  # dies while ZapSign is still creating the document
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
    [run] = stack.runs()
    assert run.status == "running" and run.lease_owner.split(":")[1] == str(worker.pid)
    deadline = time.monotonic() + 15
    while not _documents(stack):  # the double finishes the call the dead worker made
        assert time.monotonic() < deadline
        time.sleep(0.1)

    with stack.app.app_context():
        assert release_dead_leases(get_session()) == 1
    [run] = stack.settle(timeout=30)
    assert run.status == "succeeded", run.error
    assert len(_documents(stack)) == 1
    assert len(stack.zapsign_requests()) == 1  # no second create-doc call
    contract = _step(stack, run.id, "contract")
    assert contract.attempt == 2 and contract.output["reused"] is True


def test_rejected_credentials_fail_the_run_at_once_and_flag_the_connection(stack: Stack) -> None:
    with stack.app.app_context():
        session = get_session()
        zapsign = session.scalar(select(Connection).where(Connection.name == "zapsign"))
        zapsign.set_credentials({**zapsign.get_credentials(), "api_token": "revoked-token-0000000"})
        session.commit()
    _charge(stack)
    [run] = stack.settle()
    assert run.status == "failed" and run.attempt == 1
    assert run.error_kind == "config" and "contract:" in run.error
    assert "revoked-token-0000000" not in run.error
    with stack.app.app_context():
        zapsign = get_session().scalar(select(Connection).where(Connection.name == "zapsign"))
        assert zapsign.status == "error" and zapsign.status_message


def test_a_missing_required_value_fails_the_step_naming_the_field_and_the_source(stack: Stack) -> None:
    requests.post(f"{stack.zapsign}/_sandbox/docs", timeout=5, json={
        "template_id": "c2a8b6a4-1f0e-4b53-9a57-5f0c2e8d7a10", "name": "Contrato sem CPF",
        "signers": [{"name": "João da Silva", "email": "joao@example.com"}],
        "answers": {"VALOR": "800,00", "VENCIMENTO": "10/12/2026"}, "sign": True,
    }).raise_for_status()
    [run] = stack.settle()
    assert run.status == "failed" and run.error_kind == "mapping" and run.attempt == 1
    assert "cpfCnpj" in run.error and "$.answers.CPF" in run.error
    assert stack.asaas_requests("POST", "/v3/customers") == []


def test_replay_from_the_failed_step_reuses_what_succeeded_and_finishes(stack: Stack) -> None:
    from app.engine.replay import replay_run

    with stack.app.app_context():
        session = get_session()
        zapsign = session.scalar(select(Connection).where(Connection.name == "zapsign"))
        good = zapsign.get_credentials()
        zapsign.set_credentials({**good, "api_token": "revoked-token-0000000"})
        session.commit()
    _charge(stack)
    [failed] = stack.settle()
    assert failed.status == "failed"
    with stack.app.app_context():
        session = get_session()
        zapsign = session.scalar(select(Connection).where(Connection.name == "zapsign"))
        zapsign.set_credentials(good)
        session.commit()
        replay = replay_run(session, failed.id)
        replay_id = replay.id
    runs = stack.settle()
    replayed = next(r for r in runs if r.id == replay_id)
    assert replayed.status == "succeeded" and replayed.replay_of_id == failed.id
    customer_fetches = [r for r in requests.get(f"{stack.asaas}/_sandbox/requests", timeout=5).json()
                        if r["method"] == "GET" and r["path"].startswith("/v3/customers/")]
    assert len(customer_fetches) == 1  # the trigger step's output was reused, not fetched again
    assert len(_documents(stack)) == 1
    with stack.app.app_context():
        assert get_session().get(Run, failed.id).status == "failed"  # history kept


def test_a_service_down_for_good_gives_up_after_max_attempts_and_fires_the_alert_hook(stack: Stack) -> None:
    from app.engine import hooks

    fired: list[dict] = []

    def listener(**payload) -> None:  # noqa: ANN003
        fired.append(payload)

    hooks.subscribe("run_failed", listener)
    try:
        _fault(stack.zapsign, "POST", CREATE_DOC, *[{"status": 503}] * 10)
        _charge(stack)
        [run] = stack.settle(timeout=60)
    finally:
        hooks.unsubscribe("run_failed", listener)
    assert run.status == "failed" and run.attempt == run.max_attempts == 6
    assert run.error.startswith("gave up after 6 attempts: contract:")
    contract = _step(stack, run.id, "contract")
    assert contract.status == "failed" and contract.attempt == 6 and contract.error_kind == "transient"
    assert [f["run_id"] for f in fired] == [run.id]
    assert _documents(stack) == []
