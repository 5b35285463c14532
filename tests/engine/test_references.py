"""Runs are found by their business references (payment, document, name, CPF/CNPJ, e-mail).

The references come from what the trigger declares (``Trigger.references``), are stored when the
run's trigger step produces its output, and are searched through an index by the run list, the API
(``/api/runs?ref=``) and the CLI (``runs list --ref``).
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.connections import create_connection
from app.db import get_session
from app.engine import references
from app.engine.executor import EmbeddedExecutor
from app.engine.recipes import save_recipe
from app.models import Event, Run, RunReference
from connectors import registry
from connectors.zapsign.triggers import WEBHOOK_EXAMPLES

RECIPE = {
    "key": "contract_watch", "name": "Contract watch",
    "trigger": {"connection": "zapsign", "event": "zapsign.document_created"},
    "filters": [{"field": "$.document.status", "op": "equals", "value": "never"}],  # stop after the trigger
    "steps": [{"key": "mail", "action": "email.send_email", "connection": "smtp",
               "input": {"to": "ops@example.com", "subject": "x", "body": "y"}}],
}


def _document(token: str, signer: str, email: str, cpf: str, external_id: str) -> dict[str, Any]:
    doc = copy.deepcopy(WEBHOOK_EXAMPLES["doc_created"])
    doc.update(token=token, external_id=external_id)
    doc["signers"][0].update(name=signer, email=email, cpf=cpf)
    return doc


@pytest.fixture
def runs(app: Flask) -> dict[str, int]:
    """Two ZapSign documents, each run through the real executor up to its (failing) filter."""
    with app.app_context():
        session = get_session()
        zapsign = create_connection(session, connector_key="zapsign", name="zapsign",
                                    values={"api_token": "zs-token-refs", "base_url": "http://127.0.0.1:9/api/v1"})
        create_connection(session, connector_key="email", name="smtp",
                          values={"host": "127.0.0.1", "port": 2525, "from_address": "p@example.com"})
        session.commit()
        result = save_recipe(session, RECIPE)
        assert not result.errors, result.errors
        for n, doc in enumerate([
            _document("doc-aaaa-1111", "Marina Costa Ândrade", "Marina.Andrade@Example.com.br", "529.982.247-25",
                      "pay_n6ic32hq5hr1xcr1"),
            _document("doc-bbbb-2222", "João Silva", "joao@example.com", "", "pay_other000001"),
        ]):
            session.add(Event(connection_id=zapsign.id, dedupe_key=f"d{n}", event_type="doc_created", payload=doc))
        session.commit()
    EmbeddedExecutor(app).run_until_idle()
    with app.app_context():
        rows = get_session().execute(select(Run.id, Run.status, Run.refs).order_by(Run.id)).all()
    assert [status for _, status, _ in rows] == ["filtered", "filtered"]
    return {"marina": rows[0][0], "joao": rows[1][0]}


def _found(app: Flask, text: str) -> set[int]:
    with app.app_context():
        return set(get_session().scalars(select(Run.id).where(references.run_has_reference(text))))


def test_a_run_keeps_the_references_its_trigger_declares_as_the_event_said_them(app: Flask,
                                                                              runs: dict[str, int]) -> None:
    with app.app_context():
        run = get_session().get(Run, runs["marina"])
        assert run.refs == {"document": "doc-aaaa-1111", "external_id": "pay_n6ic32hq5hr1xcr1",
                            "signer_name": "Marina Costa Ândrade", "email": "Marina.Andrade@Example.com.br",
                            "cpf": "529.982.247-25"}  # the empty cnpj is not a reference


@pytest.mark.parametrize("text, who", [
    ("doc-aaaa-1111", {"marina"}), ("pay_n6ic32hq5hr1xcr1", {"marina"}), ("PAY_N6IC", {"marina"}),
    ("marina.andrade@example.com.br", {"marina"}), ("52998224725", {"marina"}), ("529.982.247-25", {"marina"}),
    ("marina costa andrade", {"marina"}), ("andrade", {"marina"}), ("Ândr", {"marina"}), ("joão", {"joao"}),
    ("silva", {"joao"}), ("pay_", {"marina", "joao"}), ("doc-", {"marina", "joao"}),
    ("ma", set()),  # shorter than MIN_PREFIX: whole keys only
    ("arina", set()), ("nobody", set()), ("100%", set()), ("a\x00b", set()),
])
def test_search_matches_whole_keys_and_prefixes_of_folded_values(app: Flask, runs: dict[str, int], text: str,
                                                                  who: set[str]) -> None:
    assert _found(app, text) == {runs[name] for name in who}


def test_a_retry_with_another_trigger_output_replaces_the_references(app: Flask, runs: dict[str, int]) -> None:
    with app.app_context():
        session = get_session()
        run = session.get(Run, runs["joao"])
        references.record(session, run, "zapsign.document_created",
                          {"document": {"token": "doc-new"}, "signer": {"name": "Ana"}})
        session.commit()
        keys = set(session.scalars(select(RunReference.value).where(RunReference.run_id == run.id)))
    assert keys == {"doc-new", "ana"}
    assert _found(app, "silva") == set() and _found(app, "doc-new") == {runs["joao"]}


def test_the_api_the_cli_and_the_run_page_search_by_reference_and_show_it(
        app: Flask, runs: dict[str, int], client, operator) -> None:  # noqa: ANN001
    from tests.web.conftest import login

    listed = client.get("/api/runs?ref=52998224725", headers=operator.headers).json["runs"]
    assert [r["id"] for r in listed] == [runs["marina"]]
    assert listed[0]["references"]["document"] == "doc-aaaa-1111" and listed[0]["event_type"] == "doc_created"
    assert client.get("/api/runs?ref=" + "x" * 300, headers=operator.headers).status_code == 400

    cli = app.test_cli_runner()
    result = cli.invoke(args=["runs", "list", "--ref", "joao@example.com", "--json"])
    assert result.exit_code == 0, result.output
    assert [(r["id"], r["references"]["email"]) for r in json.loads(result.output)] == [
        (runs["joao"], "joao@example.com")]
    line = cli.invoke(args=["runs", "list", "--ref", "doc-aaaa-1111"]).output
    shown = "doc-aaaa-1111 · pay_n6ic32hq5hr1xcr1 · Marina Costa Ândrade"
    assert line.startswith(f"{runs['marina']}\t") and shown in line

    page = login(app.test_client(), operator).get("/runs?q=andrade").get_data(as_text=True)
    assert f'name="run_id" value="{runs["marina"]}"' in page and f'value="{runs["joao"]}"' not in page
    assert shown in page


def test_every_declared_reference_path_finds_a_value_in_its_triggers_sample() -> None:
    for connector in registry.CONNECTORS:
        for trigger in connector.triggers:
            key = f"{connector.key}.{trigger.key}"
            found = references.extract(key, trigger.sample)
            assert len(references._declared(key)) == len(trigger.references), key  # every path compiles
            if trigger.references:
                assert found, f"{key}: no declared reference has a value in the sample"
