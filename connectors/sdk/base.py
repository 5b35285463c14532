"""The connector contract: a connector is data (keys, titles, JSON Schemas, samples) plus functions.

The engine never names a connector; it asks the registry for ``(connector, trigger | action)`` and
calls these objects with a :class:`Context`. Keys are permanent: they are stored in recipes and rows.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from .choices import Choices, Notice, OutputField, Timetable
from .i18n import Catalog

JSON = dict[str, Any]
Problem = tuple[tuple[str | int, ...], str]  # (path inside the step's input, message)


class _Runtime:
    """The value of an input field that only a run can tell (it reads the event)."""

    def __repr__(self) -> str:
        return "RUNTIME"


RUNTIME: Any = _Runtime()
#: ``summary(output, locale)``: one line naming what a run was about ("R$ 1.234,56 · Ana Souza · pay_…").
Summary = Callable[[JSON, str], str]


def load_json(anchor: str, name: str) -> Any:
    """Load a schema or sample kept in a ``.json`` file beside the module ``anchor`` (``__file__``)."""
    return json.loads((Path(anchor).parent / name).read_text(encoding="utf-8"))


def with_labels(schema: JSON, labels: Mapping[str, tuple[str, str]]) -> JSON:
    """``schema`` with each named property's ``title`` and ``description`` (English msgids) set, for a
    schema written as code: the wizard's label and help text of every input property come from here."""
    props = {name: dict(prop) for name, prop in schema.get("properties", {}).items()}
    for name, (title, description) in labels.items():
        props[name].update(title=title, description=description)
    return {**schema, "properties": props}


@dataclass
class Context:
    """What a connector gets from the engine for one call: never a database or a Flask object.

    ``config`` holds the connection's settings merged with its decrypted secrets.
    ``idempotency_key`` is stable across retries of one step (run id + step position).
    ``attempt`` starts at 1; above 1 an action must look for its own earlier result first.
    ``first_attempt_at`` (UTC) is no later than the first attempt with this idempotency key: an
    action searching for its own earlier result need not look at anything older.
    ``previous_attempt_at`` (UTC) is no earlier than the latest moment an earlier attempt with this
    idempotency key may have reached the service (when it ended, or when a crashed one was taken
    over); None when no earlier attempt can have written (a first attempt; only rate limits or
    deferrals before). A search that a cache may lag behind is trusted only once the
    cache has had time to show that attempt's write. ``wait_scale`` is the engine's scale for waits
    (1 against real services; below 1 in tests and the demo, against local doubles): a delay the
    connector measures itself (a cache's lifetime) is multiplied by it, like the waits it asks for.
    ``exclusive(name)`` holds a lock shared by every worker of this Ponte for a read-then-write the
    service cannot make atomic (find a customer by CPF, else create it); outside the engine (unit
    tests, previews) it holds nothing. ``timezone`` is the business's zone (``PONTE_TIMEZONE``):
    what "today" means for a due date. ``locale`` (``pt_BR`` or ``en``) is the language of the person
    asking, for a lookup whose labels are the connector's own words.
    """

    config: Mapping[str, Any]
    logger: logging.Logger = field(default_factory=lambda: logging.getLogger("ponte.connector"))
    idempotency_key: str | None = None
    attempt: int = 1
    connection_name: str = ""
    sleep: Callable[[float], None] | None = None
    first_attempt_at: datetime | None = None
    previous_attempt_at: datetime | None = None
    wait_scale: float = 1.0
    lock: Callable[[str], AbstractContextManager[None]] | None = None
    timezone: str = "America/Sao_Paulo"
    locale: str = "pt_BR"

    def exclusive(self, name: str) -> AbstractContextManager[None]:
        return self.lock(name) if self.lock is not None else nullcontext()

    def get(self, key: str, default: Any = None) -> Any:
        return self.config.get(key, default)


@dataclass(frozen=True)
class InboundRequest:
    """An inbound webhook delivery as the connector sees it (headers lower-cased)."""

    headers: Mapping[str, str]
    query: Mapping[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass(frozen=True)
class InboundEvent:
    """One event parsed from a delivery. ``dedupe_key`` is unique per connection for the same event."""

    dedupe_key: str
    event_type: str
    payload: JSON
    occurred_at: str | None = None


class WebhookSpec(Protocol):
    """How a connector receives webhooks on its connection's URL ``/webhooks/<uid>``."""

    secret_field: str

    def generate_secret(self) -> str:
        """A new secret meeting the service's rules, for connections created without one."""

    def instructions(self, url: str, locale: str) -> str:
        """Short step-by-step text telling the user where to paste the URL and secret."""

    def authenticate(self, request: InboundRequest, config: Mapping[str, Any]) -> None:
        """Raise WebhookAuthError unless the delivery carries the connection's secret. Runs first."""

    def parse(self, body: Any) -> list[InboundEvent]:
        """Turn a decoded JSON body into events; raise ValueError with a reason for a malformed body."""


@dataclass(frozen=True)
class Trigger:
    """What starts a recipe. ``kind`` is "webhook" (matched against inbound events) or "polling".

    ``matches(event_type, payload, options)`` says whether an inbound event fires this trigger.
    ``prepare(ctx, payload, options)`` turns the stored payload into the trigger output that filters
    and mappings read (e.g. the Asaas payment enriched with its customer); it may call the service.
    ``poll(ctx, options, cursor)`` (polling triggers) returns ``(events, new_cursor)``.
    ``check_options(options)`` says what the options schema cannot (a cron expression that does not
    parse) as ``(option name, message)`` pairs; the loader reports them as ``file:line``.
    ``clock`` marks a polling trigger that reads only the clock (no call out): the scheduler asks it
    every few seconds instead of every ``SCHEDULER_POLL_SECONDS``, so a minute-level schedule is on time.
    ``once_per(event_type, payload, options)`` names what a recipe acts on at most once (e.g. a
    document's token): two distinct events with the same name (two signers' deliveries that both
    say "fully signed") make one run. None: one run per event.
    ``choices`` says where an option's choices come from (:mod:`connectors.sdk.choices`);
    ``summary(output, locale)`` is the run list's one line; ``timetable(options)`` (a clock trigger)
    turns options into fire times for the wizard, raising ValueError for options that make none.
    Titles, descriptions and option labels are English msgids of the connector's catalog.
    ``references`` names the business references in the output, ``{name: JSONPath}`` (e.g.
    ``{"payment": "$.payment.id", "email": "$.customer.email"}``): the engine stores them when a run
    starts, so runs can be listed and searched by them (``runs list --ref``, ``/api/runs?ref=``). The
    first is the one a run's line shows first.
    ``output_fields`` describes output fields for people, ``{dotted path: OutputField}`` (e.g.
    ``"payment.status"``): label, how to compare, fixed values. The filter screen offers these.
    ``group`` (an English msgid, "" for the main list) files a trigger under a heading in the
    wizard's picker, so a connector with one trigger per documented event (Asaas has 28 payment
    events) keeps its everyday ones on top and the rest together under one label.
    """

    key: str
    title: str
    description: str
    output_schema: JSON
    sample: JSON
    kind: str = "webhook"
    options_schema: JSON = field(default_factory=lambda: {"type": "object", "properties": {}})
    event_types: tuple[str, ...] = ()
    matches: Callable[[str, JSON, Mapping[str, Any]], bool] | None = None
    prepare: Callable[[Context, JSON, Mapping[str, Any]], JSON] | None = None
    poll: Callable[[Context, Mapping[str, Any], Any], tuple[list[InboundEvent], Any]] | None = None
    check_options: Callable[[Mapping[str, Any]], list[tuple[str, str]]] | None = None
    clock: bool = False
    once_per: Callable[[str, JSON, Mapping[str, Any]], str | None] | None = None
    choices: Mapping[str, Choices] = field(default_factory=dict)
    summary: Summary | None = None
    timetable: Callable[[Mapping[str, Any]], Timetable] | None = None
    references: Mapping[str, str] = field(default_factory=dict)
    output_fields: Mapping[str, OutputField] = field(default_factory=dict)
    group: str = ""

    def fires_on(self, event_type: str, payload: JSON, options: Mapping[str, Any]) -> bool:
        if self.matches is not None:
            return self.matches(event_type, payload, options)
        return event_type in self.event_types

    def output(self, ctx: Context, payload: JSON, options: Mapping[str, Any]) -> JSON:
        return self.prepare(ctx, payload, options) if self.prepare else payload


@dataclass(frozen=True)
class Action:
    """Something Ponte does in a service. ``idempotency`` says how a retry avoids doing it twice.

    ``check_online(ctx, input)`` asks the service, before any run, whether a step can work (the
    template it fills exists and has the variables the step maps). ``input`` is the step's input as
    known at load time: constants as written, fields computed from the event as :data:`RUNTIME`.
    It returns problems as ``(path inside input, message)``, which ``recipes validate --online``
    prints as ``file:line``; it raises a ConnectorError when the service cannot be asked.
    ``choices`` maps an input property to where its choices come from (static labels or a lookup
    with the properties it depends on); ``summary(output, locale)`` gives the run list's one line.
    """

    key: str
    title: str
    description: str
    input_schema: JSON
    output_schema: JSON
    sample: JSON
    run: Callable[[Context, JSON], JSON]
    idempotency: str
    check_online: Callable[[Context, JSON], list[Problem]] | None = None
    choices: Mapping[str, Choices] = field(default_factory=dict)
    summary: Summary | None = None


@dataclass(frozen=True)
class Lookup:
    """A live option list for the wizard (templates, a template's variables, customers).

    ``run(ctx, params)`` returns ``[{"value", "label", ...}]``; a property that uses it says so with
    :func:`connectors.sdk.choices.dynamic`, naming the properties whose values are the params.
    """

    key: str
    title: str
    run: Callable[[Context, Mapping[str, Any]], list[JSON]]
    params_schema: JSON = field(default_factory=lambda: {"type": "object", "properties": {}})


@dataclass(frozen=True)
class Connector:
    """A service Ponte talks to: its auth schema, triggers, actions and lookups.

    ``needs_connection=False`` (the built-in schedule) means there is no account to connect: a recipe
    names no ``trigger.connection`` for its triggers, and its context carries an empty config.
    ``catalog`` holds the pt-BR of every English label (:func:`connectors.sdk.i18n.catalog_beside`);
    ``messages`` lists the other texts it shows a person (error and summary words) so the catalog
    check knows them. ``notify(ctx, notice)`` (the email connector) delivers Ponte's own alerts.
    ``webhook_admin`` (:mod:`connectors.sdk.webhook_admin`) registers, watches and catches up the
    connection's webhooks through the service's API; None: the user configures them by hand.
    """

    key: str
    title: str
    description: str
    auth_schema: JSON
    test_credentials: Callable[[Context], str]
    triggers: tuple[Trigger, ...] = ()
    actions: tuple[Action, ...] = ()
    lookups: tuple[Lookup, ...] = ()
    webhook: WebhookSpec | None = None
    needs_connection: bool = True
    catalog: Catalog | None = None
    messages: tuple[str, ...] = ()
    notify: Callable[[Context, Notice], None] | None = None
    #: Field names of this service's data never stored by Ponte (masked in events, step inputs and outputs).
    sensitive: frozenset[str] = frozenset()
    webhook_admin: Any = None

    def text(self, message: str, locale: object) -> str:
        """One of this connector's texts in ``locale`` (English when it has no catalog)."""
        return self.catalog.gettext(message, locale) if self.catalog is not None else message

    def secret_fields(self) -> list[str]:
        """Names of auth fields marked ``writeOnly``: encrypted at rest, never shown again."""
        props = self.auth_schema.get("properties", {})
        return [name for name, prop in props.items() if prop.get("writeOnly")]

    def trigger(self, key: str) -> Trigger | None:
        return next((t for t in self.triggers if t.key == key), None)

    def action(self, key: str) -> Action | None:
        return next((a for a in self.actions if a.key == key), None)

    def lookup(self, key: str) -> Lookup | None:
        return next((lk for lk in self.lookups if lk.key == key), None)


def describe(connector: Connector) -> JSON:
    """The JSON-able catalogue entry of a connector (what ``connectors describe --json`` prints)."""

    def many(items: Iterable[Any], fields: tuple[str, ...]) -> list[JSON]:
        return [{f: getattr(item, f) for f in fields} for item in items]

    return {
        "key": connector.key,
        "title": connector.title,
        "description": connector.description,
        "auth_schema": connector.auth_schema,
        "webhook": connector.webhook is not None,
        "needs_connection": connector.needs_connection,
        "triggers": many(
            connector.triggers,
            ("key", "title", "description", "kind", "group", "options_schema", "output_schema", "sample"),
        ),
        "actions": many(
            connector.actions,
            ("key", "title", "description", "input_schema", "output_schema", "sample", "idempotency"),
        ),
        "lookups": many(connector.lookups, ("key", "title", "params_schema")),
        "choices": {item.key: {name: {"options": [[o.value, o.label] for o in c.options], "lookup": c.lookup,
                                      "depends_on": list(c.depends_on), "fields": c.fields}
                               for name, c in item.choices.items()}
                    for item in _steps_of(connector) if item.choices},
    }


def _steps_of(connector: Connector) -> tuple[Trigger | Action, ...]:
    return (*connector.triggers, *connector.actions)
