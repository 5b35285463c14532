"""The wizard's screens for the collection rule (régua de cobrança): accounts, reminder steps (the
days and the e-mail each one sends), who would get what today, then the shared "finish".

A draft takes these screens when its recipe is the collection rule's trigger and sends an e-mail
(started from the catalogue, or a saved rule opened with "Edit"). The definition is changed only
through ``app.collection.rule``, so the wizard saves what a YAML author would write. The preview
polls Asaas with the chosen connection as a brand-new rule would (read-only, nothing stored).
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

from babel.lists import format_list
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.collection import rule
from app.collection.preview import PreviewRow, escalations, preview_rule
from app.connection_check import reason_text
from app.db import get_session
from app.models import Recipe
from app.web import wizard_collection_escalation as escalation
from app.web import wizard_data as data
from app.web.wizard_collection_texts import apply_texts, texts_context
from connectors import registry
from connectors.sdk import ConnectorError

log = logging.getLogger("ponte.web.wizard")

STEPS = ("accounts", "steps", "texts", "today", "finish")
STEP_TITLES = {"accounts": _l("Accounts"), "steps": _l("Reminder steps"), "texts": _l("Reminder texts"),
               "today": _l("Who gets what today")}
TEMPLATE_LABELS = {"pt_BR": _l("Reminder in Portuguese (pt-BR)"), "en": _l("Reminder in English")}


def applies(draft: dict[str, Any]) -> bool:
    return rule.is_collection_rule(draft["document"])


def template_label(key: str) -> str:
    return str(TEMPLATE_LABELS.get(rule.TEMPLATES.get(key, ""), key))


def day_text(day: int) -> str:
    """``-5`` → "5 days before the due date", in the user's language."""
    if day < 0:
        return ngettext("%(num)d day before the due date", "%(num)d days before the due date", -day)
    if day > 0:
        return ngettext("%(num)d day after the due date", "%(num)d days after the due date", day)
    return _("on the due date")


def parse_day(text: str) -> int | None:
    """``-5``, ``+7``, ``D+7``, ``d-5``, ``D0`` (a typographic minus too) → the offset; else None."""
    cleaned = text.strip().replace("\u2212", "-").upper().removeprefix("D").strip()
    try:
        return int(cleaned)
    except ValueError:
        return None


def check_days(rows: list[dict[str, str]]) -> tuple[dict[int, str], list[str]]:
    """``{day: template}`` for the filled rows (empty ones are ignored) and every problem at once:
    not a whole number, outside the trigger's range, listed twice, none at all, too many."""
    limits = rule.day_limits()
    chosen: dict[int, str] = {}
    problems: list[str] = []
    for row in rows:
        if not row["day"]:
            continue
        day = parse_day(row["day"])
        if day is None or not limits.minimum <= day <= limits.maximum:
            problems.append(_("%(value)s: choose a whole number of days between %(minimum)d and %(maximum)d.",
                              value=row["day"], minimum=limits.minimum, maximum=limits.maximum))
        elif day in chosen:
            problems.append(_("%(code)s is listed twice; keep it once.", code=rule.day_code(day)))
        else:
            chosen[day] = row["template"] if row["template"] in rule.TEMPLATES else rule.DEFAULT_TEMPLATE
    if not chosen and not problems:
        problems.append(_("Keep at least one reminder day."))
    if len(chosen) > limits.max_items:
        problems.append(_("At most %(n)d reminder days.", n=limits.max_items))
    return chosen, problems


# -- accounts ----------------------------------------------------------------------------------

def _current(document: dict[str, Any]) -> tuple[str, str]:
    step = rule.email_step(document) or {}
    return (document.get("trigger") or {}).get("connection") or "", step.get("connection") or ""


def apply_accounts(draft: dict[str, Any], form: Any) -> list[str]:
    document = draft["document"]
    rule.set_connections(document, payments=form.get("payments_connection"), email=form.get("email_connection"))
    if form.get("go") != "next":
        return []
    session = get_session()
    problems = []
    for name, connector, message in zip(_current(document), (rule.ASAAS, rule.EMAIL), (
            _("Choose the Asaas account whose payments get the reminders."),
            _("Choose the e-mail account that sends the reminders.")), strict=True):
        connection = data.connection_named(session, name)
        if connection is None or connection.connector_key != connector:
            problems.append(message)
        elif connection.status == "error" and form.get("use_in_error") != "1":  # never picked silently
            problems.append(_("The account “%(name)s” is in error (%(reason)s): fix it on its connection page, "
                              "or choose another.", name=connection.name,
                              reason=reason_text(connection.status_reason) if connection.status_reason
                              else connection.status_message or _("the service refused it")))
    return problems


def accounts_context(draft: dict[str, Any]) -> dict[str, Any]:
    session = get_session()
    payments, email = _current(draft["document"])
    in_error = any(c.status == "error" for key in (rule.ASAAS, rule.EMAIL) for c in data.connections_for(session, key))
    return {"any_in_error": in_error, "roles": [
        {"name": "payments_connection", "connector": registry.get_connector(rule.ASAAS), "current": payments,
         "label": _("Payments"), "options": data.connections_for(session, rule.ASAAS),
         "help": _("Its open payments get the reminders; each one is read again right before sending.")},
        {"name": "email_connection", "connector": registry.get_connector(rule.EMAIL), "current": email,
         "label": _("Sender"), "options": data.connections_for(session, rule.EMAIL),
         "help": _("The reminders are sent from this account.")},
    ]}


# -- reminder steps ----------------------------------------------------------------------------

def _saved_rows(document: dict[str, Any]) -> tuple[list[dict[str, str]], bool]:
    """The rows the definition holds, and whether its e-mail was edited by hand (templates unknown)."""
    days = rule.days_of(document)
    templates = rule.templates_by_day((rule.email_step(document) or {}).get("input"), days)
    return [{"day": str(day), "template": (templates or {}).get(day, "")} for day in days], templates is None


def apply_steps(draft: dict[str, Any], form: Any) -> list[str]:
    """Rows as typed (✕ removes one, "+ day" adds one); a valid set is written into the definition."""
    document = draft["document"]
    custom = _saved_rows(document)[1]
    edit = form.get("edit", "")
    rows = []
    i = 0
    while f"day_{i}" in form:
        if edit != f"del:{i}":
            rows.append({"day": form[f"day_{i}"].strip(), "template": form.get(f"template_{i}", "")})
        i += 1
    if edit == "add":
        used = Counter(r["template"] for r in rows if r["template"] in rule.TEMPLATES)
        rows.append({"day": "", "template": used.most_common(1)[0][0] if used else rule.DEFAULT_TEMPLATE})
    chosen, problems = check_days(rows)
    problems += escalation.apply(draft, form)
    if not problems:
        rule.set_steps(document, sorted(chosen), None if custom else chosen)
        _describe(draft, sorted(chosen))
    if problems or any(not r["day"] for r in rows):
        draft["pending_steps"] = rows
    else:
        draft.pop("pending_steps", None)
    return problems if form.get("go") == "next" else []


def _describe(draft: dict[str, Any], days: list[int]) -> None:
    """A new rule's description follows its days until the user writes their own."""
    document = draft["document"]
    previous = draft.get("auto_description")
    if draft.get("recipe_id") or (previous is not None and document.get("description") != previous):
        return
    codes = format_list([rule.day_code(day) for day in days], locale=str(get_locale() or "pt_BR"))
    text = _("E-mails each customer with a pending or overdue Asaas payment on %(days)s (days from the due "
             "date), with the amount, the due date and the invoice link. A payment paid before the send is "
             "skipped.", days=codes)
    document["description"] = draft["auto_description"] = text


def steps_context(draft: dict[str, Any]) -> dict[str, Any]:
    saved, custom = _saved_rows(draft["document"])
    pending = draft.get("pending_steps")
    rows = []
    for row in pending if pending is not None else saved:
        day = parse_day(row["day"]) if row["day"] else None
        template = row["template"] if row["template"] in rule.TEMPLATES else rule.DEFAULT_TEMPLATE
        rows.append({**row, "template": template, "code": rule.day_code(day) if day is not None else "",
                     "text": day_text(day) if day is not None else "",
                     "subject": rule.subject(template, day) if day is not None else ""})
    return {"rows": rows, "custom": custom, "limits": rule.day_limits(),
            "templates": [(key, template_label(key)) for key in rule.TEMPLATES], **escalation.context(draft)}


# -- who gets what today -----------------------------------------------------------------------

def today_context(draft: dict[str, Any]) -> dict[str, Any]:
    """The preview table, or a readable reason why Asaas could not be read (never a 500)."""
    session = get_session()
    document = draft["document"]
    payments, _email = _current(document)
    connection = data.connection_named(session, payments)
    found: list[PreviewRow] = []
    escalated: list[PreviewRow] = []
    problem = None
    if connection is None or connection.connector_key != rule.ASAAS:
        problem = _("Choose the Asaas account first (Accounts step).")
    else:
        recipe = session.get(Recipe, draft["recipe_id"]) if draft.get("recipe_id") else None
        try:
            found = preview_rule(session, connection, (document.get("trigger") or {}).get("options") or {},
                                 recipe=recipe)
            own = {f"{recipe.key}{suffix}" for suffix in ("", "_owner", "_fees")} if recipe is not None else set()
            escalated = [row for row in escalations(session, connection) if row.recipe_key not in own]
            escalated += escalation.preview(session, draft, connection)
        except ConnectorError as exc:
            problem = _("Asaas could not be read: %(message)s", message=exc.user_message)
        except Exception:  # noqa: BLE001 - a vault or programming error: logged, the page still works
            log.exception("collection rule preview failed for connection %s", connection.name)
            problem = _("The payments could not be read with the account %(name)s. Test the connection and "
                        "try again.", name=connection.name)
    days = rule.days_of(document)
    state = rule.read_steps((rule.email_step(document) or {}).get("input"), days)
    templates, own_texts = state if state is not None else ({}, {})

    def label(day: int) -> str:
        if day not in templates:
            return _("custom e-mail")
        if day in own_texts:
            return _("%(template)s, with its own text", template=template_label(templates[day]))
        return template_label(templates[day])

    rows = [{"row": row, "code": rule.day_code(row.offset), "text": day_text(row.offset),
             "template": label(row.offset)}
            for row in sorted(found, key=lambda r: (r.offset, r.due_date, r.customer.lower()))]
    return {"rows": rows, "problem": problem, "connection": connection,
            "days": [rule.day_code(day) for day in days],
            "escalations": [{"row": row, "code": rule.day_code(row.offset), "text": day_text(row.offset)}
                            for row in sorted(escalated, key=lambda r: (r.kind, r.offset, r.customer.lower()))]}


def apply_today(draft: dict[str, Any], form: Any) -> list[str]:
    """Nothing to save: "refresh" reads Asaas again."""
    return []


APPLY = {"accounts": apply_accounts, "steps": apply_steps, "texts": apply_texts, "today": apply_today}
CONTEXT = {"accounts": accounts_context, "steps": steps_context, "texts": texts_context, "today": today_context}
