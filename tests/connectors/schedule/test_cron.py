"""Fire times of ``schedule.cron``: cron(8) semantics on top of APScheduler, in a time zone."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from connectors.schedule.cron import ScheduleError, compile_schedule

# Friday 2025-03-07, 11:00 in São Paulo (UTC−3, no daylight saving since 2019).
FRIDAY_11H = datetime(2025, 3, 7, 14, 0, tzinfo=UTC)


def _next(options: dict, count: int = 5, start: datetime = FRIDAY_11H) -> list[str]:
    """The next ``count`` fire times as local "Day DD HH:MM"."""
    schedule = compile_schedule(options)
    found, moment = [], start
    for _ in range(count):
        moment = schedule.next_after(moment)
        found.append(moment.astimezone(schedule.zone).strftime("%a %d %H:%M"))
    return found


def test_weekdays_at_nine_in_sao_paulo_fire_at_12_utc_monday_to_friday() -> None:
    schedule = compile_schedule({"cron": "0 9 * * 1-5"})
    assert schedule.zone.key == "America/Sao_Paulo"  # the default
    assert _next({"cron": "0 9 * * 1-5"}) == ["Mon 10 09:00", "Tue 11 09:00", "Wed 12 09:00", "Thu 13 09:00",
                                              "Fri 14 09:00"]
    assert schedule.next_after(FRIDAY_11H) == datetime(2025, 3, 10, 12, 0, tzinfo=UTC)


def test_sao_paulo_has_no_daylight_saving_so_nine_is_always_12_utc() -> None:
    schedule = compile_schedule({"cron": "0 9 * * *", "timezone": "America/Sao_Paulo"})
    # Brazil's old DST started in November and ended in February; it was abolished in 2019.
    fires = list(schedule.between(datetime(2025, 10, 25, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)))
    assert len(fires) == 127 and {f.hour for f in fires} == {12} and {f.minute for f in fires} == {0}


def test_a_zone_with_daylight_saving_keeps_the_local_time() -> None:
    schedule = compile_schedule({"cron": "0 9 * * *", "timezone": "America/New_York"})
    before, after = schedule.next_after(datetime(2025, 3, 7, tzinfo=UTC)), schedule.next_after(
        datetime(2025, 3, 10, tzinfo=UTC))
    assert (before.hour, after.hour) == (14, 13)  # EST, then EDT from March 9


def test_day_of_week_counts_from_sunday_as_in_cron_not_from_monday_as_in_apscheduler() -> None:
    assert _next({"cron": "0 9 * * 0"}, 2) == ["Sun 09 09:00", "Sun 16 09:00"]
    assert _next({"cron": "0 9 * * 7"}, 2) == ["Sun 09 09:00", "Sun 16 09:00"]
    assert _next({"cron": "0 9 * * 5-7"}, 3) == ["Sat 08 09:00", "Sun 09 09:00", "Fri 14 09:00"]
    assert _next({"cron": "0 9 * * fri-sun"}, 3) == ["Sat 08 09:00", "Sun 09 09:00", "Fri 14 09:00"]
    assert _next({"cron": "0 9 * * mon,wed"}, 2) == ["Mon 10 09:00", "Wed 12 09:00"]
    assert _next({"cron": "0 9 * * */3"}, 3) == ["Sat 08 09:00", "Sun 09 09:00", "Wed 12 09:00"]  # 0, 3, 6


def test_day_of_month_and_day_of_week_together_fire_when_either_matches() -> None:
    # cron(8): the 1st of the month OR any Monday (APScheduler alone would need both).
    assert _next({"cron": "0 8 1 * 1"}, 6) == ["Mon 10 08:00", "Mon 17 08:00", "Mon 24 08:00", "Mon 31 08:00",
                                               "Tue 01 08:00", "Mon 07 08:00"]


def test_every_is_clock_aligned() -> None:
    assert _next({"every": "15m"}, 3) == ["Fri 07 11:15", "Fri 07 11:30", "Fri 07 11:45"]
    assert _next({"every": "2h"}, 2) == ["Fri 07 12:00", "Fri 07 14:00"]
    assert _next({"every": "1d"}, 2) == ["Sat 08 00:00", "Sun 09 00:00"]
    assert _next({"cron": "@hourly"}, 2) == ["Fri 07 12:00", "Fri 07 13:00"]


@pytest.mark.parametrize(("options", "option", "message"), [
    ({"cron": "61 * * * *"}, "cron",
     "'61 * * * *' is not a valid cron expression: minute '61': the last value (61) is higher than the maximum "
     "value (59)"),
    ({"cron": "0 9 * *"}, "cron", "'0 9 * *' is not a cron expression: it needs 5 fields (minute hour "
     "day-of-month month day-of-week), got 4"),
    ({"cron": "0 9 * * 1-5 *"}, "cron", "got 6"),
    ({"cron": "0 25 * * *"}, "cron", "hour '25'"),
    ({"cron": "0 9 * 13 *"}, "cron", "month '13'"),
    ({"cron": "0 9 * * 8"}, "cron", "day of week '8': a day is 0-7 (0 and 7 = Sunday)"),
    ({"cron": "0 9 * * 5-1"}, "cron", "day of week '5-1': the range runs backwards"),
    ({"cron": "0 9 31 2 *"}, "cron", "'0 9 31 2 *' never fires"),
    ({"every": "7m"}, "every", "'7m' does not divide the hour evenly; use 1m, 2m, 3m, 4m, 5m, 6m, 10m, 12m"),
    ({"every": "5h"}, "every", "'5h' does not divide the day evenly"),
    ({"every": "soon"}, "every", "'soon' is not an interval"),
    ({"cron": "0 9 * * *", "timezone": "Brasil/Sao_Paulo"}, "timezone",
     "unknown time zone 'Brasil/Sao_Paulo'; use an IANA name such as America/Sao_Paulo"),
    ({"cron": "0 9 * * *", "every": "1h"}, "cron", "give either cron"),
    ({}, "", "give either cron"),
])
def test_invalid_schedules_say_what_is_wrong(options: dict, option: str, message: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        compile_schedule(options)
    assert caught.value.option == option and message in caught.value.message


def test_the_latest_fire_time_of_a_long_gap_is_found_without_scanning_it() -> None:
    schedule = compile_schedule({"cron": "* * * * *"})
    started = time.perf_counter()
    latest = schedule.latest(FRIDAY_11H - timedelta(days=3 * 365), FRIDAY_11H - timedelta(seconds=30))
    assert latest == FRIDAY_11H - timedelta(minutes=1)
    assert time.perf_counter() - started < 0.5  # a full scan is 1.5 million fire times
    yearly = compile_schedule({"cron": "0 0 29 2 *"})
    assert yearly.latest(datetime(2019, 1, 1, tzinfo=UTC), FRIDAY_11H) == datetime(2024, 2, 29, 3, tzinfo=UTC)
    assert yearly.latest(datetime(2024, 3, 1, tzinfo=UTC), FRIDAY_11H) is None


def test_a_fixed_time_fires_once_when_the_clocks_go_back_and_an_interval_keeps_firing() -> None:
    night = (datetime(2025, 11, 1, 12, tzinfo=UTC), datetime(2025, 11, 3, 12, tzinfo=UTC))
    daily = compile_schedule({"cron": "30 1 * * *", "timezone": "America/New_York"})
    # 01:30 happens twice on 2 Nov 2025 in New York (05:30Z and 06:30Z): once, like cron(8).
    assert [t.isoformat() for t in daily.between(*night)] == ["2025-11-02T05:30:00+00:00",
                                                              "2025-11-03T06:30:00+00:00"]
    half_hourly = compile_schedule({"cron": "*/30 * * * *", "timezone": "America/New_York"})
    fires = list(half_hourly.between(datetime(2025, 11, 2, 4, tzinfo=UTC), datetime(2025, 11, 2, 7, tzinfo=UTC)))
    assert len(fires) == 6  # the repeated hour really passes
