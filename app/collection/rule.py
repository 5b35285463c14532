"""The collection rule as a recipe definition: its reminder days and the e-mail each day sends.

The wizard edits a rule through these functions, so what it saves is what a YAML author would write
(``recipes/asaas_collection_rule.yaml`` with its mapping inlined). With one template for every day,
the e-mail step's ``input`` is exactly that template's mapping (``collection_reminder_email`` or
``collection_reminder_email_en``). With a template per day, the subject and the HTML are looked up
on ``$.reminder.offset``, the day of the step (the variables are the same in every template)::

    subject: {path: "$.reminder.offset", format: [{map: {"-5": "Lembrete: …", "7": "Overdue payment: …"}}]}
    html_template: {path: "$.reminder.offset", format: [
      {map: {"-5": collection_reminder_email, "7": collection_reminder_email_en}},
      {map: {collection_reminder_email: "<!doctype html>…", collection_reminder_email_en: "…"}}]}

Reading a definition back (:func:`templates_by_day`) rebuilds it and compares: an e-mail edited by
hand is reported as custom (None) and left alone, never silently replaced.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import yaml

from app.collection.emails import LOCALES, mapping_key, mapping_yaml
from app.collection.preview import TRIGGER_KEY
from app.collection.texts import from_html, to_html
from connectors import registry

EMAIL_ACTION = "email.send_email"
ASAAS = "asaas"
EMAIL = "email"
OFFSET_PATH = "$.reminder.offset"

#: The reminder e-mails a step can send, by mapping key; the first is the default.
TEMPLATES: dict[str, str] = {mapping_key("reminder", locale): locale for locale in LOCALES}
DEFAULT_TEMPLATE = next(iter(TEMPLATES))


@dataclass(frozen=True)
class DayLimits:
    """What the trigger's ``offsets`` option accepts (read from its options schema)."""

    minimum: int
    maximum: int
    max_items: int
    default: tuple[int, ...]


def day_limits() -> DayLimits:
    _, trigger = registry.get_trigger(TRIGGER_KEY)
    schema = trigger.options_schema["properties"]["offsets"]
    items = schema.get("items", {})
    return DayLimits(int(items.get("minimum", -365)), int(items.get("maximum", 365)),
                     int(schema.get("maxItems", 12)), tuple(schema.get("default", (0,))))


def phase(day: int) -> str:
    """``before``, ``due`` or ``after``: the trigger's ``reminder.phase`` for a step on ``day``."""
    return "before" if day < 0 else "due" if day == 0 else "after"


def day_code(day: int) -> str:
    """``-5`` → ``D-5``, ``0`` → ``D0``, ``7`` → ``D+7``."""
    return "D0" if day == 0 else f"D{day:+d}"


@cache
def _template_fields(key: str) -> dict[str, Any]:
    return yaml.safe_load(mapping_yaml("reminder", TEMPLATES[key]))["fields"]


def template_fields(key: str) -> dict[str, Any]:
    """The ``fields`` of a reminder template's mapping (a copy: callers may change it)."""
    return copy.deepcopy(_template_fields(key))


def subject(key: str, day: int) -> str:
    """The subject the template sends on ``day`` (its subject table is keyed by phase)."""
    table = _template_fields(key)["subject"]["format"][0]["map"]
    return str(table[phase(day)])


def is_collection_rule(document: Mapping[str, Any]) -> bool:
    """A recipe on the reminder trigger that sends an e-mail: the wizard's collection-rule screens apply."""
    trigger = document.get("trigger") or {}
    return trigger.get("event") == TRIGGER_KEY and email_step(document) is not None


def email_step(document: Mapping[str, Any]) -> dict[str, Any] | None:
    return next((s for s in document.get("steps") or [] if s.get("action") == EMAIL_ACTION), None)


def days_of(document: Mapping[str, Any]) -> list[int]:
    """The rule's days, in order (the trigger's default when the recipe sets none)."""
    options = (document.get("trigger") or {}).get("options") or {}
    return sorted(int(d) for d in options.get("offsets") or day_limits().default)


CUSTOM = "custom:"


def email_input(templates: Mapping[int, str], texts: Mapping[int, tuple[str, str]] | None = None) -> dict[str, Any]:
    """The e-mail step's ``input`` sending ``templates[day]`` on each day, or, for the days in
    ``texts``, that day's own ``(subject, body)`` (made with :mod:`app.collection.texts`, in the
    language of the day's template); its HTML sits in the second table under ``custom:<day>``."""
    texts = {day: text for day, text in (texts or {}).items() if day in templates}
    used = set(templates.values())
    if len(used) == 1 and not texts:
        return template_fields(used.pop())
    main = Counter(templates.values()).most_common(1)[0][0]
    fields = template_fields(main)
    days = sorted(templates)
    for key in TEMPLATES:
        if key in used:
            fields["variables"] = {**_template_fields(key)["variables"], **fields["variables"]}
    fields["subject"] = {"path": OFFSET_PATH, "format": [
        {"map": {str(day): texts[day][0] if day in texts else subject(templates[day], day) for day in days}}]}
    shipped = {templates[day] for day in days if day not in texts}
    bodies = {key: _template_fields(key)["html_template"]["const"] for key in TEMPLATES if key in shipped}
    bodies.update({f"{CUSTOM}{day}": to_html(texts[day][1], TEMPLATES[templates[day]]) for day in sorted(texts)})
    fields["html_template"] = {"path": OFFSET_PATH, "format": [
        {"map": {str(day): f"{CUSTOM}{day}" if day in texts else templates[day] for day in days}},
        {"map": bodies}]}
    return fields


def read_steps(fields: Any, days: list[int]) -> tuple[dict[int, str], dict[int, tuple[str, str]]] | None:
    """``(template per day, own texts per day)`` read from an e-mail step's ``input``; None when it
    was edited by hand (anything :func:`email_input` would not write)."""
    if not isinstance(fields, Mapping) or not days:
        return None
    for key in TEMPLATES:
        if fields == _template_fields(key):
            return {day: key for day in days}, {}
    try:
        table = fields["html_template"]["format"][0]["map"]
        bodies = fields["html_template"]["format"][1]["map"]
        subjects = fields["subject"]["format"][0]["map"]
        chosen: dict[int, str] = {}
        texts: dict[int, tuple[str, str]] = {}
        for day in days:
            key = table[str(day)]
            if isinstance(key, str) and key.startswith(CUSTOM):
                parsed = from_html(bodies[key])
                if parsed is None:
                    return None
                texts[day] = (str(subjects[str(day)]), parsed[0])
                key = mapping_key("reminder", parsed[1])
            chosen[day] = key
    except (KeyError, IndexError, TypeError):
        return None
    if not set(chosen.values()) <= set(TEMPLATES) or email_input(chosen, texts) != fields:
        return None
    return chosen, texts


def templates_by_day(fields: Any, days: list[int]) -> dict[int, str] | None:
    """Which template each day sends, read from an e-mail step's ``input``; None when edited by hand."""
    found = read_steps(fields, days)
    return found[0] if found is not None else None


def set_connections(document: dict[str, Any], *, payments: str | None = None, email: str | None = None) -> None:
    """The Asaas connection (``payments``) polls and checks the payment; the e-mail connection sends."""
    if payments is not None:
        document.setdefault("trigger", {})["connection"] = payments
    for step in document.get("steps") or []:
        connector = str(step.get("action", "")).partition(".")[0]
        if connector == ASAAS and payments is not None:
            step["connection"] = payments
        elif connector == EMAIL and email is not None:
            step["connection"] = email


def set_steps(document: dict[str, Any], days: list[int], templates: Mapping[int, str] | None,
              texts: Mapping[int, tuple[str, str]] | None = None) -> None:
    """Write the rule's days into the trigger and, unless the e-mail is custom (None), its templates
    and the days' own texts (``texts``; None keeps those already written for days still there)."""
    trigger = document.setdefault("trigger", {})
    step = email_step(document)
    if texts is None and step is not None:
        previous = read_steps(step.get("input"), days_of(document))
        texts = previous[1] if previous is not None else {}
    trigger["options"] = {**(trigger.get("options") or {}), "offsets": sorted(days)}
    if step is not None and templates is not None:
        step["input"] = email_input(templates, texts)
