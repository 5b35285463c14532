"""The schedule form of the wizard's trigger step ("Agendamento", like Zapier's "Schedule by Zapier").

A simple mode (every 15 minutes, every hour, every day, weekdays, a weekday or a day of the month at
HH:MM) writes the options a YAML author would write for a clock trigger with a timetable (``every:
15m``, ``cron: "0 9 * * 1-5"``, ``timezone``); "advanced" takes a cron expression as typed. The errors
come from the trigger's own ``check_options``, the next fire times and the sample event from its
``timetable`` (SDK metadata, through the registry), so what the form shows is what the scheduler does.
The form as typed is kept in the draft (``schedule_form``):
an invalid expression comes back as typed, with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import get_day_names
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.inputs import parse_int
from app.web import metadata
from app.web.formatting import wall_clock, weekday
from connectors.sdk import Timetable, Trigger

DEFAULT_TIMEZONE = "America/Sao_Paulo"
MODES = (("every_15m", _l("Every 15 minutes")), ("hourly", _l("Every hour")), ("daily", _l("Every day")),
         ("weekdays", _l("Weekdays (Monday to Friday)")), ("weekly", _l("Once a week")),
         ("monthly", _l("Once a month")), ("cron", _l("Advanced: cron expression")))
TIMED = ("daily", "weekdays", "weekly", "monthly")
EVERY = {"every_15m": "15m", "hourly": "1h"}
#: Brazil's IANA zones, with the states (or places) each one covers, and UTC.
TIMEZONES = (
    ("America/Sao_Paulo", "DF, SP, RJ, MG, ES, GO, PR, SC, RS"), ("America/Bahia", "BA"),
    ("America/Fortaleza", "CE, MA, PI, RN, PB"), ("America/Recife", "PE"), ("America/Maceio", "AL, SE"),
    ("America/Belem", "PA, AP"), ("America/Santarem", "PA (Santarém)"), ("America/Araguaina", "TO"),
    ("America/Campo_Grande", "MS"), ("America/Cuiaba", "MT"), ("America/Porto_Velho", "RO"),
    ("America/Boa_Vista", "RR"), ("America/Manaus", "AM"), ("America/Eirunepe", "AM (Eirunepé)"),
    ("America/Rio_Branco", "AC"), ("America/Noronha", "Fernando de Noronha"), ("UTC", "UTC"),
)
DEFAULT_FORM = {"mode": "weekdays", "time": "09:00", "weekday": "1", "day": "1", "cron": "",
                "timezone": DEFAULT_TIMEZONE}
FIRE_TIMES = 5
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_AT = re.compile(r"^(\d{1,2}) (\d{1,2}) (\*|\d{1,2}) \* (\*|1-5|[0-7])$")  # what the simple modes write
_MINUTES = re.compile(r"^\*/(\d+) \* \* \* \*$")
_HOURS = re.compile(r"^0 \*/(\d+) \* \* \*$")


def event() -> str:
    """The clock trigger the schedule form writes options for (the first with a timetable), or ""."""
    events = metadata.timetable_events()
    return events[0] if events else ""


def _trigger() -> Trigger | None:
    return metadata.timetable_trigger(event())


def timetable(options: Mapping[str, Any]) -> Timetable:
    """The trigger's own reading of the options; ValueError when they make no schedule."""
    trigger = _trigger()
    if trigger is None or trigger.timetable is None:
        raise ValueError("no clock trigger with a timetable is registered")
    return trigger.timetable(options)


def is_schedule(document: Mapping[str, Any]) -> bool:
    return metadata.timetable_trigger((document.get("trigger") or {}).get("event")) is not None


def options_of(document: Mapping[str, Any]) -> dict[str, Any]:
    options = (document.get("trigger") or {}).get("options")
    return dict(options) if isinstance(options, dict) else {}


# -- options <-> form --------------------------------------------------------------------------

def state_of(options: Mapping[str, Any]) -> dict[str, str]:
    """The form for stored options: a simple mode when the options are what it writes, else "cron"."""
    state = {**DEFAULT_FORM, "timezone": str(options.get("timezone") or DEFAULT_TIMEZONE)}
    every, cron = options.get("every"), options.get("cron")
    if every is not None:
        mode = next((m for m, value in EVERY.items() if value == str(every).strip()), None)
        return {**state, "mode": mode} if mode else {**state, "mode": "cron", "cron": _cron_of(options)}
    if cron is None:
        return state
    match = _AT.match(" ".join(str(cron).split()))
    if match:
        minute, hour, day, days = match.groups()
        at = {**state, "time": f"{int(hour):02d}:{int(minute):02d}"}
        if int(minute) < 60 and int(hour) < 24:
            if day == "*" and days == "*":
                return {**at, "mode": "daily"}
            if day == "*" and days == "1-5":
                return {**at, "mode": "weekdays"}
            if day == "*":
                return {**at, "mode": "weekly", "weekday": str(int(days) % 7)}
            if days == "*" and 1 <= int(day) <= 31:
                return {**at, "mode": "monthly", "day": str(int(day))}
    return {**state, "mode": "cron", "cron": str(cron).strip()}


def _cron_of(options: Mapping[str, Any]) -> str:
    try:
        return timetable(options).expression
    except ValueError:
        return str(options.get("every") or options.get("cron") or "")


def options_from(state: Mapping[str, str]) -> tuple[dict[str, Any] | None, list[str]]:
    """The trigger options for the form, and every problem (the trigger's ``check_options`` last)."""
    mode = state["mode"]
    when: dict[str, Any]
    if mode in EVERY:
        when = {"every": EVERY[mode]}
    elif mode in TIMED:
        match = _TIME.match(state["time"].strip())
        if match is None:
            return None, [_("Type the time as HH:MM (00:00 to 23:59).")]
        day, days = "*", {"weekdays": "1-5", "weekly": state["weekday"]}.get(mode, "*")
        if mode == "weekly" and days not in ("0", "1", "2", "3", "4", "5", "6"):
            days = DEFAULT_FORM["weekday"]
        if mode == "monthly":
            if parse_int(state["day"], minimum=1, maximum=31) is None:
                return None, [_("Choose a day of the month from 1 to 31.")]
            day = str(int(state["day"]))
        when = {"cron": f"{int(match.group(2))} {int(match.group(1))} {day} * {days}"}
    else:
        if not state["cron"].strip():
            return None, [_("Type a cron expression, e.g. 0 9 * * 1-5.")]
        when = {"cron": state["cron"].strip()}
    options = {**when, "timezone": state["timezone"] or DEFAULT_TIMEZONE}
    return options, check(options)


def check(options: Mapping[str, Any]) -> list[str]:
    """The trigger's own verdict on the options (the one ``flask recipes validate`` gives)."""
    trigger = _trigger()
    problems = trigger.check_options(options) if trigger is not None and trigger.check_options else []
    return [_("Invalid schedule: %(problem)s", problem=message) for _option, message in problems]


def form_state(draft: Mapping[str, Any]) -> dict[str, str]:
    return dict(draft.get("schedule_form") or state_of(options_of(draft["document"])))


def apply(draft: dict[str, Any], form: Any) -> list[str]:
    """Take the schedule fields of the trigger screen; valid options go into the trigger."""
    state = form_state(draft)
    for name in DEFAULT_FORM:
        value = form.get(f"schedule_{name}")
        if value is not None:
            state[name] = value.strip()
    if state["mode"] not in dict(MODES):
        state["mode"] = DEFAULT_FORM["mode"]
    draft["schedule_form"] = state
    options, problems = options_from(state)
    if options is not None and not problems:
        draft["document"]["trigger"]["options"] = options
    return problems


# -- what the screens show ---------------------------------------------------------------------

def fire_times(options: Mapping[str, Any], count: int = FIRE_TIMES,
               after: datetime | None = None) -> list[datetime]:
    """The next ``count`` fire times, in the schedule's zone (the scheduler's own computation)."""
    table = timetable(options)
    return _next(table, count, after or datetime.now(UTC))


def _next(table: Timetable, count: int, moment: datetime) -> list[datetime]:
    zone = ZoneInfo(table.timezone)
    times: list[datetime] = []
    while len(times) < count and (fire := table.next_after(moment)) is not None:
        times.append(fire.astimezone(zone))
        moment = fire
    return times


def shown_times(options: Mapping[str, Any], count: int = FIRE_TIMES) -> list[dict[str, str]]:
    try:
        times = fire_times(options, count)
    except ValueError:
        return []
    return [{"iso": t.isoformat(), "text": wall_clock(t), "weekday": weekday(t)} for t in times]


def context(draft: Mapping[str, Any]) -> dict[str, Any]:
    """The schedule form, its preview (next fire times or the problems) and the choices it offers."""
    state = form_state(draft)
    options, problems = options_from(state)
    valid = options is not None and not problems
    return {"schedule_event": event(), "schedule_form": state, "schedule_modes": MODES,
            "schedule_problems": problems, "schedule_when": describe(options) if valid and options else "",
            "fire_times": shown_times(options) if valid and options else [],
            "schedule_zone": state["timezone"], "weekdays": weekday_choices(),
            "timezones": timezone_choices(state["timezone"])}


def weekday_choices() -> list[tuple[str, str]]:
    """``(cron day number, name)`` from Monday: cron counts 0 = Sunday, Babel 0 = Monday."""
    names = get_day_names("wide", locale=str(get_locale() or "pt_BR"))
    return [(str((index + 1) % 7), names[index]) for index in range(7)]


def timezone_choices(current: str) -> list[tuple[str, str]]:
    zones = list(TIMEZONES)
    if current and current not in dict(zones):
        zones.append((current, current))
    return [(zone, f"{zone} · {_offset(zone)} · {places}" if zone != places else zone) for zone, places in zones]


def _offset(zone: str) -> str:
    try:
        text = datetime.now(ZoneInfo(zone)).strftime("%z")
    except (ValueError, KeyError):
        return ""
    return f"UTC{text[:3]}:{text[3:]}"


def describe(options: Mapping[str, Any]) -> str:
    """"weekdays at 09:00", "every 15 minutes", "cron 0 9 1,15 * *"; the zone when not São Paulo."""
    try:
        table = timetable(options)
    except ValueError:
        return str(options.get("cron") or options.get("every") or "")
    text = _describe_cron(table.expression)
    zone = table.timezone
    return text if zone == DEFAULT_TIMEZONE else f"{text} ({zone})"


def _describe_cron(expression: str) -> str:
    cron = " ".join(expression.split())
    state = state_of({"cron": cron})
    mode, time = state["mode"], state["time"]
    if mode == "daily":
        return _("every day at %(time)s", time=time)
    if mode == "weekdays":
        return _("weekdays at %(time)s", time=time)
    if mode == "weekly":
        names = dict(weekday_choices())
        return _("every week on %(weekday)s at %(time)s", weekday=names[state["weekday"]], time=time)
    if mode == "monthly":
        return _("day %(day)s of each month at %(time)s", day=state["day"], time=time)
    if cron == "* * * * *":
        return _("every minute")
    if cron == "0 * * * *":
        return _("every hour")
    if (match := _MINUTES.match(cron)) is not None:
        return ngettext("every %(num)d minute", "every %(num)d minutes", int(match.group(1)))
    if (match := _HOURS.match(cron)) is not None:
        return ngettext("every %(num)d hour", "every %(num)d hours", int(match.group(1)))
    return _("cron %(expression)s", expression=expression)


def summary(definition: Mapping[str, Any]) -> str | None:
    """"Schedule: weekdays at 09:00" for a recipe on the schedule (None for any other trigger)."""
    if not is_schedule(definition):
        return None
    return _("Schedule: %(when)s", when=describe(options_of(definition)))


def next_runs(definition: Mapping[str, Any], count: int = 1) -> list[dict[str, str]]:
    return shown_times(options_of(definition), count) if is_schedule(definition) else []


def sample_payload(options: Mapping[str, Any]) -> dict[str, Any] | None:
    """What the trigger will emit at the next fire time (None: the options make no schedule)."""
    try:
        table = timetable(options)
    except ValueError:
        return None
    fire = table.next_after(datetime.now(UTC))
    return table.event(fire) if fire is not None else None
