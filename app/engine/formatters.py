"""The closed set of mapping formatters, compiled once into a pipeline of plain functions.

A pipeline is written ``format: [trim, upper, {truncate: 40}]``: each step is a name or a single-key
dict holding its argument (``map`` also takes a ``default`` sibling). Arguments are checked when the
mapping loads, so a typo fails ``recipes validate`` instead of a run at 3 a.m.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time
from babel.numbers import format_decimal
from validate_docbr import CNPJ, CPF

from app.engine.clock import local_zone
from app.engine.coerce import CoerceError, short_repr, to_cents, to_datetime, to_number, to_text

Fn = Callable[[Any], Any]


class FormatterError(Exception):
    """A formatter that could not handle a value at run time (the mapping adds target and source)."""

    def __init__(self, formatter: str, message: str) -> None:
        super().__init__(f"{formatter}: {message}")
        self.formatter = formatter
        self.message = message


class FormatterSpecError(ValueError):
    """Problems in a ``format:`` list found at load time, as ``(step index or None, message)``."""

    def __init__(self, problems: list[tuple[int | None, str]]) -> None:
        super().__init__("; ".join(message for _, message in problems))
        self.problems = problems


@dataclass(frozen=True)
class Pipeline:
    """Compiled formatter steps; calling it runs them in order."""

    steps: tuple[tuple[str, Fn], ...] = ()

    def __call__(self, value: Any) -> Any:
        for name, fn in self.steps:
            try:
                value = fn(value)
            except (CoerceError, ValueError, TypeError) as exc:
                raise FormatterError(name, str(exc)) from None
        return value

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.steps)

    def when_absent(self) -> Pipeline | None:
        """What formats an absent value: the steps from the first ``{default: X}`` on (the steps
        before it have nothing to work on), or None when no step gives a default."""
        names = self.names
        return Pipeline(self.steps[names.index("default"):]) if "default" in names else None


BUSINESS_LOCALE = "pt_BR"  # a mapping's text goes to Brazilian payers unless a step names a locale


def _money_br(amount: Decimal) -> str:
    """Cents rounded half-up first (Babel would round half-even), then Brazilian grouping."""
    return format_decimal(amount, "#,##0.00", locale=BUSINESS_LOCALE)


def _text(value: Any) -> str:
    return to_text(value)


def _brl(_: Any) -> Fn:
    def run(value: Any) -> str:
        cents = to_cents(value)
        return ("-R$ " if cents < 0 else "R$ ") + _money_br(abs(cents))

    return run


def _number_br(_: Any) -> Fn:
    return lambda v: _money_br(to_cents(v))


def _integer(_: Any) -> Fn:
    def run(value: Any) -> int:
        number = to_number(value)
        if not number.is_integer():
            raise CoerceError(f"{short_repr(value)} is not a whole number")
        return int(number)

    return run


# strftime directives whose words depend on the language: Babel (CLDR) says them in the locale,
# so "%d de %B de %Y" is "10 de março de 2025", never the C library's "10 de March de 2025".
_WORDS = {"B": ("date", "MMMM"), "b": ("date", "MMM"), "A": ("date", "EEEE"), "a": ("date", "EEE"),
          "p": ("time", "a")}
_DIRECTIVE = re.compile(r"%(.)")


def _locale_arg(name: Any) -> str:
    if not isinstance(name, str):
        raise ValueError(f"locale must be a name like pt_BR or en, not {short_repr(name)}")
    try:
        return str(Locale.parse(name.replace("-", "_")))
    except (UnknownLocaleError, ValueError):
        raise ValueError(f"unknown locale {name!r}; use a name like pt_BR or en") from None


def _date(arg: Any) -> Fn:
    """An aware datetime is shown as wall time in the business zone (``2025-02-25T01:30Z`` is
    24/02/2025 22:30 in São Paulo); dates and naive datetimes are shown as written. Month and day
    names come from Babel in ``locale`` (pt_BR unless the step says ``{date: {format: …, locale: en}}``)."""
    options = arg if isinstance(arg, dict) else {"format": arg}
    if unexpected := sorted(map(str, set(options) - {"format", "locale"})):
        raise ValueError(f"date takes format and locale; unexpected {', '.join(unexpected)}")
    fmt = options.get("format")
    if not isinstance(fmt, str) or "%" not in fmt:
        raise ValueError("date needs a strftime format, e.g. {date: \"%d/%m/%Y\"}")
    locale = _locale_arg(options.get("locale", BUSINESS_LOCALE))

    def directive(moment: datetime, code: str) -> str:
        if code in _WORDS:
            kind, pattern = _WORDS[code]
            return (format_date(moment, pattern, locale=locale) if kind == "date"
                    else format_time(moment, pattern, locale=locale))
        return "%" if code == "%" else moment.strftime("%" + code)

    def run(value: Any) -> str:
        moment = to_datetime(value)[0]
        moment = moment if moment.tzinfo is None else moment.astimezone(local_zone())
        return _DIRECTIVE.sub(lambda found: directive(moment, found.group(1)), fmt)

    return run


def _string_method(method: str) -> Callable[[Any], Fn]:
    return lambda _: lambda v: getattr(_text(v), method)()


def _digits(_: Any) -> Fn:
    return lambda v: "".join(ch for ch in _text(v) if ch.isdigit())


def _cpf_cnpj(_: Any) -> Fn:
    def run(value: Any) -> str:
        d = "".join(ch for ch in _text(value) if ch.isdigit())
        if len(d) == 11:
            if not CPF().validate(d):
                raise ValueError(f"{short_repr(value)} is not a valid CPF (check digits do not match)")
            return f"{d[:3]}.{d[3:6]}.{d[6:9]}-{d[9:]}"
        if len(d) == 14:
            if not CNPJ().validate(d):
                raise ValueError(f"{short_repr(value)} is not a valid CNPJ (check digits do not match)")
            return f"{d[:2]}.{d[2:5]}.{d[5:8]}/{d[8:12]}-{d[12:]}"
        raise ValueError(f"{short_repr(value)} has {len(d)} digits; a CPF has 11 and a CNPJ 14")

    return run


def _phone_br(arg: Any) -> Fn:
    if arg not in (None, "with_country", "national"):
        raise ValueError("phone_br takes 'with_country' (default, 55 + DDD + number) or 'national'")

    def run(value: Any) -> str:
        d = "".join(ch for ch in _text(value) if ch.isdigit()).lstrip("0")
        if len(d) in (12, 13) and d.startswith("55"):
            d = d[2:]
        if len(d) not in (10, 11):
            raise ValueError(f"{short_repr(value)} is not a Brazilian phone (DDD + 8 or 9 digits)")
        return d if arg == "national" else "55" + d

    return run


def _default(arg: Any) -> Fn:
    return lambda v: arg if v is None or v == "" or v == [] else v


def _join(sep: Any) -> Fn:
    if not isinstance(sep, str):
        raise ValueError("join takes a separator string, e.g. {join: \", \"}")
    return lambda v: sep.join(_text(x) for x in v) if isinstance(v, list) else _text(v)


def _truncate(n: Any) -> Fn:
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError("truncate takes a positive whole number, e.g. {truncate: 40}")
    return lambda v: v[:n] if isinstance(v, list) else _text(v)[:n]


def _split(sep: Any) -> Fn:
    if not isinstance(sep, str) or not sep:
        raise ValueError("split takes a non-empty separator string, e.g. {split: \",\"}")
    return lambda v: [part.strip() for part in _text(v).split(sep)]


def _pick(index: int) -> Callable[[Any], Fn]:
    def run(value: Any) -> Any:
        if not isinstance(value, list):
            return value
        if not value:
            raise ValueError("the list is empty")
        return value[index]

    return lambda _: run


_NO_DEFAULT = object()


def _map(table: Any, default: Any = _NO_DEFAULT) -> Fn:
    if not isinstance(table, dict) or not table:
        raise ValueError("map takes a table of value: replacement, e.g. {map: {PIX: Pix}}")
    lookup = {to_text(k): v for k, v in table.items()}

    def run(value: Any) -> Any:
        key = to_text(value)
        if key in lookup:
            return lookup[key]
        if default is not _NO_DEFAULT:
            return default
        raise ValueError(f"{short_repr(value)} is not in the table (keys: {', '.join(lookup)}); "
                         "add it or give the map a default")

    return run


# name -> (factory(arg) -> fn, whether an argument is required)
_FACTORIES: dict[str, tuple[Callable[[Any], Fn], bool]] = {
    "brl": (_brl, False),
    "number_br": (_number_br, False),
    "number": (lambda _: to_number, False),
    "integer": (_integer, False),
    "string": (lambda _: _text, False),
    "date": (_date, True),
    "upper": (_string_method("upper"), False),
    "lower": (_string_method("lower"), False),
    "title": (_string_method("title"), False),
    "trim": (_string_method("strip"), False),
    "digits": (_digits, False),
    "cpf_cnpj": (_cpf_cnpj, False),
    "phone_br": (_phone_br, False),
    "default": (_default, True),
    "join": (_join, False),
    "map": (_map, True),
    "truncate": (_truncate, True),
    "split": (_split, True),
    "first": (_pick(0), False),
    "last": (_pick(-1), False),
}
FORMATTERS: tuple[str, ...] = tuple(_FACTORIES)


def _compile_step(step: Any) -> tuple[str, Fn]:
    if isinstance(step, str):
        name, arg, extra = step, None, {}
    elif isinstance(step, dict) and step:
        name = next(iter(step))
        arg, extra = step[name], {k: v for k, v in step.items() if k != name}
    else:
        raise ValueError(f"a formatter is a name or a one-key mapping, not {short_repr(step)}")
    if name not in _FACTORIES:
        raise ValueError(f"unknown formatter {name!r}; valid formatters: {', '.join(FORMATTERS)}")
    factory, needs_arg = _FACTORIES[name]
    if needs_arg and isinstance(step, str):
        raise ValueError(f"formatter {name!r} needs an argument, e.g. {{{name}: ...}}")
    if name == "map" and set(extra) <= {"default"}:
        return name, _map(arg, **extra)
    if extra:
        raise ValueError(f"formatter {name!r} takes one key; unexpected {', '.join(map(str, extra))}")
    if name == "join" and arg is None:
        arg = ", "
    return name, factory(arg)


def compile_pipeline(spec: Any) -> Pipeline:
    """Compile a ``format:`` list (or a single step); raises FormatterSpecError with every problem."""
    if spec is None:
        return Pipeline()
    steps_spec = spec if isinstance(spec, list) else [spec]
    steps: list[tuple[str, Fn]] = []
    problems: list[tuple[int | None, str]] = []
    for index, step in enumerate(steps_spec):
        try:
            steps.append(_compile_step(step))
        except ValueError as exc:
            problems.append((index if isinstance(spec, list) else None, str(exc)))
    if problems:
        raise FormatterSpecError(problems)
    return Pipeline(tuple(steps))
