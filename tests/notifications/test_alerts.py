"""Failure alerts: who gets them, the link, and one message per recipe per hour plus a count."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import time_machine
from flask import Flask
from sqlalchemy import select

from app.auth import create_user
from app.db import get_db, get_session
from app.engine import hooks
from app.models import Alert, Base, Connection, Recipe, User
from app.notifications import flush
from tests.smtp_server import SmtpServer, unused_port


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


def _app(make_app: Callable[..., Flask], port: int, **overrides: object) -> Flask:
    settings = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": port, "SMTP_SECURITY": "none", "SMTP_FROM": "ponte@example.com"}
    app = make_app(**{**settings, **overrides})
    engine = get_db(app).engine
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    with app.app_context():
        session = get_session()
        create_user(session, email="admin@example.com", name="Admin", role="admin", password="x" * 12)
        create_user(session, email="off@example.com", name="Off", role="admin", password="x" * 12).active = False
        owner = create_user(session, email="owner@example.com", name="Owner", role="operator", password="x" * 12)
        owner.locale = "en"
        create_user(session, email="other@example.com", name="Other", role="operator", password="x" * 12)
        connection = Connection(connector_key="asaas", name="asaas", settings={})
        session.add(connection)
        session.flush()
        session.add(Recipe(key="collection", name="Régua de cobrança", trigger_key="asaas.payment_due_reminder",
                           trigger_connection_id=connection.id, owner_id=owner.id, definition={}))
        session.commit()
    return app


def _fail(app: Flask, run_id: int, error: str = "email: the SMTP server refused every recipient") -> None:
    with app.app_context():
        recipe = get_session().scalar(select(Recipe))
        hooks.fire("run_failed", run_id=run_id, recipe_id=recipe.id, recipe_key=recipe.key, error=error)


def test_a_storm_sends_one_email_then_one_summary_with_the_count(make_app: Callable[..., Flask],
                                                                 smtp: SmtpServer) -> None:
    app = _app(make_app, smtp.port)
    with time_machine.travel("2025-03-05T10:05:00Z", tick=False) as clock:
        _fail(app, 41)
        clock.shift(600)
        _fail(app, 42)
        clock.shift(600)
        _fail(app, 43, "email: timeout")
        by_to = {tuple(m.rcpt_tos): m for m in smtp.messages}
        assert set(by_to) == {("admin@example.com",), ("owner@example.com",)}  # pt_BR and en groups
        first = by_to[("admin@example.com",)]
        assert first.message["Subject"] == "[Ponte] A receita “Régua de cobrança” falhou"
        assert "http://ponte.test/runs/41" in first.text and "refused every recipient" in first.text
        assert "Run #41 of recipe" in by_to[("owner@example.com",)].text

        with app.app_context():
            assert flush(app, get_session()) == 0  # the hour is not over yet
        clock.move_to("2025-03-05T11:00:01Z")
        with app.app_context():
            assert flush(app, get_session()) == 1
            assert flush(app, get_session()) == 0  # sent once
    summaries = smtp.messages[2:]
    assert len(summaries) == 2
    summary = next(m for m in summaries if m.rcpt_tos == ["admin@example.com"])
    assert "mais 2 falha(s) entre 05/03/2025 07:00 e 08:00" in summary.message["Subject"]
    assert "Última falha: email: timeout" in summary.text and "/runs?status=failed&recipe=" in summary.text


def test_a_new_hour_sends_at_once_again(make_app: Callable[..., Flask], smtp: SmtpServer) -> None:
    app = _app(make_app, smtp.port)
    with time_machine.travel("2025-03-05T10:59:00Z", tick=False) as clock:
        _fail(app, 1)
        clock.shift(120)
        _fail(app, 2)
    assert len(smtp.messages) == 4 and "/runs/2" in smtp.messages[-1].text


def test_a_rejected_connection_alerts_admins_and_the_owners_of_its_recipes(make_app: Callable[..., Flask],
                                                                          smtp: SmtpServer) -> None:
    app = _app(make_app, smtp.port)
    with app.app_context():
        connection = get_session().scalar(select(Connection))
        hooks.fire("connection_rejected", connection_id=connection.id, name="asaas",
                   error="HTTP 401 invalid_access_token")
    assert sorted(m.rcpt_tos[0] for m in smtp.messages) == ["admin@example.com", "owner@example.com"]
    mail = next(m for m in smtp.messages if m.rcpt_tos == ["admin@example.com"])
    assert "credenciais recusadas" in mail.message["Subject"]
    assert f"http://ponte.test/connections/{connection.id}" in mail.text and "invalid_access_token" in mail.text


def test_without_smtp_host_nothing_is_sent_and_a_line_is_logged(make_app: Callable[..., Flask],
                                                               caplog: pytest.LogCaptureFixture) -> None:
    app = _app(make_app, 25, SMTP_HOST="")
    _fail(app, 7)
    assert "no e-mail connection is set for them and SMTP_HOST is not set" in caplog.text
    with app.app_context():
        assert get_session().scalar(select(Alert)).count == 1


def test_an_smtp_outage_never_breaks_the_run_and_the_flush_job_sends_later(make_app: Callable[..., Flask],
                                                                           smtp: SmtpServer) -> None:
    app = _app(make_app, unused_port())  # nobody listens: connection refused
    _fail(app, 9)  # returns at once: the listener logs the refused connection, the run goes on
    with app.app_context():
        assert get_session().scalar(select(Alert)).sent_at is None
    app.config["SMTP_PORT"] = smtp.port  # the server is back
    with app.app_context():
        assert flush(app, get_session()) == 1
    assert len(smtp.messages) == 2 and "/runs/9" in smtp.messages[0].text


def test_a_real_run_failing_for_good_sends_the_alert(make_app: Callable[..., Flask], smtp: SmtpServer) -> None:
    from app.engine.runner import fail_run
    from app.models import Run

    app = _app(make_app, smtp.port)
    with app.app_context():
        session = get_session()
        recipe = session.scalar(select(Recipe))
        run = Run(recipe_id=recipe.id, recipe_version=1, status="running")
        session.add(run)
        session.commit()
        assert fail_run(session, run.id, "internal error: boom") == "failed"
    assert {m.rcpt_tos[0] for m in smtp.messages} == {"admin@example.com", "owner@example.com"}
    assert f"/runs/{run.id}" in smtp.messages[0].text
    with app.app_context():
        assert get_session().scalar(select(User).where(User.email == "other@example.com")) is not None


def test_a_recipe_name_with_a_line_break_still_sends_the_alert(make_app: Callable[..., Flask],
                                                               smtp: SmtpServer) -> None:
    app = _app(make_app, smtp.port)
    with app.app_context():
        session = get_session()
        session.scalar(select(Recipe)).name = "Régua\r\nBcc: evil@example.com"
        session.commit()
    _fail(app, 7)
    assert smtp.messages and all(m.rcpt_tos != ["evil@example.com"] for m in smtp.messages)
    assert smtp.messages[0].message["Subject"] == "[Ponte] A receita “Régua Bcc: evil@example.com” falhou"
