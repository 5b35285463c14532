"""Alerts set up in the UI: through an e-mail connection, to chosen people, with a test alert; on by
default once an e-mail connection exists; the dashboard says when nobody would be told."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.connections import create_connection
from app.db import get_session
from app.models import AlertSettings, Connection
from tests.notifications.test_alerts import _app, _fail
from tests.smtp_server import SmtpServer, unused_port


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


def _email_connection(app: Flask, port: int, name: str = "E-mail financeiro") -> int:
    with app.app_context():
        session = get_session()
        connection = create_connection(session, connector_key="email", name=name, values={
            "host": "127.0.0.1", "port": port, "security": "none", "from_address": "alertas@example.com"})
        session.commit()
        return connection.id


def _admin_client(app: Flask) -> FlaskClient:
    client = app.test_client()
    assert client.post("/login", data={"email": "admin@example.com", "password": "x" * 12}).status_code == 302
    return client


def test_with_an_email_connection_alerts_are_on_by_default_and_go_through_it(
    make_app: Callable[..., Flask], smtp: SmtpServer
) -> None:
    app = _app(make_app, 25, SMTP_HOST="")  # no platform SMTP: only the connection
    _email_connection(app, smtp.port)
    _fail(app, 7)
    assert any(m.rcpt_tos == ["admin@example.com"] for m in smtp.messages)
    assert "alertas@example.com" in smtp.messages[0].message["From"]


def test_the_alerts_page_sets_recipients_and_sends_a_test_alert(make_app: Callable[..., Flask],
                                                                smtp: SmtpServer) -> None:
    app = _app(make_app, 25, SMTP_HOST="")
    connection_id = _email_connection(app, smtp.port)
    client = _admin_client(app)
    page = client.get("/alerts").get_data(as_text=True)
    assert "Enviar um alerta de teste" in page and "E-mail financeiro" in page
    bad = client.post("/alerts", data={"enabled": "1", "connection_id": str(connection_id),
                                       "recipients": "financeiro@example.com\nnot-an-address"})
    assert bad.status_code == 200 and "Não é um endereço de e-mail: not-an-address" in bad.get_data(as_text=True)
    assert "financeiro@example.com" in bad.get_data(as_text=True)  # what was typed survives the error
    saved = client.post("/alerts", data={"enabled": "1", "connection_id": str(connection_id),
                                         "recipients": "Financeiro@Example.com"})
    assert saved.status_code == 302
    with app.app_context():
        row = get_session().get(AlertSettings, 1)
        assert row.recipients == ["financeiro@example.com"] and row.notify_admins is False
    answer = client.post("/alerts/test", follow_redirects=True).get_data(as_text=True)
    assert "Alerta de teste enviado para financeiro@example.com." in answer
    [mail] = smtp.messages
    assert mail.rcpt_tos == ["financeiro@example.com"] and "[Ponte] Alerta de teste" in mail.message["Subject"]
    _fail(app, 8)
    # A real failure: the extra address and the recipe's owner; not the admins (unticked).
    assert sorted(r for m in smtp.messages[1:] for r in m.rcpt_tos) == ["financeiro@example.com", "owner@example.com"]


def test_a_test_alert_that_cannot_be_sent_says_why_in_the_page_language(make_app: Callable[..., Flask]) -> None:
    app = _app(make_app, 25, SMTP_HOST="")
    _email_connection(app, unused_port())  # nothing listens there
    answer = _admin_client(app).post("/alerts/test", follow_redirects=True).get_data(as_text=True)
    assert "O alerta de teste não pôde ser enviado:" in answer


def test_the_dashboard_says_when_nobody_would_be_told(make_app: Callable[..., Flask]) -> None:
    app = _app(make_app, 25, SMTP_HOST="")
    client = _admin_client(app)
    page = client.get("/").get_data(as_text=True)
    assert "Nenhuma conexão de e-mail está definida para os alertas" in page and 'href="/alerts"' in page
    _email_connection(app, 2525)
    assert 'id="alerts-problem"' not in client.get("/").get_data(as_text=True)
    client.post("/alerts", data={"connection_id": ""})  # switched off
    assert "Os alertas de falha estão desligados" in client.get("/").get_data(as_text=True)


def test_operators_cannot_change_alerts(make_app: Callable[..., Flask]) -> None:
    app = _app(make_app, 25, SMTP_HOST="")
    client = app.test_client()
    client.post("/login", data={"email": "other@example.com", "password": "x" * 12})
    assert client.get("/alerts").status_code == 403
    assert client.post("/alerts/test").status_code == 403
    with app.app_context():
        assert get_session().scalar(select(Connection).where(Connection.connector_key == "email")) is None
