"""The schedule in the wizard: the form writes the trigger's options, shows the next fire times and the
trigger's own errors, asks for no trigger account, and saves a recipe the engine loads and polls."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.db import get_session
from app.engine.loader import load_recipe_document
from app.engine.polling import polling_recipes
from app.models import Recipe, WizardDraft
from app.web import wizard_schedule
from connectors.schedule.triggers import OUTPUT_SCHEMA
from tests.web.test_wizard import _start

SMTP = "SMTP financeiro"
WEEKDAYS_9 = {"schedule_mode": "weekdays", "schedule_time": "09:00", "schedule_timezone": "America/Sao_Paulo"}


@pytest.fixture
def monday_7am() -> Iterator[None]:
    """Monday 2025-03-10 at 07:00 in São Paulo (10:00 UTC); first, so the login happens then too."""
    with time_machine.travel("2025-03-10T10:00:00+00:00", tick=False):
        yield


@pytest.fixture
def sender(make_connection: Callable[..., int]) -> str:
    make_connection("email", SMTP, host="127.0.0.1", port=2525, security="none", from_address="financeiro@example.com")
    return SMTP


def _draft(app: Flask, base: str) -> dict[str, Any]:
    with app.app_context():
        return get_session().get(WizardDraft, base.rsplit("/", 1)[1]).data


def _schedule(client: FlaskClient, base: str, go: str = "next", **fields: str) -> Any:
    return client.post(f"{base}/trigger", data={"event": "schedule.cron", "action": "email.send_email", "go": go,
                                               **fields})


def test_the_blank_automation_offers_the_schedule_with_its_form(operator_client: FlaskClient) -> None:
    page = operator_client.get(f"{_start(operator_client, 'blank')}/trigger").get_data(as_text=True)
    assert '<option value="schedule.cron" >Agendamento: em horários definidos</option>' in page
    assert 'data-show-if="event=schedule.cron" hidden disabled' in page  # shown once chosen (ponte.js)
    assert '<option value="weekdays" selected>Dias úteis (segunda a sexta)</option>' in page
    assert '<option value="America/Sao_Paulo" selected>' in page and '<option value="UTC" >UTC</option>' in page


@pytest.mark.parametrize(("fields", "options"), [
    ({"schedule_mode": "every_15m"}, {"every": "15m"}),
    ({"schedule_mode": "hourly"}, {"every": "1h"}),
    ({"schedule_mode": "daily", "schedule_time": "07:30"}, {"cron": "30 7 * * *"}),
    ({"schedule_mode": "weekdays", "schedule_time": "09:00"}, {"cron": "0 9 * * 1-5"}),
    ({"schedule_mode": "weekly", "schedule_weekday": "3", "schedule_time": "18:45"}, {"cron": "45 18 * * 3"}),
    ({"schedule_mode": "weekly", "schedule_weekday": "0", "schedule_time": "08:00"}, {"cron": "0 8 * * 0"}),
    ({"schedule_mode": "monthly", "schedule_day": "5", "schedule_time": "08:05"}, {"cron": "5 8 5 * *"}),
    ({"schedule_mode": "cron", "schedule_cron": " */10 8-18 * * 1-5 "}, {"cron": "*/10 8-18 * * 1-5"}),
])
def test_each_mode_writes_the_trigger_options(
    operator_client: FlaskClient, app: Flask, fields: dict[str, str], options: dict[str, str]
) -> None:
    base = _start(operator_client, "blank")
    response = _schedule(operator_client, base, **fields, schedule_timezone="America/Manaus")
    assert response.location == f"{base}/connect"
    trigger = _draft(app, base)["document"]["trigger"]
    assert trigger == {"event": "schedule.cron", "options": {**options, "timezone": "America/Manaus"}}
    # Reopened (e.g. "Edit" on the saved recipe), the options come back as the same mode and values.
    with app.test_request_context():
        state = wizard_schedule.state_of(trigger["options"])
        assert wizard_schedule.options_from(state) == ({**options, "timezone": "America/Manaus"}, [])
        assert state["mode"] == fields["schedule_mode"]


def test_an_invalid_cron_expression_shows_the_triggers_error_and_stays(
    operator_client: FlaskClient, app: Flask
) -> None:
    base = _start(operator_client, "blank")
    response = _schedule(operator_client, base, schedule_mode="cron", schedule_cron="0 24 * * 1-5")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert ("Agendamento inválido: &#39;0 24 * * 1-5&#39; is not a valid cron expression: hour &#39;24&#39;: "
            "the last value (24) is higher than the maximum value (23)") in page
    assert 'value="0 24 * * 1-5"' in page and '<option value="cron" selected>' in page  # as typed
    assert 'id="fire-times"' not in page
    assert "options" not in _draft(app, base)["document"]["trigger"]  # nothing invalid is written
    preview = operator_client.post(f"{base}/schedule", data={
        "event": "schedule.cron", "schedule_mode": "cron", "schedule_cron": "0 9 31 2 *"})
    assert preview.status_code == 200
    assert "Agendamento inválido: &#39;0 9 31 2 *&#39; never fires (no such date)" in preview.get_data(as_text=True)


@pytest.mark.parametrize(("fields", "message"), [
    ({"schedule_mode": "daily", "schedule_time": "25:00"}, "Digite o horário como HH:MM (00:00 a 23:59)."),
    ({"schedule_mode": "monthly", "schedule_day": "32", "schedule_time": "08:00"},
     "Escolha um dia do mês de 1 a 31."),
    ({"schedule_mode": "cron", "schedule_cron": "  "}, "Digite uma expressão cron, por exemplo 0 9 * * 1-5."),
    ({"schedule_mode": "cron", "schedule_cron": "0 9 * *"},
     "Agendamento inválido: &#39;0 9 * *&#39; is not a cron expression: it needs 5 fields"),
    ({"schedule_mode": "daily", "schedule_time": "09:00", "schedule_timezone": "Brasilia"},
     "Agendamento inválido: unknown time zone &#39;Brasilia&#39;"),
])
def test_form_problems_are_shown_on_the_screen(
    operator_client: FlaskClient, fields: dict[str, str], message: str
) -> None:
    response = _schedule(operator_client, _start(operator_client, "blank"), **fields)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)


def test_the_next_five_fire_times_are_shown_in_the_chosen_zone(
    monday_7am: None, operator_client: FlaskClient
) -> None:
    base = _start(operator_client, "blank")
    _schedule(operator_client, base, go="", **WEEKDAYS_9)
    page = operator_client.get(f"{base}/trigger").get_data(as_text=True)
    assert "<strong>dias úteis às 09:00</strong>" in page and "no fuso America/Sao_Paulo" in page
    assert _times(page) == ["10/03/2025 09:00", "11/03/2025 09:00", "12/03/2025 09:00", "13/03/2025 09:00",
                            "14/03/2025 09:00"]  # 07:00 in São Paulo: today's 09:00 is still ahead
    assert '<time datetime="2025-03-10T09:00:00-03:00">' in page and "segunda-feira" in page
    # The htmx preview, as the user switches to UTC: 10:00 there, so today's 09:00 has passed.
    preview = operator_client.post(f"{base}/schedule", data={"event": "schedule.cron", **WEEKDAYS_9,
                                                              "schedule_timezone": "UTC"}).get_data(as_text=True)
    assert "<strong>dias úteis às 09:00 (UTC)</strong>" in preview
    assert _times(preview) == ["11/03/2025 09:00", "12/03/2025 09:00", "13/03/2025 09:00", "14/03/2025 09:00",
                               "17/03/2025 09:00"]
    monthly = operator_client.post(f"{base}/schedule", data={
        "event": "schedule.cron", "schedule_mode": "monthly", "schedule_day": "31", "schedule_time": "08:00",
        "schedule_timezone": "America/Sao_Paulo"}).get_data(as_text=True)
    assert "todo dia 31 do mês às 08:00" in monthly
    assert _times(monthly) == ["31/03/2025 08:00", "31/05/2025 08:00", "31/07/2025 08:00", "31/08/2025 08:00",
                               "31/10/2025 08:00"]  # months without a 31st are skipped, as the hint says


def _times(page: str) -> list[str]:
    import re

    return re.findall(r'<time datetime="[^"]+">([^<]+)</time>', page)


def test_accounts_skip_the_trigger_and_ask_for_the_action(
    operator_client: FlaskClient, app: Flask, sender: str
) -> None:
    base = _start(operator_client, "blank")
    _schedule(operator_client, base, **WEEKDAYS_9)
    page = operator_client.get(f"{base}/connect").get_data(as_text=True)
    assert "trigger_connection" not in page
    assert 'name="step_connection_0"' in page and f'<option value="{SMTP}"' in page
    assert "O gatilho (Agendamento: dias úteis às 09:00) não precisa de conta." in page
    operator_client.post(f"{base}/connect", data={"trigger_connection": SMTP, "step_connection_0": SMTP,
                                                  "go": "next"})
    document = _draft(app, base)["document"]
    assert "connection" not in document["trigger"] and document["steps"][0]["connection"] == SMTP
    # Back to a webhook trigger: its account is asked for again and the schedule is gone.
    operator_client.post(f"{base}/trigger", data={"event": "asaas.payment_created", "action": "email.send_email"})
    assert _draft(app, base)["document"]["trigger"] == {"connection": "", "event": "asaas.payment_created"}
    assert '<label for="trigger_connection">' in operator_client.get(f"{base}/connect").get_data(as_text=True)


def test_filters_and_fields_offer_the_event_of_this_schedule(
    monday_7am: None, operator_client: FlaskClient, sender: str
) -> None:
    base = _start(operator_client, "blank")
    _schedule(operator_client, base, schedule_mode="weekly", schedule_weekday="3", schedule_time="07:30",
              schedule_timezone="America/Sao_Paulo")
    operator_client.post(f"{base}/connect", data={"step_connection_0": SMTP, "go": "next"})
    filters = operator_client.get(f"{base}/filters").get_data(as_text=True)
    # The examples are what its next fire time (Wednesday 07:30) will emit, not the trigger's stock sample.
    assert '<option value="scheduled_for">2025-03-12T07:30:00-03:00</option>' in filters
    assert '<option value="time">07:30</option>' in filters
    page = operator_client.get(f"{base}/map").get_data(as_text=True)
    for field in OUTPUT_SCHEMA["required"]:
        assert f'data-insert="{{{{ {field} }}}}"' in page
    assert 'title="30 7 * * 3"' in page and 'title="2025-03-12T10:30:00+00:00"' in page
    preview = operator_client.post(f"{base}/preview", data={
        "v|0|to": "financeiro@example.com", "v|0|subject": "Resumo de {{ date }}", "f|0|subject": "",
        "v|0|text": "Disparado às {{ time }} ({{ timezone }})"}).get_data(as_text=True)
    assert "Resumo de 2025-03-12" in preview and "Disparado às 07:30 (America/Sao_Paulo)" in preview
    assert "✔ Pronto" in preview


def test_the_saved_recipe_has_no_trigger_connection_loads_and_is_polled(
    monday_7am: None, operator_client: FlaskClient, app: Flask, sender: str
) -> None:
    base = _start(operator_client, "blank")
    _schedule(operator_client, base, **WEEKDAYS_9)
    operator_client.post(f"{base}/connect", data={"step_connection_0": SMTP, "go": "next"})
    operator_client.post(f"{base}/filters", data={"go": "next"})
    operator_client.post(f"{base}/map", data={"v|0|to": "financeiro@example.com", "v|0|subject": "Resumo de {{ date }}",
                                              "go": "next"})
    response = operator_client.post(f"{base}/finish", data={"name": "Resumo dos dias úteis", "enabled": "1",
                                                            "go": "save"})
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        session = get_session()
        recipe = session.scalar(select(Recipe).where(Recipe.name == "Resumo dos dias úteis"))
        assert recipe.trigger_connection_id is None and recipe.trigger_key == "schedule.cron"
        assert recipe.definition["trigger"] == {
            "event": "schedule.cron", "options": {"cron": "0 9 * * 1-5", "timezone": "America/Sao_Paulo"}}
        spec, errors = load_recipe_document(recipe.definition, connections={SMTP})
        assert errors == [] and spec is not None and spec.trigger.connection is None
        assert [r.key for r, _trigger in polling_recipes(session, clock=True)] == [recipe.key]
    detail = operator_client.get(response.location).get_data(as_text=True)
    assert "A próxima execução é em 10/03/2025 09:00." in detail
    assert "Agendamento: dias úteis às 09:00" in detail and "não precisa de conta" in detail
    assert '<time datetime="2025-03-10T09:00:00-03:00">10/03/2025 09:00</time>' in detail
    assert "roda no próximo horário agendado" in detail
    listing = operator_client.get("/automations").get_data(as_text=True)
    assert 'title="schedule.cron">Agendamento: dias úteis às 09:00</span>' in listing


def test_editing_a_schedule_recipe_reopens_and_changes_its_schedule(
    operator_client: FlaskClient, app: Flask, sender: str
) -> None:
    base = _start(operator_client, "blank")
    _schedule(operator_client, base, **WEEKDAYS_9)
    operator_client.post(f"{base}/connect", data={"step_connection_0": SMTP})
    operator_client.post(f"{base}/map", data={"v|0|to": "financeiro@example.com", "v|0|subject": "Resumo"})
    saved = operator_client.post(f"{base}/finish", data={"name": "Resumo", "enabled": "1", "go": "save"}).location
    edit = operator_client.post(f"{saved}/edit").location
    assert edit.endswith("/connect")
    draft = edit.rsplit("/", 1)[0]
    page = operator_client.get(f"{draft}/trigger").get_data(as_text=True)
    assert '<option value="weekdays" selected>' in page and 'value="09:00"' in page
    _schedule(operator_client, draft, schedule_mode="monthly", schedule_day="5", schedule_time="08:30",
              schedule_timezone="America/Sao_Paulo")
    assert operator_client.post(f"{draft}/finish", data={"name": "Resumo", "enabled": "1", "go": "save"}
                                ).location == saved
    with app.app_context():
        recipe = get_session().scalar(select(Recipe).where(Recipe.name == "Resumo"))
        assert recipe.version == 2 and recipe.definition["trigger"]["options"]["cron"] == "30 8 5 * *"
    assert "Agendamento: todo dia 5 do mês às 08:30" in operator_client.get("/automations").get_data(as_text=True)


@pytest.mark.parametrize(("options", "text"), [
    ({"every": "15m"}, "a cada 15 minutos"),
    ({"every": "1h"}, "a cada hora"),
    ({"every": "2h"}, "a cada 2 horas"),
    ({"every": "1d"}, "todos os dias às 00:00"),
    ({"cron": "0 9 * * 1-5"}, "dias úteis às 09:00"),
    ({"cron": "45 18 * * 3", "timezone": "UTC"}, "toda semana, quarta-feira, às 18:45 (UTC)"),
    ({"cron": "0 8 5 * *"}, "todo dia 5 do mês às 08:00"),
    ({"cron": "@daily"}, "todos os dias às 00:00"),
    ({"cron": "0 9 1,15 * *"}, "cron 0 9 1,15 * *"),
])
def test_a_schedule_reads_as_words(app: Flask, options: dict[str, str], text: str) -> None:
    with app.test_request_context():
        assert wizard_schedule.describe(options) == text
