"""The collection rule end to end: the right email on the right day, once, and never after payment."""

from __future__ import annotations

import pytest
import yaml
from sqlalchemy import select

from app.collection.emails import LOCALES, TITLES, mapping_key, mapping_yaml
from app.db import get_session
from app.engine import polling
from app.engine.recipes import set_enabled
from app.models import Event, TriggerState
from tests.collection.env import ROOT, CollectionEnv


def _subjects(mail: list) -> list[str]:
    return [m.message["Subject"] for m in mail]


def test_reminders_go_out_d_minus_5_d0_d_plus_1_d_plus_7_with_their_tone(collection: CollectionEnv) -> None:
    payment = collection.payment("2025-03-10", description="Mensalidade de março")
    by_day = {f"2025-03-{d:02d}": collection.day(f"2025-03-{d:02d}") for d in range(1, 19)}

    sent = {day: mail for day, mail in by_day.items() if mail}
    assert list(sent) == ["2025-03-05", "2025-03-10", "2025-03-11", "2025-03-17"]
    assert all(len(mail) == 1 and mail[0].rcpt_tos == ["ana@example.com"] for mail in sent.values())
    before, due, late, week = (sent[d][0] for d in sent)
    assert before.message["Subject"] == "Lembrete: sua cobrança vence em breve"
    assert "vence em\n<strong>5 dias</strong>" in before.html or "vence em 5 dias" in before.text
    assert due.message["Subject"] == "Sua cobrança vence hoje" and "vence hoje, 10/03/2025" in due.text
    assert late.message["Subject"] == "Cobrança em atraso: regularize seu pagamento"
    assert "(há 1 dia)" in late.text and "(há 7 dias)" in week.text
    for mail in sent.values():
        assert "Olá, Ana Souza!" in mail[0].text and "R$ 1.234,56" in mail[0].text
        assert "10/03/2025" in mail[0].text and "Referente a: Mensalidade de março" in mail[0].text
        assert payment["invoiceUrl"] in mail[0].html and payment["bankSlipUrl"] in mail[0].html
        assert payment["invoiceUrl"] in mail[0].text  # the text part keeps the links
    assert {r.status for r in collection.runs()} == {"succeeded"} and len(collection.runs()) == 4


def test_a_payment_paid_before_the_send_is_skipped_not_failed(collection: CollectionEnv) -> None:
    payment = collection.payment("2025-03-10")
    collection.at("2025-03-05")
    collection.poll()  # the D−5 event is stored ...
    collection.pay(payment["id"])  # ... and the customer pays before the executor gets to it
    collection.run()
    [run] = collection.runs()
    assert run.status == "skipped" and "already paid / removed" in run.error
    assert collection.new_mail() == []
    assert collection.day("2025-03-10") == [] and collection.day("2025-03-11") == []  # RECEIVED: not swept


def test_a_crash_between_poll_and_commit_loses_and_repeats_nothing(collection: CollectionEnv,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    collection.payment("2025-03-10", name="Bruno Lima", email="bruno@example.com")
    collection.payment("2025-03-10", name="Carla Dias", email="carla@example.com")

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("power cut after the events were added")

    collection.at("2025-03-05")
    with monkeypatch.context() as patch:
        patch.setattr(polling, "save_cursor", crash)
        assert collection.poll()  # the job survives the crash
    with collection.app.app_context():
        session = get_session()
        assert session.scalars(select(Event)).all() == [] and session.scalars(select(TriggerState)).all() == []
    collection.poll()  # the next tick
    collection.poll()  # and one more: nothing new
    collection.run()
    assert sorted(m.rcpt_tos[0] for m in collection.new_mail()) == ["bruno@example.com", "carla@example.com"]
    assert collection.day("2025-03-06") == []


def test_a_moved_due_date_rearms_the_steps(collection: CollectionEnv) -> None:
    payment = collection.payment("2025-03-10")
    assert _subjects(collection.day("2025-03-05")) == ["Lembrete: sua cobrança vence em breve"]
    collection.move_due_date(payment["id"], "2025-03-20")
    assert collection.day("2025-03-10") == []  # the old D0 is gone with the old date
    again = collection.day("2025-03-15")  # D−5 of the new date
    assert _subjects(again) == ["Lembrete: sua cobrança vence em breve"] and "20/03/2025" in again[0].text
    assert "vence hoje, 20/03/2025" in collection.day("2025-03-20")[0].text


def test_a_stale_step_whose_due_date_moved_meanwhile_is_skipped(collection: CollectionEnv) -> None:
    payment = collection.payment("2025-03-10")
    collection.at("2025-03-05")
    collection.poll()
    collection.move_due_date(payment["id"], "2025-03-25")
    collection.run()
    [run] = collection.runs()
    assert run.status == "skipped" and "due date" in run.error and collection.new_mail() == []


def test_enabling_a_recipe_does_not_replay_history(collection: CollectionEnv) -> None:
    with collection.app.app_context():
        set_enabled(get_session(), get_session().merge(collection.recipe("asaas_collection_rule")), False)
    collection.payment("2025-03-10")
    collection.payment("2025-03-13", name="Davi Reis", email="davi@example.com")
    assert collection.day("2025-03-05") == []  # disabled: nothing polled
    collection.at("2025-03-12")
    with collection.app.app_context():
        set_enabled(get_session(), get_session().merge(collection.recipe("asaas_collection_rule")), True)
    # D0 (10th) and D+1 (11th) of the first, D−5 (8th) of the second were before the rule was on.
    assert collection.day("2025-03-12") == []
    later = {day: [m.rcpt_tos[0] for m in collection.day(f"2025-03-{day}")] for day in range(13, 19)}
    assert later == {13: ["davi@example.com"], 14: ["davi@example.com"], 15: [], 16: [],
                     17: ["ana@example.com"], 18: []}  # D0 and D+1 of the second; D+7 of the first


def test_a_customer_without_email_is_filtered(collection: CollectionEnv) -> None:
    collection.payment("2025-03-10", name="Sem Email", email=None)
    assert collection.day("2025-03-05") == []
    assert [r.status for r in collection.runs()] == ["filtered"]


def test_polled_events_reach_only_the_recipe_that_polled_them(collection: CollectionEnv) -> None:
    collection.payment("2025-03-10")
    mail = collection.day("2025-03-05")
    assert len(mail) == 1  # the receipt recipe on the same connection got no run
    assert {r.recipe_id for r in collection.runs()} == {collection.recipe("asaas_collection_rule").id}


def test_payment_received_sends_the_receipt(collection: CollectionEnv) -> None:
    from app.engine.dispatch import dispatch_pending
    from app.models import Connection

    payment = collection.payment("2025-03-10", value=450.0, description="Plano anual")
    collection.at("2025-03-07")
    collection.pay(payment["id"])
    envelope = next(e for e in collection.state.events.values() if e["event"] == "PAYMENT_RECEIVED")
    with collection.app.app_context():  # the webhook delivery, stored as the ingest would store it
        session = get_session()
        asaas = session.scalar(select(Connection).where(Connection.name == "asaas"))
        session.add(Event(connection_id=asaas.id, dedupe_key=envelope["id"], event_type="PAYMENT_RECEIVED",
                          payload=envelope, source="webhook"))
        session.commit()
        dispatch_pending(session)
    collection.run()
    [mail] = collection.new_mail()
    assert mail.message["Subject"] == "Pagamento recebido: obrigado!"
    assert "R$ 450,00" in mail.text and "07/03/2025" in mail.text and payment["invoiceUrl"] in mail.text


def test_english_templates_render() -> None:
    from app.engine.mapping import compile_mapping
    from connectors.mail.templates import render_html

    document = yaml.safe_load((ROOT / "mappings" / "collection_reminder_email_en.yaml").read_text(encoding="utf-8"))
    mapping = compile_mapping(document["fields"], where="collection_reminder_email_en")
    doc = {"customer": {"name": "Ana", "email": "a@example.com"},
           "payment": {"value": 99.9, "invoiceUrl": "https://x/i/1", "bankSlipUrl": None},
           "reminder": {"offset": 1, "phase": "after", "days": 1, "due_date": "2025-03-10"}, "steps": {}}
    mapped = mapping.apply(doc).value
    assert mapped["subject"] == "Overdue payment: please settle it"
    html = render_html(mapped["html_template"], mapped["variables"])
    assert "R$ 99,90" in html and "10/03/2025" in html and "(1 day ago)" in html and "boleto" not in html


def test_the_shipped_mappings_embed_the_template_files() -> None:
    for kind in TITLES:
        for locale in LOCALES:
            path = ROOT / "mappings" / f"{mapping_key(kind, locale)}.yaml"
            assert path.read_text(encoding="utf-8") == mapping_yaml(kind, locale), (
                f"{path.name} differs from its template: run python -m app.collection.emails")


def test_preview_lists_who_gets_what_today_and_sends_nothing(collection: CollectionEnv) -> None:
    collection.payment("2025-03-10")
    collection.payment("2025-03-04", name="Bruno Lima", email="bruno@example.com", value=80.5)
    collection.payment("2025-03-20", name="Carla Dias", email="carla@example.com")
    collection.at("2025-03-05")
    runner = collection.app.test_cli_runner()
    result = runner.invoke(args=["collection", "preview"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any("D-5" in line and "R$ 1.234,56" in line and "due 10/03/2025" in line and "ana@example.com" in line
               for line in lines)
    assert any("D+1" in line and "R$ 80,50" in line and "bruno@example.com" in line for line in lines)
    assert "carla" not in result.output and lines[-1] == "2 reminder(s) due today; nothing was sent"
    assert collection.smtp.messages == [] and collection.runs() == []
    collection.poll()
    assert "(already queued)" in runner.invoke(args=["collection", "preview", "asaas_collection_rule"]).output
    assert runner.invoke(args=["collection", "preview", "nope"]).exit_code != 0
