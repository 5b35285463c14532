"""A paused queue is seen, alerted and resumed; the catch-up fills what webhooks missed, exactly once.

Asaas is doubled with ``responses``; the recipe ``charge_to_doc`` (asaas.payment_created) is real,
and so are the events, the dispatch and the run rows with their unique keys.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
import responses
from sqlalchemy import func, select

from app.catchup import catch_up
from app.db import get_session
from app.engine.dispatch import dispatch_pending
from app.models import Alert, Connection, Event, Run, utcnow
from app.webhook_setup import load_state
from app.webhook_watch import alerting, check, overview
from tests.cli.conftest import Project

ASAAS = "http://asaas.test/v3"
PAYMENT = {"object": "payment", "id": "pay_late1", "customer": "cus_1", "billingType": "BOLETO", "value": 150.0,
           "netValue": 149.01, "status": "PENDING", "dueDate": "2025-03-10", "dateCreated": "2025-03-01",
           "deleted": False}


def _list(*items: dict[str, Any]) -> dict[str, Any]:
    return {"object": "list", "hasMore": False, "totalCount": len(items), "limit": 100, "offset": 0,
            "data": list(items)}


@pytest.fixture
def wired(project: Project) -> Project:
    project.app.config.update(WEBHOOK_AUTO_REGISTER=True, PUBLIC_BASE_URL="https://ponte.example.com")
    with responses.RequestsMock() as mock:
        mock.get(f"{ASAAS}/webhooks", json=_list())
        mock.post(f"{ASAAS}/webhooks", json={"id": "wh_1"})
        for name, connector, sets in (("asaas", "asaas", ["api_key=$aact_hmlg_k", f"base_url={ASAAS}"]),
                                      ("zapsign", "zapsign", ["api_token=t", "base_url=http://127.0.0.1:9/api/v1"])):
            project.app.config["WEBHOOK_AUTO_REGISTER"] = connector == "asaas"
            result = project.cli("connections", "create", "--connector", connector, "--name", name,
                                 *[x for s in sets for x in ("--set", s)], "--json")
            assert result.exit_code == 0, result.output
    project.app.config["WEBHOOK_AUTO_REGISTER"] = True
    return project


def _connection(name: str = "asaas") -> Connection:
    connection = get_session().scalar(select(Connection).where(Connection.name == name))
    assert connection is not None
    return connection


def _runs() -> int:
    session = get_session()
    dispatch_pending(session)
    return session.scalar(select(func.count()).select_from(Run)) or 0


def _payments(mock: responses.RequestsMock, created: list[dict[str, Any]]) -> None:
    """``GET /payments``: ``created`` for the dateCreated query, nothing paid or overdue."""
    def answer(request: Any) -> tuple[int, dict[str, str], str]:
        items = created if "dateCreated%5Bge%5D" in request.url or "dateCreated[ge]" in request.url else []
        return 200, {}, json.dumps(_list(*items))
    mock.add_callback(responses.GET, re.compile(rf"{re.escape(ASAAS)}/payments.*"), callback=answer)


def _late_webhook(project: Project, connection: Connection, event_id: str) -> None:
    token = connection.get_credentials()["webhook_token"]
    body = {"id": event_id, "event": "PAYMENT_CREATED", "dateCreated": "2025-03-01 10:00:00", "payment": PAYMENT}
    answer = project.app.test_client().post(f"/webhooks/{connection.uid}", json=body,
                                            headers={"asaas-access-token": token})
    assert answer.status_code == 200, answer.get_data(as_text=True)


def test_a_recovered_change_runs_once_and_its_late_webhook_starts_nothing(wired: Project) -> None:
    with wired.app.app_context(), responses.RequestsMock() as mock:
        _payments(mock, [PAYMENT])
        session, connection = get_session(), _connection()
        dry = catch_up(session, connection, wired.app.config, dry_run=True)
        assert dry is not None and [n["change"] for n in dry.new] == ["pay_late1:PAYMENT_CREATED"]
        assert dry.stored == 0 and session.scalar(select(func.count()).select_from(Event)) == 0
        report = catch_up(session, connection, wired.app.config)
        assert report is not None and report.stored == 1
        event = session.scalar(select(Event))
        assert event is not None and event.source == "recovered" and event.dedupe_key.startswith("recovered:")
        assert _runs() == 1
        _late_webhook(wired, connection, "evt_aaaa&1")  # Asaas delivers the same change after all
        assert session.scalar(select(func.count()).select_from(Event)) == 2  # stored and shown...
        assert _runs() == 1  # ...but it runs nothing twice
        again = catch_up(session, connection, wired.app.config)
        assert again is not None and again.stored == 0 and _runs() == 1


def test_a_change_the_webhook_delivered_first_is_not_recovered(wired: Project) -> None:
    with wired.app.app_context(), responses.RequestsMock() as mock:
        _payments(mock, [PAYMENT])
        connection = _connection()
        _late_webhook(wired, connection, "evt_bbbb&2")
        assert _runs() == 1
        report = catch_up(get_session(), connection, wired.app.config)
        assert report is not None and report.listed == 1 and report.new == [] and _runs() == 1


def _queue(mock: responses.RequestsMock, url: str, *, interrupted: bool) -> None:
    mock.get(f"{ASAAS}/webhooks", json=_list({"id": "wh_1", "url": url, "enabled": True,
                                              "interrupted": interrupted}))


def test_a_paused_queue_is_alerted_and_resumed_when_ponte_is_healthy(wired: Project) -> None:
    with wired.app.app_context(), responses.RequestsMock() as mock:
        connection = _connection()
        url = f"https://ponte.example.com/webhooks/{connection.uid}"
        _queue(mock, url, interrupted=True)
        mock.put(f"{ASAAS}/webhooks/wh_1", json={"id": "wh_1"})
        _payments(mock, [])
        state = check(wired.app, get_session(), connection, wired.app.config)
        puts = [json.loads(c.request.body) for c in mock.calls if c.request.method == "PUT"]
        assert puts == [{"interrupted": False, "enabled": True}]
        assert state["reactivated_at"] and state["alerting"] is False
        alert = get_session().scalar(select(Alert).where(Alert.subject == f"webhook:{connection.id}"))
        assert alert is not None and alert.count == 1 and "wh_1 (paused)" in (alert.last_error or "")
        assert load_state(get_session(), connection, "catchup")["until"]  # a catch-up followed
        assert overview(get_session(), connection)["queue"] == "active"


def test_a_paused_queue_stays_paused_and_shown_while_ponte_lags_behind(wired: Project) -> None:
    with wired.app.app_context(), responses.RequestsMock() as mock:
        session, connection = get_session(), _connection()
        session.add(Event(connection_id=connection.id, dedupe_key="evt_old", event_type="PAYMENT_CREATED",
                          payload={}, received_at=utcnow() - timedelta(minutes=30)))
        session.commit()
        _queue(mock, f"https://ponte.example.com/webhooks/{connection.uid}", interrupted=True)
        state = check(wired.app, session, connection, wired.app.config)
        assert state["alerting"] is True and not [c for c in mock.calls if c.request.method == "PUT"]
        assert [c.name for c in alerting(session)] == ["asaas"]
        assert overview(session, connection)["queue"] == "paused"
        client = wired.app.test_client()
        _login(wired, client)
        page = client.get("/").get_data(as_text=True)
        assert "asaas" in page and "webhook" in page.lower()


def _login(project: Project, client: Any, locale: str = "en", email: str = "admin@example.com") -> None:
    from app.models import User

    session = get_session()
    user = User(email=email, name="Admin", role="admin", locale=locale)
    user.set_password("a-long-password-1")
    session.add(user)
    session.commit()
    answer = client.post("/login", data={"email": email, "password": "a-long-password-1"})
    assert answer.status_code in (302, 303), answer.get_data(as_text=True)[:500]


def test_the_connection_page_says_why_asaas_refused_in_both_languages(project: Project) -> None:
    project.app.config.update(WEBHOOK_AUTO_REGISTER=True, PUBLIC_BASE_URL="https://ponte.example.com")
    with responses.RequestsMock() as mock:
        mock.get(f"{ASAAS}/webhooks", status=403, json={"errors": [{"code": "x", "description": "Sem permissão"}]})
        result = project.cli("connections", "create", "--connector", "asaas", "--name", "asaas",
                             "--set", "api_key=$aact_hmlg_k", "--set", f"base_url={ASAAS}")
        assert result.exit_code == 0, result.output
    client = project.app.test_client()
    with project.app.app_context():  # the pages are asked outside it: each request has its own locale
        _login(project, client, locale="pt_BR")
        connection_id = _connection().id
    portuguese = client.get(f"/connections/{connection_id}").get_data(as_text=True)
    assert "sem permissão" in portuguese and "Passos manuais" in portuguese
    assert "no permission" not in portuguese
    with responses.RequestsMock() as mock:
        mock.get(f"{ASAAS}/webhooks", json=_list())
        mock.post(f"{ASAAS}/webhooks", json={"id": "wh_9"})
        answer = client.post(f"/connections/{connection_id}/webhook")
        assert answer.status_code in (302, 303)
    page = client.get(f"/connections/{connection_id}").get_data(as_text=True)
    assert "nada para colar" in page and "Passos manuais" not in page
