"""The ``schedule.cron`` trigger: start a recipe at set times (weekdays at 9:00, every 15 minutes).

It is a polling trigger that reads only the clock, so it rides the machinery every polled event has
(app/engine/polling.py): the events of one poll and the cursor are stored in one transaction, and the
dedupe key (the fire time) stores each fire time once, however often a poll is repeated.

The cursor ``{"through": "<UTC ISO>"}`` is the moment up to which every fire time was emitted.

- No cursor (a recipe just created or enabled again): nothing fires, the cursor becomes now;
  enabling a recipe never replays the past.
- Each fire time in (through, now] fires, when it passed less than :data:`MISFIRE_GRACE` ago: a
  tick that comes a little late (a scheduler handover, a long job before it) loses none.
- Fire times missed for longer (Ponte was not running) collapse into one, like APScheduler's
  ``coalesce``: only the most recent fire time fires, once, and the log says what was skipped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from babel.dates import format_date

from connectors.sdk import ConfigError, Context, InboundEvent, OutputField, Trigger, normalise_locale

from .cron import DEFAULT_TIMEZONE, MACROS, Schedule, ScheduleError, compile_schedule

EVENT_TYPE = "SCHEDULE_FIRED"
MISFIRE_GRACE = timedelta(minutes=5)

OPTIONS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "cron": {
            "type": "string",
            "title": "Cron expression",
            "description": "minute hour day-of-month month day-of-week, as in crontab(5): \"0 9 * * 1-5\" is "
            "9:00 Monday to Friday (0 and 7 = Sunday), \"*/15 * * * *\" every 15 minutes; @daily, @hourly, "
            "@weekly, @monthly work too. Give cron or every, not both.",
            "examples": ["0 9 * * 1-5", "30 8 1 * *", "*/15 * * * *"],
        },
        "every": {
            "type": "string",
            "title": "Every",
            "description": "A clock-aligned interval: 15m fires at :00, :15, :30 and :45; 2h at 0:00, 2:00, ...; "
            "1d at midnight. Minutes must divide the hour and hours the day.",
            "examples": ["15m", "1h", "1d"],
        },
        "timezone": {
            "type": "string",
            "title": "Time zone",
            "description": "IANA time zone the times are read in.",
            "default": DEFAULT_TIMEZONE,
        },
    },
}

OUTPUT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["fired_at", "scheduled_for", "timezone", "date", "time", "schedule"],
    "properties": {
        "fired_at": {"type": "string", "format": "date-time", "description": "the fire time, UTC"},
        "scheduled_for": {"type": "string", "format": "date-time",
                          "description": "the same moment in the schedule's time zone"},
        "timezone": {"type": "string", "description": "the schedule's IANA time zone"},
        "date": {"type": "string", "format": "date", "description": "the local calendar day"},
        "time": {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$", "description": "the local time, HH:MM"},
        "schedule": {"type": "string", "description": "the cron expression (every: as its cron expression)"},
    },
}

#: The output fields a person filters on (the day and the local time of the run, mostly).
OUTPUT_FIELDS: dict[str, OutputField] = {
    "date": OutputField("Day of the run", "date"),
    "time": OutputField("Time of the run (HH:MM)", "string"),
    "scheduled_for": OutputField("Scheduled time", "date"),
    "timezone": OutputField("Time zone", "string"),
    "schedule": OutputField("Schedule (cron expression)", "string"),
}

SAMPLE: dict[str, Any] = {
    "fired_at": "2025-03-10T12:00:00+00:00",
    "scheduled_for": "2025-03-10T09:00:00-03:00",
    "timezone": DEFAULT_TIMEZONE,
    "date": "2025-03-10",
    "time": "09:00",
    "schedule": "0 9 * * 1-5",
}


def check_options(options: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Load-time check: the cron expression (or interval) and the time zone make a schedule."""
    try:
        compile_schedule(options)
    except ScheduleError as exc:
        return [(exc.option, exc.message)]
    return []


def fire_times(schedule: Schedule, through: datetime, now: datetime) -> tuple[list[datetime], datetime | None]:
    """``(fire times to emit, first one dropped)`` for the gap (through, now]; see the module docstring."""
    cutoff = now - MISFIRE_GRACE
    recent = list(schedule.between(max(through, cutoff), now))
    first = schedule.next_after(through)
    if first is None or first > cutoff:  # nothing missed for long
        return recent, None
    fires = recent or [schedule.latest(through, cutoff) or first]
    return fires, (first if first < fires[0] else None)


def payload(schedule: Schedule, fire: datetime) -> dict[str, Any]:
    local = fire.astimezone(schedule.zone)
    return {"fired_at": fire.isoformat(), "scheduled_for": local.isoformat(), "timezone": schedule.zone.key,
            "date": local.date().isoformat(), "time": local.strftime("%H:%M"), "schedule": schedule.expression}


def poll(ctx: Context, options: Mapping[str, Any], cursor: Any) -> tuple[list[InboundEvent], Any]:
    """One event per fire time since the cursor (dedupe key: the fire time, UTC ISO)."""
    try:
        schedule = compile_schedule(options)
    except ScheduleError as exc:
        raise ConfigError(f"schedule options: {exc.message}") from None
    now = datetime.now(UTC)
    through = _moment(cursor.get("through")) if isinstance(cursor, Mapping) else None
    if through is None:
        return [], {"through": now.isoformat()}
    fires, dropped = fire_times(schedule, through, now)
    if dropped is not None:
        ctx.logger.warning("schedule %r missed its fire times from %s on (Ponte was not running); they collapse "
                           "into %s", schedule.expression, dropped, fires[0])
    events = [InboundEvent(dedupe_key=fire.isoformat(), event_type=EVENT_TYPE, payload=payload(schedule, fire),
                           occurred_at=fire.isoformat()) for fire in fires]
    return events, {"through": max(through, now).isoformat()}


def _moment(value: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class ScheduleTimetable:
    """The SDK's ``Timetable`` for these options: what the wizard shows is what the scheduler does."""

    schedule: Schedule

    @property
    def expression(self) -> str:
        return MACROS.get(self.schedule.expression.lower(), self.schedule.expression)

    @property
    def timezone(self) -> str:
        return self.schedule.zone.key

    def next_after(self, moment: datetime) -> datetime | None:
        return self.schedule.next_after(moment)

    def event(self, fire: datetime) -> dict[str, Any]:
        return payload(self.schedule, fire)


def timetable(options: Mapping[str, Any]) -> ScheduleTimetable:
    """The options as fire times; a ScheduleError (a ValueError) when they make no schedule."""
    return ScheduleTimetable(compile_schedule(options))


def summary(output: dict[str, Any], locale: str) -> str:
    """"10 de mar. de 2025 09:00" (the local fire time), and the zone when it is not São Paulo."""
    try:
        day = format_date(date.fromisoformat(str(output.get("date"))), "medium", locale=normalise_locale(locale))
    except ValueError:
        day = str(output.get("date") or "")
    zone = output.get("timezone")
    text = f"{day} {output.get('time') or ''}".strip()
    return f"{text} ({zone})" if zone and zone != DEFAULT_TIMEZONE else text


CRON = Trigger(
    key="cron",
    title="Schedule: at set times",
    description="Fires at the times of a cron expression (\"0 9 * * 1-5\": 9:00 Monday to Friday) or an "
    "interval (every: 15m), read in a time zone (default America/Sao_Paulo). Needs no connection. The output "
    "is the fire time (UTC and local), the local date and time. Fire times missed while Ponte was down "
    "collapse into one; enabling a recipe fires nothing for the past.",
    output_schema=OUTPUT_SCHEMA,
    sample=SAMPLE,
    kind="polling",
    options_schema=OPTIONS_SCHEMA,
    event_types=(EVENT_TYPE,),
    poll=poll,
    check_options=check_options,
    clock=True,
    timetable=timetable,
    summary=summary,
    output_fields=OUTPUT_FIELDS,
)
