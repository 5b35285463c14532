"""End to end in Chromium: a blank automation on the schedule ("weekdays at 09:00 → send e-mail"):
the schedule form and its next fire times, no trigger account, the fields of the schedule's event;
saved and enabled, the scheduler's poll fires it and the e-mail reaches a real SMTP server.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from app.connections import create_connection
from app.db import get_session
from app.engine.executor import EmbeddedExecutor
from app.engine.polling import poll_all, trigger_state
from app.models import Recipe
from connectors.schedule.cron import compile_schedule
from tests.browser.conftest import OPERATOR, Stack, login
from tests.smtp_server import SmtpServer

pytestmark = pytest.mark.browser

SENDER = "E-mail financeiro"
WEEKDAY = re.compile(r"^\d{2}/\d{2}/\d{4} 09:00 (segunda|terça|quarta|quinta|sexta)-feira$")


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture(scope="module")
def sender(stack: Stack, smtp: SmtpServer) -> None:
    with stack.app.app_context():
        session = get_session()
        create_connection(session, connector_key="email", name=SENDER, values={
            "host": smtp.host, "port": smtp.port, "security": "none", "from_address": "financeiro@example.com",
            "timeout_seconds": 5})
        session.commit()


def test_a_weekday_schedule_sends_its_email(browser: Browser, stack: Stack, sender: None, smtp: SmtpServer) -> None:
    page = login(browser, stack, OPERATOR)
    page.click("text=Automações")
    page.click("text=+ Nova automação")
    page.locator("form.tile", has_text="Automação em branco").locator("button").click()

    expect(page.locator(".progress li.current")).to_contain_text("Gatilho e ação")
    expect(page.locator("#schedule")).to_be_hidden()
    page.select_option("#event", "schedule.cron")
    expect(page.locator("#schedule")).to_be_visible()
    page.select_option("#schedule_mode", "cron")  # an expression from crontab.guru, mistyped
    expect(page.locator("#schedule_time")).to_be_hidden()
    page.fill("#schedule_cron", "0 24 * * 1-5")
    expect(page.locator(".schedule-problem")).to_contain_text(
        "Agendamento inválido: '0 24 * * 1-5' is not a valid cron expression: hour '24'")
    stack.shot(page, "schedule-1-invalid")
    page.select_option("#schedule_mode", "weekdays")
    expect(page.locator("#schedule_cron")).to_be_hidden()
    page.fill("#schedule_time", "09:00")
    expect(page.locator(".schedule-when")).to_have_text("dias úteis às 09:00")
    times = page.locator("#fire-times li")
    expect(times).to_have_count(5)
    shown = [" ".join(text.split()) for text in times.all_inner_texts()]
    assert all(WEEKDAY.match(text) for text in shown), shown
    page.select_option("#action", "email.send_email")
    stack.shot(page, "schedule-2-trigger")
    page.click("button[value=next]")

    expect(page.locator(".progress li.current")).to_contain_text("Contas")
    expect(page.locator("#trigger-no-account")).to_have_text(
        "O gatilho (Agendamento: dias úteis às 09:00) não precisa de conta.")
    expect(page.locator("select[name=trigger_connection]")).to_have_count(0)
    page.select_option("select[name=step_connection_0]", SENDER)
    stack.shot(page, "schedule-3-accounts")
    page.click("button[value=next]")

    expect(page.locator(".progress li.current")).to_contain_text("Filtros")
    page.click("button[value=next]")

    expect(page.locator(".progress li.current")).to_contain_text("Campos")
    page.locator("[id='v|0|to']").fill("equipe@example.com")
    subject = page.locator("[id='v|0|subject']")
    subject.fill("Resumo de ")
    page.locator(".chip[data-insert='{{ date }}']").first.click()
    expect(subject).to_have_value("Resumo de {{ date }}")
    page.locator("[id='v|0|text']").fill("Disparado às {{ time }} ({{ timezone }}).")
    expect(page.locator("#preview")).to_contain_text("Disparado às 09:00 (America/Sao_Paulo).", timeout=10_000)
    expect(page.locator("#preview")).to_contain_text("Pronto")
    stack.shot(page, "schedule-4-fields")
    page.click("button[value=next]")

    expect(page.locator(".progress li.current")).to_contain_text("Concluir")
    page.fill("#name", "Resumo dos dias úteis")
    page.click("button[value=save]")
    expect(page.locator("#recipe-state")).to_have_text("ativada")
    expect(page.locator(".flash.success")).to_contain_text(
        re.compile(r"A próxima execução é em \d{2}/\d{2}/\d{4} 09:00"))
    expect(page.locator("#recipe-trigger")).to_contain_text("Agendamento: dias úteis às 09:00")
    expect(page.locator("#recipe-yaml")).to_contain_text("cron: 0 9 * * 1-5")
    expect(page.locator("#recipe-yaml")).not_to_contain_text("connection: ''")
    stack.shot(page, "schedule-5-recipe")
    page.click("text=Automações")
    expect(page.locator("tr", has_text="Resumo dos dias úteis")).to_contain_text("Agendamento: dias úteis às 09:00")
    page.context.close()

    # The scheduler's clock job: the first poll only sets the cursor (enabling replays nothing). Rewound a
    # week, as after an outage, the missed fire times collapse into the latest weekday 09:00: one e-mail.
    with stack.app.app_context():
        session = get_session()
        assert [r.stored for r in poll_all(session, clock=True)] == [0]
        recipe = session.scalar(select(Recipe).where(Recipe.name == "Resumo dos dias úteis"))
        state = trigger_state(session, recipe)
        assert state is not None and recipe.trigger_connection_id is None
        state.cursor = {"through": (datetime.now(UTC) - timedelta(days=8)).isoformat()}
        session.commit()
        assert [r.stored for r in poll_all(session, clock=True)] == [1]
    EmbeddedExecutor(stack.app).run_until_idle()
    schedule = compile_schedule({"cron": "0 9 * * 1-5"})
    now = datetime.now(UTC)
    fired = schedule.latest(now - timedelta(days=8), now)
    assert fired is not None
    [message] = smtp.messages
    assert message.rcpt_tos == ["equipe@example.com"]
    assert message.message["Subject"] == f"Resumo de {fired.astimezone(schedule.zone).date().isoformat()}"
    assert "Disparado às 09:00 (America/Sao_Paulo)." in message.message.get_content()
