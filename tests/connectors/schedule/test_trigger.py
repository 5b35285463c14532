"""The ``schedule.cron`` polling trigger: one event per fire time, never the past, outages coalesced."""

from __future__ import annotations

import logging

import jsonschema
import pytest
import time_machine

from connectors import registry
from connectors.schedule import CONNECTOR
from connectors.sdk import ConfigError, Context

TRIGGER = CONNECTOR.trigger("cron")
WEEKDAYS_AT_9 = {"cron": "0 9 * * 1-5"}  # 12:00 UTC in São Paulo


def _ctx() -> Context:
    return Context(config={}, logger=logging.getLogger("tests.schedule"))


def _poll(options: dict, cursor: object, at: str) -> tuple[list, dict]:
    with time_machine.travel(at, tick=False):
        return TRIGGER.poll(_ctx(), options, cursor)


def test_the_connector_needs_no_connection_and_the_trigger_polls_the_clock() -> None:
    connector, trigger = registry.get_trigger("schedule.cron")
    assert connector is CONNECTOR and trigger is TRIGGER
    assert not CONNECTOR.needs_connection and CONNECTOR.secret_fields() == []
    assert TRIGGER.kind == "polling" and TRIGGER.clock and CONNECTOR.text(TRIGGER.title, "pt") != TRIGGER.title
    assert CONNECTOR.test_credentials(_ctx())
    jsonschema.validate(TRIGGER.sample, TRIGGER.output_schema)
    jsonschema.validate({"cron": "0 9 * * 1-5", "timezone": "America/Sao_Paulo"}, TRIGGER.options_schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"cron": "0 9 * * 1-5", "at": "9h"}, TRIGGER.options_schema)


def test_check_options_names_the_option_at_fault() -> None:
    assert TRIGGER.check_options(WEEKDAYS_AT_9) == []
    assert TRIGGER.check_options({"every": "15m", "timezone": "America/Manaus"}) == []
    [(option, message)] = TRIGGER.check_options({"cron": "0 9 * * 1-5 2025"})
    assert option == "cron" and "needs 5 fields" in message


def test_the_first_poll_fires_nothing_and_starts_the_cursor_now() -> None:
    events, cursor = _poll(WEEKDAYS_AT_9, None, "2025-03-10T12:00:30Z")  # 30 s after a fire time
    assert events == [] and cursor == {"through": "2025-03-10T12:00:30+00:00"}


def test_a_fire_time_fires_once_with_its_local_time() -> None:
    _, cursor = _poll(WEEKDAYS_AT_9, None, "2025-03-10T11:59:50Z")
    assert _poll(WEEKDAYS_AT_9, cursor, "2025-03-10T11:59:59Z")[0] == []
    [event], after = _poll(WEEKDAYS_AT_9, cursor, "2025-03-10T12:00:10Z")
    assert event.dedupe_key == "2025-03-10T12:00:00+00:00" and event.event_type == "SCHEDULE_FIRED"
    assert event.payload == {"fired_at": "2025-03-10T12:00:00+00:00", "scheduled_for": "2025-03-10T09:00:00-03:00",
                             "timezone": "America/Sao_Paulo", "date": "2025-03-10", "time": "09:00",
                             "schedule": "0 9 * * 1-5"}
    jsonschema.validate(event.payload, TRIGGER.output_schema)
    assert after == {"through": "2025-03-10T12:00:10+00:00"}
    assert _poll(WEEKDAYS_AT_9, after, "2025-03-10T12:00:25Z")[0] == []  # the next tick: nothing new


def test_a_repeated_poll_from_the_same_cursor_returns_the_same_dedupe_keys() -> None:
    cursor = {"through": "2025-03-10T11:59:50+00:00"}  # e.g. the commit of the first poll was lost
    first, _ = _poll(WEEKDAYS_AT_9, cursor, "2025-03-10T12:00:05Z")
    again, _ = _poll(WEEKDAYS_AT_9, cursor, "2025-03-10T12:00:20Z")
    assert [e.dedupe_key for e in first] == [e.dedupe_key for e in again] == ["2025-03-10T12:00:00+00:00"]
    assert first[0].payload == again[0].payload


def test_a_late_tick_fires_each_fire_time_it_passed() -> None:
    # Two minute-level fire times passed between ticks (a scheduler handover): both fire.
    events, _ = _poll({"cron": "* * * * *"}, {"through": "2025-03-10T12:00:30+00:00"}, "2025-03-10T12:02:10Z")
    assert [e.payload["time"] for e in events] == ["09:01", "09:02"]


def test_fire_times_missed_while_ponte_was_down_coalesce_into_the_latest(caplog: pytest.LogCaptureFixture) -> None:
    # Down from Friday 8:00 to Tuesday 10:00 (São Paulo): Fri, Mon and Tue 9:00 were missed.
    cursor = {"through": "2025-03-07T11:00:00+00:00"}
    with caplog.at_level(logging.WARNING):
        [event], after = _poll(WEEKDAYS_AT_9, cursor, "2025-03-11T13:00:00Z")
    assert event.payload["scheduled_for"] == "2025-03-11T09:00:00-03:00"
    assert "missed its fire times from 2025-03-07 12:00:00+00:00 on" in caplog.text
    assert after == {"through": "2025-03-11T13:00:00+00:00"}
    # Recent fire times still fire; the ones missed before them are dropped.
    events, _ = _poll({"every": "15m"}, {"through": "2025-03-10T08:00:00+00:00"}, "2025-03-10T12:16:00Z")
    assert [e.payload["time"] for e in events] == ["09:15"]


def test_a_clock_behind_the_cursor_fires_nothing_and_keeps_the_cursor() -> None:
    cursor = {"through": "2025-03-10T12:05:00+00:00"}  # a new leader whose clock is 10 minutes behind
    events, after = _poll({"every": "1m"}, cursor, "2025-03-10T11:55:00Z")
    assert events == [] and after == cursor


def test_options_broken_after_loading_fail_the_poll_as_a_config_error() -> None:
    with pytest.raises(ConfigError, match="schedule options: unknown time zone"):
        _poll({"cron": "0 9 * * *", "timezone": "Nowhere/Atlantis"}, None, "2025-03-10T12:00:00Z")
