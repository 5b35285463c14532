"""Connector metadata in the page's language: the one place the pages read titles, help texts, option
labels and run summaries, always through the registry and each connector's own catalog.

No page names a connector: a connector registered tomorrow shows up, translated, wherever these
functions are used.
"""

from __future__ import annotations

import logging
from typing import Any

from flask_babel import get_locale

from connectors import registry
from connectors.sdk import Action, Choices, Connector, Trigger, normalise_locale

log = logging.getLogger("ponte.web")


def locale() -> str:
    """``pt_BR`` or ``en``: the page's language (pt-BR outside a request)."""
    try:
        return normalise_locale(get_locale() or "pt_BR")
    except (RuntimeError, AttributeError):
        return "pt_BR"


def text(connector: Connector, message: str) -> str:
    """One of the connector's texts in the page's language (as written when it has no catalog)."""
    translate = getattr(connector, "text", None)
    return translate(message, locale()) if message and translate is not None else message or ""


def title(connector: Connector, item: Trigger | Action | None = None) -> str:
    """The connector's title, or its trigger's or action's, in the page's language."""
    return text(connector, item.title if item is not None else connector.title)


def qualified_title(connector: Connector, item: Trigger | Action) -> str:
    """"ZapSign: Criar documento a partir de modelo" (a connector with no account: its item alone)."""
    if getattr(connector, "needs_connection", True):
        return f"{title(connector)}: {title(connector, item)}"
    return title(connector, item)


def trigger_of(qualified: str | None) -> tuple[Connector, Trigger] | None:
    try:
        return registry.get_trigger(qualified or "")
    except LookupError:
        return None


def action_of(qualified: str | None) -> tuple[Connector, Action] | None:
    try:
        return registry.get_action(qualified or "")
    except LookupError:
        return None


def timetable_trigger(qualified: str | None) -> Trigger | None:
    """The trigger when it is a clock trigger with a timetable (the wizard's schedule form), else None."""
    found = trigger_of(qualified)
    return found[1] if found is not None and found[1].timetable is not None else None


def timetable_events() -> list[str]:
    """Qualified keys of every clock trigger with a timetable."""
    return [f"{c.key}.{t.key}" for c in registry.CONNECTORS for t in c.triggers if t.timetable is not None]


def summary(qualified: str | None, output: Any, *, action: bool = False) -> str:
    """The trigger's (or action's) one line about ``output``; "" when it has none or it fails."""
    found = action_of(qualified) if action else trigger_of(qualified)
    if found is None or found[1].summary is None or not isinstance(output, dict):
        return ""
    try:
        return found[1].summary(output, locale())
    except Exception:  # noqa: BLE001 - a summary never breaks the run list
        log.warning("summary of %s failed", qualified, exc_info=True)
        return ""


def step_summary(step: Any) -> str:
    """A run step's one line: the trigger's summary of step 0's output, the action's of the others'."""
    if getattr(step, "status", "") != "succeeded":
        return ""
    return summary(step.action_key, step.output, action=step.position != 0)


def property_text(connector: Connector, schema: dict[str, Any], name: str) -> tuple[str, str]:
    """``(label, help)`` of one input property in the page's language."""
    prop = (schema.get("properties") or {}).get(name) or {}
    return text(connector, str(prop.get("title") or "")) or name, text(connector, str(prop.get("description") or ""))


def static_options(connector: Connector, choices: Choices | None) -> list[tuple[str, str]]:
    """``(value, label)`` of a property's fixed choices, labelled in the page's language."""
    return [(o.value, text(connector, o.label)) for o in choices.options] if choices is not None else []


def parents(item: Trigger | Action) -> set[str]:
    """The properties other properties' dynamic choices depend on (a template → its variables)."""
    return {dep for choices in item.choices.values() for dep in choices.depends_on}
