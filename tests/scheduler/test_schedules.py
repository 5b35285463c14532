"""``schedule.cron`` recipes end to end: the scheduler's clock job stores one event per fire time, with no
connection, and the executor runs it like any other event (a real SMTP server receives the email)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import time_machine
from flask import Flask
from sqlalchemy import delete, select

from app.connections import ConnectionInputError, create_connection
from app.db import get_session
from app.engine.compiled import clear_cache
from app.engine.executor import EmbeddedExecutor
from app.engine.recipes import save_recipe, set_enabled, sync_files
from app.models import Event, Recipe, Run, TriggerState
from app.scheduler import Scheduler, default_jobs
from tests.smtp_server import ReceivedMessage, SmtpServer

RECIPE = """\
key: {key}
name: "Dias úteis às 9h → e-mail"
trigger:
  event: schedule.cron
  options: {{cron: "0 9 * * 1-5"}}
steps:
  - key: email
    action: email.send_email
    connection: email
    input:
      to: financeiro@example.com
      subject: {{text: "Bom dia: {{{{ date }}}} {{{{ time }}}}"}}
      text: {{text: "Disparado em {{{{ scheduled_for }}}}"}}
"""


@dataclass
class ScheduleEnv:
    app: Flask
    clock: Any
    smtp: SmtpServer
    scheduler: Scheduler
    executor: EmbeddedExecutor
    seen: int = 0

    def at(self, moment: str) -> None:
        self.clock.move_to(moment)

    def tick(self, scheduler: Scheduler | None = None) -> bool:
        """The scheduler's clock job, then the executor until idle."""
        ran = (scheduler or self.scheduler).run_job("fire_schedules")
        self.executor.run_until_idle()
        return ran

    def new_mail(self) -> list[ReceivedMessage]:
        mail = self.smtp.messages[self.seen:]
        self.seen = len(self.smtp.messages)
        return mail

    def rows(self, model: type) -> list[Any]:
        with self.app.app_context():
            return list(get_session().scalars(select(model).order_by(model.id)))


@pytest.fixture
def schedules(app: Flask, tmp_path: Path) -> Iterator[ScheduleEnv]:
    """The weekday 9:00 recipe applied on Monday 2025-03-10 at 8:59:30 (São Paulo); the clock ticks."""
    clear_cache()
    with SmtpServer() as smtp, time_machine.travel("2025-03-10T11:59:30Z", tick=True) as clock:
        with app.app_context():
            session = get_session()
            create_connection(session, connector_key="email", name="email", values={
                "host": smtp.host, "port": smtp.port, "security": "none", "from_address": "ponte@example.com",
                "timeout_seconds": 5})
            session.commit()
        folder = tmp_path / "recipes"
        folder.mkdir()
        (folder / "weekday_greeting.yaml").write_text(RECIPE.format(key="weekday_greeting"), encoding="utf-8")
        with app.app_context():
            report = sync_files(get_session(), folder, tmp_path / "mappings")
        assert not report.errors and report.created == ["weekday_greeting"]
        yield ScheduleEnv(app, clock, smtp, Scheduler(app, owner="test-scheduler"), EmbeddedExecutor(app, workers=1))
    clear_cache()


def test_a_schedule_recipe_is_stored_without_a_connection(schedules: ScheduleEnv) -> None:
    [recipe] = schedules.rows(Recipe)
    assert recipe.trigger_key == "schedule.cron" and recipe.trigger_connection_id is None
    assert "connection" not in recipe.definition["trigger"]


def test_the_weekday_recipe_sends_its_email_at_nine_once(schedules: ScheduleEnv) -> None:
    assert schedules.tick() and schedules.rows(Event) == []  # the first poll only starts the cursor
    schedules.at("2025-03-10T12:00:04Z")
    schedules.tick()
    [event] = schedules.rows(Event)
    assert event.connection_id is None and event.source == "schedule" and event.event_type == "SCHEDULE_FIRED"
    [run] = schedules.rows(Run)
    assert run.status == "succeeded" and run.event_id == event.id
    assert run.trigger_output == {"fired_at": "2025-03-10T12:00:00+00:00",
                                  "scheduled_for": "2025-03-10T09:00:00-03:00", "timezone": "America/Sao_Paulo",
                                  "date": "2025-03-10", "time": "09:00", "schedule": "0 9 * * 1-5"}
    [mail] = schedules.new_mail()
    assert mail.message["Subject"] == "Bom dia: 2025-03-10 09:00"
    assert "Disparado em 2025-03-10T09:00:00-03:00" in mail.text
    for moment in ("2025-03-10T12:00:19Z", "2025-03-10T12:10:00Z", "2025-03-10T23:00:00Z"):
        schedules.at(moment)
        schedules.tick()
    assert schedules.new_mail() == [] and len(schedules.rows(Run)) == 1
    schedules.at("2025-03-11T12:00:10Z")  # Tuesday
    schedules.tick()
    assert [m.message["Subject"] for m in schedules.new_mail()] == ["Bom dia: 2025-03-11 09:00"]


def test_the_same_fire_time_is_stored_once_however_often_it_is_polled(schedules: ScheduleEnv) -> None:
    schedules.tick()
    with schedules.app.app_context():
        start = get_session().scalar(select(TriggerState)).cursor
    schedules.at("2025-03-10T12:00:04Z")
    other = Scheduler(schedules.app, owner="second-process")
    assert schedules.tick() and not schedules.tick(other)  # one leader
    for _ in range(2):  # the commit of the cursor was "lost": the same fire time is polled again
        with schedules.app.app_context():
            session = get_session()
            session.execute(delete(TriggerState))
            session.add(TriggerState(recipe_id=1, connection_id=None, trigger_key="schedule.cron",
                                     scope="weekday_greeting", cursor=start))
            session.commit()
        schedules.tick()
    assert len(schedules.rows(Event)) == 1 and len(schedules.rows(TriggerState)) == 1
    assert len(schedules.new_mail()) == 1


def test_two_schedule_recipes_each_get_their_event_and_cursor(schedules: ScheduleEnv) -> None:
    with schedules.app.app_context():
        session = get_session()
        result = save_recipe(session, _document("weekday_copy"), source="api")
        assert result.errors == []
    schedules.tick()
    assert len(schedules.rows(TriggerState)) == 2 and {s.connection_id for s in schedules.rows(TriggerState)} == {None}
    schedules.at("2025-03-10T12:00:04Z")
    schedules.tick()
    assert sorted(e.recipe_id for e in schedules.rows(Event)) == [1, 2]
    assert len(schedules.new_mail()) == 2


def test_enabling_a_schedule_again_does_not_replay_the_fire_times_it_was_off_for(schedules: ScheduleEnv) -> None:
    schedules.tick()
    _set_enabled(schedules, False)
    schedules.at("2025-03-10T12:00:04Z")
    schedules.tick()  # disabled: its cursor is dropped
    schedules.at("2025-03-10T12:30:00Z")
    _set_enabled(schedules, True)
    schedules.tick()
    assert schedules.rows(Event) == [] and schedules.new_mail() == []
    schedules.at("2025-03-11T12:00:10Z")
    schedules.tick()
    assert len(schedules.new_mail()) == 1


def test_after_an_outage_only_the_latest_missed_fire_time_runs(schedules: ScheduleEnv) -> None:
    schedules.tick()
    schedules.at("2025-03-13T14:00:00Z")  # down from Monday 8:59 to Thursday 11:00: four fire times missed
    schedules.tick()
    assert [m.message["Subject"] for m in schedules.new_mail()] == ["Bom dia: 2025-03-13 09:00"]


def test_a_dry_run_replays_the_recipes_last_fire_time(schedules: ScheduleEnv) -> None:
    schedules.tick()
    schedules.at("2025-03-10T12:00:04Z")
    schedules.tick()
    result = schedules.app.test_cli_runner().invoke(args=["recipes", "test", "weekday_greeting", "--last", "1",
                                                          "--stored", "--json"])
    assert result.exit_code == 0, result.output
    assert "Bom dia: 2025-03-10 09:00" in result.output


def test_the_asaas_polling_job_does_not_fire_schedules(schedules: ScheduleEnv) -> None:
    schedules.scheduler.run_job("poll_triggers")
    assert schedules.rows(TriggerState) == []  # not even a cursor: the clock job owns schedule recipes


def test_the_clock_job_runs_every_few_seconds(app: Flask) -> None:
    function, seconds = default_jobs(app)["fire_schedules"]
    assert seconds == app.config["SCHEDULER_CLOCK_SECONDS"] == 15 and seconds < 60


def test_no_connection_can_be_created_for_the_schedule(app: Flask) -> None:
    with app.app_context(), pytest.raises(ConnectionInputError, match="built in and needs no connection"):
        create_connection(get_session(), connector_key="schedule", name="agenda", values={})


def _document(key: str) -> dict[str, Any]:
    import yaml

    return yaml.safe_load(RECIPE.format(key=key))


def _set_enabled(schedules: ScheduleEnv, enabled: bool) -> None:
    with schedules.app.app_context():
        session = get_session()
        set_enabled(session, session.scalar(select(Recipe)), enabled)
