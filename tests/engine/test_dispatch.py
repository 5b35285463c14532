"""Dispatch: one run per (matching recipe, event), queued in one statement, nothing doubled."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.db import get_session
from app.engine.dispatch import candidate_trigger_keys, dispatch_event
from app.models import Connection, Event, Recipe, Run


def _recipe(session: Any, connection: Connection, key: str, trigger_key: str, **definition: Any) -> Recipe:
    recipe = Recipe(key=key, name=key, trigger_connection_id=connection.id, trigger_key=trigger_key,
                    definition={"key": key, "trigger": {"connection": connection.name, "event": trigger_key},
                                **definition})
    session.add(recipe)
    session.flush()
    return recipe


@pytest.fixture
def session(app: Flask) -> Any:
    with app.app_context():
        yield get_session()


def _connection(session: Any, connector: str) -> Connection:
    connection = Connection(connector_key=connector, name=connector, settings={})
    session.add(connection)
    session.flush()
    return connection


def test_each_matching_recipe_gets_one_run_with_its_own_retry_limit_and_a_second_dispatch_adds_none(
        session: Any) -> None:
    asaas = _connection(session, "asaas")
    created = [_recipe(session, asaas, f"created_{i}", "asaas.payment_created", retry={"max_attempts": i + 1})
               for i in range(3)]
    any_event = _recipe(session, asaas, "any_payment", "asaas.payment_any")
    _recipe(session, asaas, "received", "asaas.payment_received")
    disabled = _recipe(session, asaas, "disabled", "asaas.payment_created")
    disabled.enabled = False
    event = Event(connection_id=asaas.id, dedupe_key="evt_1", event_type="PAYMENT_CREATED", payload={})
    session.add(event)
    session.commit()

    ids = dispatch_event(session, event)
    runs = session.scalars(select(Run).order_by(Run.id)).all()
    assert ids == [run.id for run in runs]
    assert {run.recipe_id for run in runs} == {r.id for r in created} | {any_event.id}
    limits = {run.recipe_id: run.max_attempts for run in runs}
    assert [limits[r.id] for r in created] == [1, 2, 3] and limits[any_event.id] == 6
    assert all(run.status == "queued" and run.event_id == event.id for run in runs)
    assert event.dispatched_at is not None

    assert dispatch_event(session, event) == []  # a racing or repeated dispatcher
    assert len(session.scalars(select(Run)).all()) == 4


def test_trigger_options_stored_in_the_recipe_decide_whether_it_fires(session: Any) -> None:
    zapsign = _connection(session, "zapsign")
    every = _recipe(session, zapsign, "every", "zapsign.document_signed",
                    trigger={"connection": "zapsign", "event": "zapsign.document_signed",
                             "options": {"when": "every_signature"}})
    _recipe(session, zapsign, "all_signed", "zapsign.document_signed")
    payload = {"token": "doc-1", "status": "pending", "signer_who_signed": {"token": "signer-1"}}
    event = Event(connection_id=zapsign.id, dedupe_key="d1", event_type="doc_signed", payload=payload)
    session.add(event)
    session.commit()

    dispatch_event(session, event)
    [run] = session.scalars(select(Run)).all()
    assert run.recipe_id == every.id
    assert run.dedupe_key == f"{every.id}:once:zapsign-doc:doc-1:signer:signer-1"


def test_an_event_type_no_trigger_listens_to_reads_no_recipe(session: Any) -> None:
    asaas = _connection(session, "asaas")
    _recipe(session, asaas, "received", "asaas.payment_received")
    assert "asaas.payment_received" not in candidate_trigger_keys("PAYMENT_CREATED")
    assert "asaas.payment_any" in candidate_trigger_keys("PAYMENT_CREATED")
    assert "asaas.payment_received" not in candidate_trigger_keys("SOMETHING_ELSE")
    event = Event(connection_id=asaas.id, dedupe_key="e", event_type="SOMETHING_ELSE", payload={})
    session.add(event)
    session.commit()
    assert dispatch_event(session, event) == []
    assert event.dispatched_at is not None


def test_a_polled_event_goes_to_its_recipe_only(session: Any) -> None:
    asaas = _connection(session, "asaas")
    mine = _recipe(session, asaas, "mine", "asaas.payment_created", retry={"max_attempts": 2})
    _recipe(session, asaas, "other", "asaas.payment_created")
    event = Event(connection_id=asaas.id, dedupe_key="p", event_type="PAYMENT_CREATED", payload={},
                  recipe_id=mine.id, source="poll")
    session.add(event)
    session.commit()
    dispatch_event(session, event)
    [run] = session.scalars(select(Run)).all()
    assert run.recipe_id == mine.id and run.max_attempts == 2
