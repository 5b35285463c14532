"""Money and dates as a person types them on the filter screen, and back.

On pt-BR pages money is typed ``1.234,56`` (or ``R$ 1.234,56``) and dates ``dd/mm/aaaa``; on English
pages ``1,234.56`` and ``mm/dd/yyyy``; ISO dates (``2025-03-10``) and relative ones (``today-3d``,
``hoje-3d`` on pt-BR) are understood on both. A recipe stores the canonical value (a JSON number, an ISO date), so it
reads the same whoever wrote it, and the form shows it back in the page's own way. Every parser
returns None for text it cannot read: the caller keeps the text and says why at the field.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from babel.numbers import format_decimal

from app.engine.coerce import CoerceError, is_relative_date, to_decimal

_EN_NUMBER = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$")
_SLASHED = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def is_pt(locale: str) -> bool:
    return locale.lower().startswith("pt")


def parse_number(text: str, locale: str) -> int | float | None:
    """``1.234,56`` (pt-BR) / ``1,234.56`` (en), with or without ``R$``, to a JSON number (None: not one).

    pt-BR reads like the engine (``coerce.to_decimal``: ``1.000`` is one thousand, ``10,5`` ten and a
    half). English is strict about commas: they group thousands in threes, so ``10,5`` is refused
    rather than read as 105.
    """
    cleaned = (text or "").replace("R$", "").replace("\u00a0", "").replace(" ", "").strip()
    if not cleaned:
        return None
    try:
        if is_pt(locale):
            number = to_decimal(cleaned)
        elif _EN_NUMBER.match(cleaned):
            number = Decimal(cleaned.replace(",", ""))
        else:
            return None
    except (CoerceError, InvalidOperation):
        return None
    if not number.is_finite():
        return None
    return int(number) if number == number.to_integral_value() else float(number)


def format_number(value: Any, locale: str, *, money: bool = False) -> str:
    """A stored number as the page types it: ``1.234,56`` / ``1,234.56`` (money: always two decimals)."""
    if isinstance(value, bool) or value is None or value == "":
        return "" if value is None else str(value)
    try:
        number = to_decimal(value)
    except CoerceError:
        return str(value)
    pattern = "#,##0.00" if money else "#,##0.###"
    return format_decimal(number, format=pattern, locale="pt_BR" if is_pt(locale) else "en")


def parse_date(text: str, locale: str) -> str | None:
    """``20/06/2024`` (pt-BR) / ``06/20/2024`` (en) or ISO to ``2024-06-20``; ``today-3d`` as written."""
    text = (text or "").strip()
    if text.lower().startswith("hoje"):  # "hoje-3d" on pt-BR pages is the engine's "today-3d"
        text = "today" + text[4:]
    if is_relative_date(text):
        return text.replace(" ", "")
    iso = _ISO.match(text)
    slashed = _SLASHED.match(text)
    try:
        if iso:
            day = date(int(iso[1]), int(iso[2]), int(iso[3]))
        elif slashed:
            first, second, year = int(slashed[1]), int(slashed[2]), int(slashed[3])
            day = date(year, second, first) if is_pt(locale) else date(year, first, second)
        else:
            return None
    except ValueError:  # 31/02, month 13
        return None
    return day.isoformat()


def format_date(value: Any, locale: str) -> str:
    """A stored ISO date as the page types it (``20/06/2024`` / ``06/20/2024``); anything else as is."""
    text = "" if value is None else str(value)
    if is_pt(locale) and text.startswith("today"):
        return "hoje" + text[5:]
    iso = _ISO.match(text)
    if not iso:
        return text
    year, month, day = iso[1], iso[2], iso[3]
    return f"{day}/{month}/{year}" if is_pt(locale) else f"{month}/{day}/{year}"
