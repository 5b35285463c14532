"""The business's time zone (``PONTE_TIMEZONE``) and what "today" is in it.

Servers run in UTC, Ponte's users in São Paulo: from 21:00 to midnight there, the server's date is
already tomorrow. Filters (``today-5d``, naive times) and the ``date`` formatter therefore read the
zone here, when they evaluate, not when they compile: a compiled recipe stays cacheable and a
changed setting applies to the next run. The zone comes from the engine's settings
(:mod:`app.engine.settings`), made once per process or app, never from a Flask global.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo

from app.engine import settings
from app.engine.settings import DEFAULT_TIMEZONE

__all__ = ["DEFAULT_TIMEZONE", "Clock", "in_zone", "local_zone", "today_in", "utc_now", "zone_name"]

Clock = Callable[[], datetime]
"""Returns the current instant (aware); tests inject a fixed one."""


def utc_now() -> datetime:
    """The default :data:`Clock`."""
    return datetime.now(UTC)


def local_zone() -> tzinfo:
    """The business's zone (``PONTE_TIMEZONE``); São Paulo when nothing was configured."""
    return ZoneInfo(zone_name())


def zone_name() -> str:
    """The name of :func:`local_zone`, for a connector's ``Context.timezone``."""
    return settings.current().timezone


def in_zone(moment: datetime, zone: tzinfo) -> datetime:
    """An aware datetime as wall time in ``zone``; a naive one is taken as already being in it."""
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment.astimezone(zone)


def today_in(zone: tzinfo, clock: Clock = utc_now) -> date:
    """The date in ``zone`` at the clock's instant (a naive instant counts as UTC)."""
    now = clock()
    return (now if now.tzinfo else now.replace(tzinfo=UTC)).astimezone(zone).date()
