"""The collection rule as a definition (app/collection/rule.py): a template per day, read back, sent."""

from __future__ import annotations

import copy

import yaml

from app.collection import rule
from app.collection.preview import preview_rule
from app.db import get_session
from app.engine.mapping import compile_mapping
from app.engine.recipes import save_recipe, set_enabled
from app.models import Connection
from connectors.mail.templates import render_html
from tests.collection.env import ROOT, CollectionEnv

PT, EN = "collection_reminder_email", "collection_reminder_email_en"


def _shipped_recipe() -> dict:
    """recipes/asaas_collection_rule.yaml with its mapping file inlined, as the wizard starts from it."""
    document = yaml.safe_load((ROOT / "recipes" / "asaas_collection_rule.yaml").read_text(encoding="utf-8"))
    for step in document["steps"]:
        if "mapping" in step:
            mapping = (ROOT / "mappings" / f"{step.pop('mapping')}.yaml").read_text(encoding="utf-8")
            step["input"] = yaml.safe_load(mapping)["fields"]
    return document


def _event(day: int) -> dict:
    return {"customer": {"name": "Ana", "email": "ana@example.com"},
            "payment": {"value": 99.9, "invoiceUrl": "https://x/i/1", "bankSlipUrl": None},
            "reminder": {"offset": day, "phase": rule.phase(day), "days": abs(day), "due_date": "2025-03-10"},
            "steps": {}}


def test_the_shipped_recipe_reads_as_portuguese_on_its_four_days() -> None:
    document = _shipped_recipe()
    assert rule.is_collection_rule(document)
    assert rule.days_of(document) == [-5, 0, 1, 7]
    assert rule.templates_by_day(rule.email_step(document)["input"], [-5, 0, 1, 7]) == {
        -5: PT, 0: PT, 1: PT, 7: PT}


def test_a_template_per_day_is_looked_up_on_the_offset() -> None:
    fields = rule.email_input({-5: EN, 0: PT, 3: EN})
    assert fields["subject"] == {"path": "$.reminder.offset", "format": [{"map": {
        "-5": "Reminder: your payment is due soon", "0": "Sua cobrança vence hoje",
        "3": "Overdue payment: please settle it"}}]}
    mapping = compile_mapping(fields, where="test")
    before, due, late = (mapping.apply(_event(day)).value for day in (-5, 0, 3))
    assert "is due in\n<strong>5 days</strong>" in render_html(before["html_template"], before["variables"])
    assert "vence <strong>hoje, 10/03/2025</strong>" in render_html(due["html_template"], due["variables"])
    assert "(3 days ago)" in render_html(late["html_template"], late["variables"])
    assert late["variables"]["amount"] == "R$ 99,90"
    assert rule.templates_by_day(fields, [-5, 0, 3]) == {-5: EN, 0: PT, 3: EN}
    assert rule.templates_by_day(fields, [-5, 0, 3, 7]) is None  # a day without a template: not ours


def test_an_email_edited_by_hand_is_kept_when_the_days_change() -> None:
    document = _shipped_recipe()
    step = rule.email_step(document)
    step["input"]["subject"] = "Pague logo"
    edited = copy.deepcopy(step["input"])
    assert rule.templates_by_day(edited, [-5, 0, 1, 7]) is None
    rule.set_steps(document, [-2, 0], None)
    assert document["trigger"]["options"] == {"offsets": [-2, 0]} and step["input"] == edited


def test_a_rule_with_a_template_per_day_sends_each_day_its_own_email(collection: CollectionEnv) -> None:
    document = _shipped_recipe()
    document["key"] = "regua_mista"
    rule.set_steps(document, [-5, 1], {-5: PT, 1: EN})
    with collection.app.app_context():
        session = get_session()
        set_enabled(session, session.merge(collection.recipe("asaas_collection_rule")), False)
        result = save_recipe(session, document, source="wizard")
        assert result.errors == []
        session.commit()
    collection.payment("2025-03-10")
    [before] = collection.day("2025-03-05")
    assert before.message["Subject"] == "Lembrete: sua cobrança vence em breve" and "Olá, Ana Souza!" in before.text
    [late] = collection.day("2025-03-11")
    assert late.message["Subject"] == "Overdue payment: please settle it" and "Hello Ana Souza," in late.text
    assert "R$ 1.234,56" in late.text and "(1 day ago)" in late.text


def test_preview_rule_reads_an_unsaved_definition(collection: CollectionEnv) -> None:
    collection.payment("2025-03-08", value=50.0)
    collection.at("2025-03-05")
    with collection.app.app_context():
        session = get_session()
        asaas = session.query(Connection).filter_by(name="asaas").one()
        [row] = preview_rule(session, asaas, {"offsets": [-3]})
        assert (row.offset, row.due_date, row.value, row.email, row.already_queued, row.recipe_key) == (
            -3, "2025-03-08", 50.0, "ana@example.com", False, "")
        assert preview_rule(session, asaas, {"offsets": [-5, 0]}) == []
    assert collection.runs() == [] and collection.smtp.messages == []
