"""Money, dates and JSON as people read them: ``R$ 1.234,56`` and ``dd/mm/aaaa`` in pt-BR.

Babel does the locale work; these helpers only pick the pattern per locale and never raise on odd
input (a page must render even when a stored value is not what we expected).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency
from flask import Flask, current_app
from flask_babel import get_locale

from app.engine.coerce import CoerceError, to_cents
from app.vault import REDACTOR

_NBSP = "\xa0"


def _locale(locale: str | None) -> str:
    if locale:
        return locale
    try:
        return str(get_locale() or "pt_BR")
    except (RuntimeError, AttributeError):
        return "pt_BR"


def _is_pt(locale: str) -> bool:
    return locale.lower().startswith("pt")


def money(value: Any, locale: str | None = None, currency: str = "BRL") -> str:
    """``1234.56`` → ``R$ 1.234,56`` (pt-BR) or ``R$1,234.56`` (en); text that is not a number as is."""
    if value is None or value == "":
        return ""
    try:  # through the text, never float arithmetic; half-up to the cent, as Asaas keeps it
        amount = to_cents(value)
    except CoerceError:
        return str(value)
    return format_currency(amount, currency, locale=_locale(locale)).replace(_NBSP, " ")


def _timezone() -> ZoneInfo:
    try:
        return ZoneInfo(current_app.config.get("PONTE_TIMEZONE", "America/Sao_Paulo"))
    except RuntimeError:
        return ZoneInfo("America/Sao_Paulo")


def _as_date(value: Any) -> date | datetime | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")) if "T" in value or " " in value \
                else date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def day(value: Any, locale: str | None = None) -> str:
    """A date as ``10/03/2025`` (pt-BR) or ``Mar 10, 2025`` (en); a datetime uses the local day."""
    moment = _as_date(value)
    if moment is None:
        return "" if value is None else str(value)
    if isinstance(moment, datetime):
        moment = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(_timezone()).date()
    loc = _locale(locale)
    return format_date(moment, "dd/MM/yyyy" if _is_pt(loc) else "medium", locale=loc)


def moment(value: Any, locale: str | None = None) -> str:
    """A timestamp in the configured zone: ``10/03/2025 14:05`` (pt-BR) or ``Mar 10, 2025, 2:05 PM``."""
    if isinstance(value, str) and isinstance(parsed := _as_date(value), datetime):
        value = parsed  # an ISO timestamp kept in JSON (a step's attempt history)
    if not isinstance(value, datetime):
        return day(value, locale)
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    loc = _locale(locale)
    pattern = "dd/MM/yyyy HH:mm:ss" if _is_pt(loc) else "medium"
    return format_datetime(aware, pattern, tzinfo=_timezone(), locale=loc)


def wall_clock(value: datetime, locale: str | None = None) -> str:
    """An aware datetime to the minute in its own zone (a schedule's, not ``PONTE_TIMEZONE``):
    ``10/03/2025 09:00`` (pt-BR) or ``Mar 10, 2025, 09:00`` (en)."""
    loc = _locale(locale)
    pattern = "dd/MM/yyyy HH:mm" if _is_pt(loc) else "MMM d, yyyy, HH:mm"
    return format_datetime(value, pattern, tzinfo=value.tzinfo, locale=loc)


def weekday(value: datetime, locale: str | None = None) -> str:
    """The day of the week of an aware datetime in its own zone: ``segunda-feira`` / ``Monday``."""
    return format_datetime(value, "EEEE", tzinfo=value.tzinfo, locale=_locale(locale))


def pretty_json(value: Any) -> str:
    """Indented JSON with secrets masked (by key name and by known secret values)."""
    if value is None:
        return ""
    return json.dumps(REDACTOR(value), indent=2, ensure_ascii=False, default=str)


def register_filters(app: Flask) -> None:
    app.add_template_filter(money, "money")
    app.add_template_filter(day, "day")
    app.add_template_filter(moment, "moment")
    app.add_template_filter(pretty_json, "pretty_json")
