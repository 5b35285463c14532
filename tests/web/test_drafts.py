"""Wizard drafts live in the database: atomic saves, any web process continues a draft, owners only."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from app.db import get_db, get_session
from app.models import WizardDraft, utcnow
from app.web import draft_store
from tests.conftest import Person
from tests.web.conftest import login
from tests.web.test_wizard import _start


def test_a_draft_started_on_one_web_process_is_continued_on_another(
    app: Flask, make_app: Callable[..., Flask], operator: Person, seeded: dict[str, int]
) -> None:
    first = login(app.test_client(), operator)
    base = _start(first, "blank")
    first.post(f"{base}/trigger", data={"event": "asaas.payment_created",
                                        "action": "zapsign.create_document_from_template", "go": "next"})
    other = make_app()  # a second process on the same database: no shared instance folder needed
    second = login(other.test_client(), operator)
    page = second.get(f"{base}/connect")
    assert page.status_code == 200
    with other.app_context():
        row = get_session().get(WizardDraft, base.rsplit("/", 1)[1])
        assert row is not None and row.owner_id == operator.id
        assert row.data["document"]["steps"][0]["action"] == "zapsign.create_document_from_template"


def test_only_the_owner_opens_a_draft(operator_client: FlaskClient, admin_client: FlaskClient,
                                      seeded: dict[str, int]) -> None:
    base = _start(operator_client, "blank")
    assert operator_client.get(f"{base}/trigger").status_code == 200
    assert admin_client.get(f"{base}/trigger").status_code == 404
    assert admin_client.post(f"{base}/preview", data={}).status_code == 404


def test_forty_concurrent_saves_of_one_draft_all_land_whole(app: Flask, operator: Person) -> None:
    with app.app_context():
        draft = draft_store.new_draft(operator.id, {"name": "x", "steps": []}, template="blank")
    failures: list[BaseException] = []
    results: list[bool] = []

    def save(n: int) -> None:
        try:
            with app.app_context():
                copy = {**draft, "document": {"name": f"name {n}", "steps": [{"key": f"s{n}"}] * 20}}
                results.append(draft_store.save_draft(copy))
        except BaseException as exc:  # noqa: BLE001 (collected and asserted below)
            failures.append(exc)

    threads = [threading.Thread(target=save, args=(n,)) for n in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert results == [True] * 40
    with app.app_context():
        loaded = draft_store.load_draft(draft["id"], operator.id)
    assert loaded is not None and loaded["revision"] == 41
    n = int(loaded["document"]["name"].split()[1])  # one writer's document, whole
    assert loaded["document"]["steps"] == [{"key": f"s{n}"}] * 20


def test_a_late_save_does_not_bring_back_a_finished_draft(app: Flask, operator: Person) -> None:
    with app.app_context():
        draft = draft_store.new_draft(operator.id, {"name": "x"}, template="blank")
        draft_store.delete_draft(draft)
        assert draft_store.save_draft(draft) is False
        assert draft_store.load_draft(draft["id"], operator.id) is None


def test_drafts_untouched_for_a_week_are_forgotten(app: Flask, operator: Person) -> None:
    with app.app_context():
        old = draft_store.new_draft(operator.id, {"name": "old"}, template="blank")
        with get_db().engine.begin() as connection:
            connection.execute(update(WizardDraft).where(WizardDraft.id == old["id"])
                               .values(updated_at=utcnow() - timedelta(days=8)))
        fresh = draft_store.new_draft(operator.id, {"name": "fresh"}, template="blank")
        ids = set(get_session().scalars(select(WizardDraft.id)))
    assert ids == {fresh["id"]}
