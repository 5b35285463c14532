"""When a schedule fires: a standard 5-field cron expression, or ``every: 15m``, in an IANA time zone.

APScheduler 3.11's ``CronTrigger.from_crontab`` computes the fire times, with the two places where it
departs from cron(8) put right here, because people paste expressions from crontab.guru:

- day-of-week numbers: APScheduler counts from Monday (0 = mon, so ``1-5`` would be Tuesday to
  Saturday); cron counts from Sunday (0 and 7 = sun). The field is rewritten as day names.
- day-of-month *and* day-of-week both restricted: cron fires when EITHER matches, APScheduler only
  when both do. Such an expression becomes two triggers, and the earlier fire time wins.

``every`` is sugar for the cron expression that fires at clock-aligned times: ``15m`` is
``*/15 * * * *`` (:00, :15, :30, :45), ``2h`` is ``0 */2 * * *``, ``1d`` is ``0 0 * * *``; so only
steps that divide the hour (or the day) are accepted.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger

DEFAULT_TIMEZONE = "America/Sao_Paulo"
FIELDS = ("minute", "hour", "day", "month")  # day of week: days_of_week()
MACROS = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
          "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"}
EVERY = re.compile(r"^\s*(\d+)\s*([mhd])\s*$")
EVERY_STEPS = {"m": (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30), "h": (1, 2, 3, 4, 6, 8, 12), "d": (1,)}
CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # cron(8) order: 0 = Sunday
#: How far back :meth:`Schedule.latest` looks before scanning the whole gap (cheap for any schedule).
LOOKBACK = (timedelta(hours=1), timedelta(days=1), timedelta(days=32), timedelta(days=367))


class ScheduleError(ValueError):
    """Options that do not make a schedule; ``option`` is the one at fault ("": the options as a whole)."""

    def __init__(self, option: str, message: str) -> None:
        super().__init__(message)
        self.option = option
        self.message = message


@dataclass(frozen=True)
class Schedule:
    """Compiled options: fire times come out as aware UTC datetimes; ``zone`` is for display."""

    expression: str
    zone: ZoneInfo
    triggers: tuple[CronTrigger, ...]
    fixed_hours: bool = False

    def next_after(self, moment: datetime) -> datetime | None:
        """The first fire time strictly after ``moment`` (None: the expression never fires again).

        When the clocks go back, a wall time happens twice; like cron(8), a schedule at fixed hours
        ("30 1 * * *") fires at the first of the two only, while an interval ("*/15 * * * *") keeps
        firing through the repeated hour (that time really passes).
        """
        start = moment + timedelta(microseconds=1)
        while True:
            times = [t for t in (trigger.get_next_fire_time(None, start) for trigger in self.triggers) if t]
            if not times:
                return None
            fire = min(times).astimezone(UTC)
            if not (self.fixed_hours and self._repeated_wall_time(fire)):
                return fire  # type: ignore[no-any-return]  # croniter's datetimes
            start = fire + timedelta(microseconds=1)

    def _repeated_wall_time(self, fire: datetime) -> bool:
        local = fire.astimezone(self.zone)
        return local.replace(fold=0).astimezone(UTC) != fire

    def between(self, after: datetime, until: datetime) -> Iterator[datetime]:
        """Every fire time in (after, until], oldest first."""
        moment = after
        while (fire := self.next_after(moment)) is not None and fire <= until:
            yield fire
            moment = fire

    def latest(self, after: datetime, until: datetime) -> datetime | None:
        """The last fire time in (after, until], found in growing windows back from ``until``.

        A scan of the whole gap would take seconds for ``* * * * *`` after a long outage.
        """
        for window in (*LOOKBACK, None):
            start = after if window is None else max(after, until - window)
            last = None
            for last in self.between(start, until):  # noqa: B007 - keep the last one
                pass
            if last is not None or start == after:
                return last
        return None


def compile_schedule(options: Mapping[str, Any]) -> Schedule:
    """The options ``{cron | every, timezone}`` as a :class:`Schedule`; ScheduleError says what is wrong."""
    zone = time_zone(options.get("timezone") or DEFAULT_TIMEZONE)
    cron, every = options.get("cron"), options.get("every")
    if (cron is None) == (every is None):
        raise ScheduleError("cron" if cron is not None else "",
                            "give either cron (e.g. \"0 9 * * 1-5\") or every (e.g. \"15m\"), "
                            + ("not both" if cron is not None else "one of them"))
    expression = cron_of_every(str(every)) if every is not None else str(cron).strip()
    option = "every" if every is not None else "cron"
    fields = MACROS.get(expression.lower(), expression).split()
    if len(fields) != 5:
        raise ScheduleError(option, f"{expression!r} is not a cron expression: it needs 5 fields "
                            f"(minute hour day-of-month month day-of-week), got {len(fields)}")
    minute, hour, day, month, weekday = fields
    for name, value in zip(FIELDS, fields[:4], strict=False):
        try:
            CronTrigger(**{name: value}, timezone=zone)
        except ValueError as exc:
            label = "day of month" if name == "day" else name
            why = re.sub(r"^Error validating expression '[^']*': ", "", str(exc))
            raise ScheduleError(option, f"{expression!r} is not a valid cron expression: {label} "
                                f"{value!r}: {why}") from None
    days = days_of_week(weekday, expression)
    if day.startswith("*") or weekday.startswith("*"):
        crontabs = [f"{minute} {hour} {day} {month} {days}"]
    else:  # cron(8): either day field matching fires
        crontabs = [f"{minute} {hour} {day} {month} *", f"{minute} {hour} * {month} {days}"]
    schedule = Schedule(expression, zone, tuple(CronTrigger.from_crontab(c, timezone=zone) for c in crontabs),
                        fixed_hours=not (hour.startswith("*") or "/" in hour))
    if schedule.next_after(datetime.now(UTC)) is None:
        raise ScheduleError(option, f"{expression!r} never fires (no such date)")
    return schedule


def time_zone(name: Any) -> ZoneInfo:
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError("timezone", f"unknown time zone {name!r}; use an IANA name such as "
                            f"{DEFAULT_TIMEZONE}") from None


def cron_of_every(every: str) -> str:
    """``15m`` → ``*/15 * * * *``; ``1h`` → ``0 * * * *``; ``1d`` → ``0 0 * * *`` (clock-aligned)."""
    match = EVERY.match(every)
    if match is None:
        raise ScheduleError("every", f"{every!r} is not an interval: write a number and m, h or d, e.g. 15m")
    count, unit = int(match.group(1)), match.group(2)
    if count not in EVERY_STEPS[unit]:
        allowed = ", ".join(f"{n}{unit}" for n in EVERY_STEPS[unit])
        raise ScheduleError("every", f"{every!r} does not divide {'the day' if unit != 'm' else 'the hour'} "
                            f"evenly; use {allowed} (or a cron expression)")
    step = "*" if count == 1 else f"*/{count}"
    return {"m": f"{step} * * * *", "h": f"0 {step} * * *", "d": "0 0 * * *"}[unit]


def days_of_week(field: str, expression: str) -> str:
    """A cron(8) day-of-week field (0 or 7 = Sunday, names, ranges, steps) as APScheduler day names."""
    if field == "*":
        return "*"
    days: set[int] = set()
    for item in field.split(","):
        base, slash, step_text = item.partition("/")
        if slash and (not step_text.isdigit() or int(step_text) == 0):
            raise _bad_day(expression, item, "the step must be a whole number above 0")
        if base == "*":
            low, high = 0, 6
        elif "-" in base:
            first, _, last = base.partition("-")
            low, high = _day(first, expression), _day(last, expression, high=True)
        else:
            low = high = _day(base, expression)
            if slash:
                high = 6
        if low > high:
            raise _bad_day(expression, item, "the range runs backwards")
        days.update(d % 7 for d in range(low, high + 1, int(step_text) if slash else 1))
    return ",".join(CRON_DAYS[d] for d in sorted(days))


def _day(text: str, expression: str, *, high: bool = False) -> int:
    text = text.strip().lower()
    if text.isdigit() and int(text) <= 7:
        return int(text)
    if text in CRON_DAYS:
        number = CRON_DAYS.index(text)
        return 7 if high and number == 0 else number  # "fri-sun"
    raise _bad_day(expression, text, "a day is 0-7 (0 and 7 = Sunday) or sun, mon, tue, wed, thu, fri, sat")


def _bad_day(expression: str, item: str, why: str) -> ScheduleError:
    return ScheduleError("cron", f"{expression!r} is not a valid cron expression: day of week {item!r}: {why}")
