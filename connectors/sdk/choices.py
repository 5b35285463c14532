"""Where an input property's choices come from: a fixed list with labels, or a connector lookup.

Like Activepieces' dropdown properties with ``refreshers``: a property declares its options as
data, and the wizard builds the control from that alone. A dynamic property names the lookup that
lists its options and the properties it depends on (``depends_on``): their values are the lookup's
params, so when one of them changes the options are asked for again (a template id → that
template's variables; a pipeline → its stages). The connection is always an implicit dependency: a
lookup runs with the step's connection (a connection → its customers).

``fields=True`` marks an object property whose *keys* come from the lookup (a ZapSign template's
variables): each option becomes one field to fill, instead of one value to choose.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class Option:
    """One fixed choice. ``label`` is English (the msgid); the connector's catalog translates it."""

    value: str
    label: str


@dataclass(frozen=True)
class Choices:
    """The options of one input property: ``options`` (static) or ``lookup`` (dynamic)."""

    options: tuple[Option, ...] = ()
    lookup: str = ""
    depends_on: tuple[str, ...] = ()
    fields: bool = False

    @property
    def dynamic(self) -> bool:
        return bool(self.lookup)

    def params(self, values: Mapping[str, Any]) -> dict[str, Any] | None:
        """The lookup's params from the step's current values; None while a dependency is unset."""
        params = {name: values.get(name) for name in self.depends_on}
        if any(value in (None, "") for value in params.values()):
            return None
        return params


@dataclass(frozen=True)
class OutputField:
    """A trigger output field described for people: the wizard's filter screen lists these by label.

    ``label`` is English (a msgid of the connector's catalog). ``kind`` says how a person compares
    it when the output schema cannot: "money" (typed 1.234,56), "date", "number", "boolean",
    "enum", "string"; "" reads it from the schema. ``choices`` are the fixed values it takes
    (a payment's status), shown by label and stored as the service's code.
    """

    label: str
    kind: str = ""
    choices: Choices | None = None


def static(*pairs: tuple[str, str]) -> Choices:
    """``static(("BOLETO", "Bank slip (boleto)"), ...)``: a fixed list of ``(value, English label)``."""
    return Choices(options=tuple(Option(value, label) for value, label in pairs))


def dynamic(lookup: str, *depends_on: str, fields: bool = False) -> Choices:
    """``dynamic("stages", "pipeline")``: options from a lookup, asked again when ``pipeline`` changes."""
    return Choices(lookup=lookup, depends_on=tuple(depends_on), fields=fields)


class Timetable(Protocol):
    """What a clock trigger's options mean in time (``Trigger.timetable(options)``), for screens that
    show the next fire times and the event each will emit. ``expression`` is the cron expression
    the options amount to; ``timezone`` the IANA zone they are read in."""

    @property
    def expression(self) -> str: ...

    @property
    def timezone(self) -> str: ...

    def next_after(self, moment: datetime) -> datetime | None:
        """The first fire time strictly after ``moment`` (aware, UTC), or None."""

    def event(self, fire: datetime) -> dict[str, Any]:
        """The trigger output for the fire time ``fire`` (what the recipe's steps will read)."""


@dataclass(frozen=True)
class Notice:
    """A message from Ponte itself (a failure alert) for a connector that can deliver one."""

    to: tuple[str, ...]
    subject: str
    text: str
    sender_name: str = "Ponte"
