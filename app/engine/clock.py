"""The business's time zone (``PONTE_TIMEZONE``) and what "today" is in it.

Servers run in UTC, Ponte's users in São Paulo: from 21:00 to midnight there, the server's date is
already tomorrow. Filters (``today-5d``, naive times) and the ``date`` formatter therefore read the
zone here, when they evaluate, not when they compile: a compiled recipe stays cacheable and a
changed setting applies to the next run. This is the one engine module that reads the app config.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

DEFAULT_TIMEZONE = "America/Sao_Paulo"

Clock = Callable[[], datetime]
"""Returns the current instant (aware); tests inject a fixed one."""


def utc_now() -> datetime:
    """The default :data:`Clock`."""
    return datetime.now(UTC)


def local_zone() -> tzinfo:
    """The current app's ``PONTE_TIMEZONE``; São Paulo outside an app (unit tests, scripts)."""
    name = current_app.config.get("PONTE_TIMEZONE") if has_app_context() else None
    return ZoneInfo(name or DEFAULT_TIMEZONE)


def zone_name() -> str:
    """The name of :func:`local_zone`, for a connector's ``Context.timezone``."""
    return str(current_app.config.get("PONTE_TIMEZONE") or DEFAULT_TIMEZONE) if has_app_context() else DEFAULT_TIMEZONE


def in_zone(moment: datetime, zone: tzinfo) -> datetime:
    """An aware datetime as wall time in ``zone``; a naive one is taken as already being in it."""
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment.astimezone(zone)


def today_in(zone: tzinfo, clock: Clock = utc_now) -> date:
    """The date in ``zone`` at the clock's instant (a naive instant counts as UTC)."""
    now = clock()
    return (now if now.tzinfo else now.replace(tzinfo=UTC)).astimezone(zone).date()
