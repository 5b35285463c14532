"""The "signed contract to the finance team" automation end to end: the document is read again for
a fresh link, the PDF is downloaded and arrives attached over real SMTP; an expired link fails the
e-mail step with its reason and sends nothing."""

from __future__ import annotations

import requests
from sqlalchemy import select

from app.db import get_session
from app.models import Recipe, Step

from .conftest import FINAL, Stack
from .test_subscription_flow import TEMPLATE, _by_recipe, _enable

KEY = "zapsign_signed_contract_to_finance"


def _sign(stack: Stack) -> dict:
    response = requests.post(f"{stack.zapsign}/_sandbox/docs", timeout=5, json={
        "template_id": TEMPLATE, "name": "Contrato Ana", "answers": {"CPF": "52998224725"},
        "signers": [{"name": "Ana Souza", "email": "ana@example.com"}], "sign": True})
    response.raise_for_status()
    return response.json()


def test_the_signed_pdf_reaches_the_finance_team_attached(stack: Stack) -> None:
    with stack.app.app_context():
        assert get_session().scalar(select(Recipe.enabled).where(Recipe.key == KEY)) is False  # ships off
    _enable(stack, KEY)
    document = _sign(stack)
    stack.settle(lambda rs: len(rs) >= 2 and all(r.status in FINAL for r in rs))
    assert _by_recipe(stack)[KEY] == ["succeeded"]
    [mail] = stack.doubles.mailbox.mailbox.all()
    assert mail["to"] == ["financeiro@example.com.br"]
    assert mail["subject"] == f"Contrato assinado: {document['name']}"
    assert mail["attachments"] == [{"filename": f"{document['name']}.pdf", "content_type": "application/pdf",
                                    "bytes": mail["attachments"][0]["bytes"]}]
    assert mail["attachments"][0]["bytes"] > 0
    assert len(stack.zapsign_requests("GET", f"/api/v1/docs/{document['token']}/")) == 1  # read again


def test_an_expired_link_fails_the_email_step_with_its_reason(stack: Stack) -> None:
    _enable(stack, KEY)
    requests.post(f"{stack.zapsign}/_sandbox/files/lifetime", json={"seconds": 0}, timeout=5).raise_for_status()
    _sign(stack)
    stack.settle(lambda rs: len(rs) >= 2 and all(r.status in FINAL for r in rs))
    [run] = [r for r in stack.runs() if r.status == "failed"]
    with stack.app.app_context():
        email = get_session().scalar(select(Step).where(Step.run_id == run.id, Step.key == "email"))
    assert email.status == "failed" and "the signed PDF link has expired" in email.error
    assert "replay the run from the trigger" in email.error
    assert "X-Amz-Signature" not in email.error
    assert stack.doubles.mailbox.mailbox.all() == []
