"""Type coercion shared by filters and formatters, Brazilian formats first.

Asaas sends numbers as JSON numbers but admins type ``"1.234,56"`` or ``"R$ 10,00"`` in recipes, and
dates arrive as ISO dates, ISO datetimes, Asaas ``"YYYY-MM-DD HH:MM:SS"`` or ``dd/mm/aaaa``. Every
function raises :class:`CoerceError` with a message fit for a run's explanation, never a bare
``ValueError`` from deep inside ``datetime``.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

_NUMBER = re.compile(r"^[+-]?\d+(?:\.\d+)?$")
_THOUSANDS = re.compile(r"^[+-]?[1-9]\d{0,2}\.\d{3}$")
_RELATIVE = re.compile(r"^today(?:\s*([+-])\s*(\d{1,5})\s*d)?$")
_BR_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_TRUE = {"true", "sim", "s", "yes", "y", "1", "verdadeiro", "on"}
_FALSE = {"false", "não", "nao", "n", "no", "0", "falso", "off", ""}


class CoerceError(ValueError):
    """A value that cannot be read as the requested type; the message names the value."""


def to_decimal(value: Any) -> Decimal:
    """Read ints, floats, Decimals and strings like ``"1.234,56"``, ``"R$ 10,00"``, ``"10,5"``, ``"10.5"``.

    Money never goes through float arithmetic: a float (what ``json.loads`` made of a JSON number)
    is read through its shortest ``repr``, which is the JSON text itself for every number of up to
    15 significant digits, so ``2.675`` is exactly ``Decimal("2.675")``, not ``2.67499999…``.

    When both separators appear the last one is the decimal mark. A ``,`` alone is a decimal comma.
    Dots are thousands when there are several (``"1.234.567"``) or one followed by exactly three
    digits (``"1.000"``, as a Brazilian writes it); otherwise a single ``.`` is a decimal point
    (``"10.5"``, ``"0.125"``).
    """
    if isinstance(value, bool):
        raise CoerceError(f"{value!r} is a boolean, not a number")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float | Decimal):
        number = Decimal(repr(value)) if isinstance(value, float) else value
        if not number.is_finite():
            raise CoerceError(f"{short_repr(value)} is not a finite number")
        return number
    if not isinstance(value, str):
        raise CoerceError(f"{short_repr(value)} is not a number")
    text = value.replace("R$", "").replace("\u00a0", "").replace(" ", "").strip()
    if "," in text and "." in text:
        decimal = "," if text.rfind(",") > text.rfind(".") else "."
        thousands = "." if decimal == "," else ","
        text = text.replace(thousands, "").replace(decimal, ".")
    elif "," in text:
        text = text.replace(",", ".") if text.count(",") == 1 else text.replace(",", "")
    elif text.count(".") > 1 or _THOUSANDS.match(text):
        text = text.replace(".", "")
    if not _NUMBER.match(text):
        raise CoerceError(f"{short_repr(value)} is not a number")
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - _NUMBER admits only what Decimal reads
        raise CoerceError(f"{short_repr(value)} is not a number") from None


def to_number(value: Any) -> float:
    """:func:`to_decimal` as a float, for comparisons in filters (never for money that is shown
    or sent: use :func:`to_decimal` and :func:`to_cents` for that)."""
    return float(to_decimal(value))


CENT = Decimal("0.01")


def to_cents(value: Any) -> Decimal:
    """A money amount rounded half-up to the cent (``2.675`` → ``2.68``), as Asaas keeps it."""
    try:
        return to_decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:  # more digits than the decimal context holds: no real amount
        raise CoerceError(f"{short_repr(value)} is too large to be an amount of money") from None


def to_bool(value: Any) -> bool:
    """Read booleans, 0/1 and pt-BR/English words (``sim``, ``não``, ``true``, ``false``)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    raise CoerceError(f"{short_repr(value)} is not a boolean")


def to_datetime(value: Any) -> tuple[datetime, bool]:
    """Read a date or datetime; returns ``(moment, has_time)`` so date-only values compare by day.

    Accepts ``date``/``datetime`` objects, ISO dates and datetimes (``Z`` or offsets), Asaas
    ``"YYYY-MM-DD HH:MM:SS"`` and ``dd/mm/aaaa`` (optionally with ``HH:MM[:SS]``). An offset is
    kept; a value without one stays naive, and its readers take it as business-zone time (``clock``).
    """
    if isinstance(value, datetime):
        return value, True
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day), False
    if not isinstance(value, str):
        raise CoerceError(f"{short_repr(value)} is not a date")
    text = value.strip()
    br = _BR_DATE.match(text)
    try:
        if br:
            day, month, year, hour, minute, second = br.groups()
            moment = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0),
                              int(second or 0))
            return moment, hour is not None
        if len(text) == 10:
            return datetime.fromisoformat(text), False
        return datetime.fromisoformat(text.replace("Z", "+00:00")), True
    except ValueError:
        raise CoerceError(f"{short_repr(value)} is not a date (use AAAA-MM-DD or dd/mm/aaaa)") from None


def is_relative_date(value: Any) -> bool:
    """True for ``today``, ``today-5d``, ``today+3d``: evaluated at run time, not at load time."""
    return isinstance(value, str) and bool(_RELATIVE.match(value.strip().lower()))


def resolve_relative_date(value: str, today: date) -> date:
    """``today-5d`` → five days before ``today`` (the injected clock's date)."""
    found = _RELATIVE.match(value.strip().lower())
    if not found:
        raise CoerceError(f"{value!r} is not a relative date like today, today-5d or today+3d")
    sign, days = found.groups()
    delta = timedelta(days=int(days or 0))
    return today - delta if sign == "-" else today + delta


def to_text(value: Any) -> str:
    """Render a scalar for text: integral floats lose ``.0`` (``10.0`` → ``"10"``), None is ``""``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, Decimal):
        return str(int(value)) if value == value.to_integral_value() else format(value, "f")
    if isinstance(value, list | dict):
        raise CoerceError(f"{short_repr(value)} is a {type(value).__name__}, not text")
    return str(value)


def short_repr(value: Any, limit: int = 80) -> str:
    """``repr`` cut to ``limit`` characters, for messages that quote event values."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."

