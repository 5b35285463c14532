"""The owner's daily digest in English: the wizard's companion recipe built with
``owner_language="en"`` sends the English e-mail (real SMTP), and reading it back tells the language."""

from __future__ import annotations

from pathlib import Path

import yaml

from app.collection.escalation import Escalation, owner_document, read
from app.db import get_session
from app.engine.recipes import sync_files
from tests.collection.env import ROOT, CollectionEnv

RULE = {"key": "asaas_collection_rule", "name": "Régua", "trigger": {"connection": "asaas"},
        "steps": [{"key": "email", "action": "email.send_email", "connection": "email"}]}


def test_the_english_digest_goes_out_in_english(collection: CollectionEnv, tmp_path: Path) -> None:
    env = collection
    document = owner_document(RULE, Escalation(owner_to="owner@example.com", owner_language="en"), True)
    folder = tmp_path / "owner"
    folder.mkdir()
    (folder / f"{document['key']}.yaml").write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    with env.app.app_context():
        report = sync_files(get_session(), folder, ROOT / "mappings")
    assert not report.errors, report.errors
    env.payment("2025-02-20", name="Bruno Lima", email="bruno@example.com", value=1234.5)
    mail = [m for m in env.day("2025-03-02") if m.rcpt_tos == ["owner@example.com"]]
    assert len(mail) == 1
    assert mail[0].message["Subject"] == "Overdue payments on 02/03/2025"
    html = mail[0].body("html") or ""
    assert '<html lang="en">' in html and "Payments overdue by 1 day or more on 02/03/2025" in html
    assert "Bruno Lima" in html and "R$ 1.234,50" in html and "20/02/2025" in html and ">invoice</a>" in html
    assert "Cobranças" not in html


def test_reading_the_recipe_back_tells_its_language() -> None:
    for language in ("pt_BR", "en"):
        settings = Escalation(owner_to="owner@example.com", owner_language=language)
        assert read(owner_document(RULE, settings, True), None).owner_language == language
