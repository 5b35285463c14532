"""The escalation recipes end to end: scheduler poll → executor → Asaas double and a real SMTP
server. The owner's digest goes out once a day with what is still overdue; the fees step stops
when the payment was paid first."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from app.db import get_session
from app.engine.recipes import sync_files
from app.models import Run, Step
from tests.collection.env import ROOT, CollectionEnv

ESCALATIONS = ("asaas_collection_owner_digest", "asaas_collection_fees")


@pytest.fixture
def escalated(collection: CollectionEnv, tmp_path: Path) -> CollectionEnv:
    """The shipped escalation recipes, switched on (they ship off)."""
    folder = tmp_path / "escalation"
    folder.mkdir()
    for key in ESCALATIONS:
        text = (ROOT / "recipes" / f"{key}.yaml").read_text(encoding="utf-8")
        assert "enabled: false" in text
        (folder / f"{key}.yaml").write_text(text.replace("enabled: false", "enabled: true"), encoding="utf-8")
    with collection.app.app_context():
        report = sync_files(get_session(), folder, ROOT / "mappings")
    assert not report.errors, report.errors
    return collection


def _runs(env: CollectionEnv, recipe_key: str) -> list[Run]:
    recipe = env.recipe(recipe_key)
    return [r for r in env.runs() if r.recipe_id == recipe.id]


def test_the_owner_gets_one_digest_a_day_without_what_was_paid(escalated: CollectionEnv) -> None:
    env = escalated
    late = env.payment("2025-02-20", name="Bruno Lima", email="bruno@example.com", value=80.5)
    paid_meanwhile = env.payment("2025-02-25", name="Carla Dias", email="carla@example.com", value=99.9)
    env.payment("2025-03-10")  # not due yet
    env.at("2025-03-02")
    env.poll()
    env.pay(paid_meanwhile["id"])  # between the poll and the run: the run reads it again
    env.run()
    digests = [m for m in env.new_mail() if m.rcpt_tos == ["financeiro@example.com"]]
    assert len(digests) == 1
    html = digests[0].body("html") or ""
    assert "Bruno Lima" in html and "R$ 80,50" in html and "20/02/2025" in html
    assert "Carla Dias" not in html
    assert digests[0].message["Subject"] == "Cobranças vencidas em 02/03/2025"
    env.poll()  # same day again: nothing new
    env.run()
    assert [m for m in env.new_mail() if m.rcpt_tos == ["financeiro@example.com"]] == []
    env.pay(late["id"])
    env.day("2025-03-03")  # nothing overdue any more: no e-mail that day
    assert len(_runs(env, "asaas_collection_owner_digest")) == 1


def test_fees_stop_when_the_payment_was_paid(escalated: CollectionEnv) -> None:
    env = escalated
    early = env.payment("2025-03-01", name="Dora Reis", email="dora@example.com")
    late = env.payment("2025-03-01", name="Eva Melo", email="eva@example.com", value=300.0)
    env.day("2025-03-05")
    env.pay(early["id"])  # paid before D+10: no fees step at all
    env.at("2025-03-11")  # D+10: the fees step's day
    env.poll()
    env.pay(late["id"])  # paid between the poll and the run: the step reads it again and stops
    env.run()
    [run] = _runs(env, "asaas_collection_fees")
    assert run.status == "skipped" and "already paid" in (run.error or "")
    assert (run.trigger_output or {})["payment"]["id"] == late["id"]
    logged = requests.get(f"{env.asaas.url}/_sandbox/requests", timeout=5).json()
    assert [r["path"] for r in logged if r["method"] == "GET" and r["path"] == f"/v3/payments/{late['id']}"]
    assert not [r for r in logged if r["method"] == "POST" and r["path"].startswith("/v3/payments/pay_")]
    with env.app.app_context():
        steps = get_session().scalars(select(Step).where(Step.run_id == run.id)).all()
        assert [s.key for s in steps if s.status == "skipped"] == ["fees"]


def test_the_preview_lists_the_escalation_steps_and_sends_nothing(escalated: CollectionEnv) -> None:
    env = escalated
    env.payment("2025-02-20", name="Bruno Lima", email="bruno@example.com", value=80.5)
    env.at("2025-03-02")  # D+10 of the payment, and a day with something overdue
    runner = env.app.test_cli_runner()
    result = runner.invoke(args=["collection", "preview"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(line.startswith("asaas_collection_owner_digest\towner digest\t1 payment(s) overdue 1+ day(s)")
               and "to financeiro@example.com" in line for line in lines)
    assert any(line.startswith("asaas_collection_fees\tD+10") and "R$ 80,50" in line
               and "fine and interest" in line for line in lines)
    assert env.smtp.messages == [] and env.runs() == []
    env.poll()
    queued = runner.invoke(args=["collection", "preview", "asaas_collection_owner_digest"]).output
    assert "(already queued)" in queued
