"""The automation wizard, one screen per step like Pluga: trigger (blank only), accounts, filters,
choices (what other fields depend on, e.g. a document template), field mapping with a live preview,
finish. Every screen is built from the connectors' metadata (``wizard_data``, ``metadata``). A
collection rule (régua de cobrança) takes its own screens instead: accounts, reminder steps, who gets what today, finish
(``wizard_collection``). The trigger may be the schedule: its form and next fire times are
``wizard_schedule``; it has no account, so "accounts" asks only for the steps' connections.

Every POST writes the screen's values into the server-side draft first, so nothing typed is lost on
"back", on "+ condition" or on a reload; "next" then moves on, unless the screen found problems
(its apply function returns them), which are shown on the same screen. Finishing calls ``save_recipe``
(source "wizard"): the recipe is stored, enabled, and runs on the next matching webhook.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from app.connection_check import reason_text
from app.db import get_session
from app.web import bp, drafts, metadata
from app.web import wizard_checks as checks
from app.web import wizard_collection as collection
from app.web import wizard_data as data
from app.web import wizard_filters as filters
from app.web import wizard_finish as finish
from app.web import wizard_schedule as schedule
from app.web.engine import preview

STEPS = ("trigger", "connect", "filters", "choices", "map", "finish")
STEP_TITLES = {"trigger": _l("Trigger and action"), "connect": _l("Accounts"), "filters": _l("Filters"),
               "choices": _l("Choices"), "map": _l("Fields"), "finish": _l("Finish"),
               **collection.STEP_TITLES}


def steps_for(draft: dict[str, Any]) -> list[str]:
    if collection.applies(draft):
        return list(collection.STEPS)
    document = draft["document"]
    has_choices = any(data.has_choices(s) for s in document.get("steps") or [])
    return [s for s in STEPS if (s != "trigger" or draft["template"] == "blank" or schedule.is_schedule(document))
            and (s != "choices" or has_choices)]


def first_step(draft: dict[str, Any]) -> str:
    return steps_for(draft)[0]


def _draft_or_404(draft_id: str) -> dict[str, Any]:
    draft = drafts.load_draft(draft_id, current_user.id)
    if draft is None:
        abort(404)
    return draft


@bp.route("/automations/wizard/<draft_id>/<step>", methods=["GET", "POST"])
@login_required
def wizard_step(draft_id: str, step: str) -> ResponseReturnValue:
    draft = _draft_or_404(draft_id)
    steps = steps_for(draft)
    if step not in steps:
        return redirect(url_for("web.wizard_step", draft_id=draft_id, step=steps[0]))
    errors: list[str] = []
    if request.method == "GET":
        draft.pop("field_errors", None)  # shown only right after the POST that found them
    if request.method == "POST":
        errors = APPLY[step](draft, request.form) or []
        drafts.save_draft(draft)
        steps = steps_for(draft)
        go = request.form.get("go", "")
        if step == "finish" and go == "save" and not errors:
            saved, errors = finish.finish(draft, STEP_TITLES)
            if saved is not None:
                return redirect(url_for("web.recipe_detail", recipe_id=saved.id))
        elif go in ("next", "back") and step in steps and not errors:
            index = steps.index(step) + (1 if go == "next" else -1)
            if 0 <= index < len(steps):
                return redirect(url_for("web.wizard_step", draft_id=draft_id, step=steps[index]))
        if not errors:
            return redirect(url_for("web.wizard_step", draft_id=draft_id, step=step))
    context = CONTEXT[step](draft)
    return render_template(f"wizard/{step}.html", draft=draft, doc=draft["document"], step=step, steps=steps,
                           step_titles={**STEP_TITLES, **data.choices_title(draft["document"])}, errors=errors,
                           **context)


@bp.post("/automations/wizard/<draft_id>/preview")
@login_required
def wizard_preview(draft_id: str) -> ResponseReturnValue:
    """htmx: save the mapping screen as typed and show what each step would receive."""
    draft = _draft_or_404(draft_id)
    _apply_map(draft, request.form)
    drafts.save_draft(draft)
    session = get_session()
    payload, run = data.source_document(session, draft["document"])
    document = {**draft["document"], "key": draft["document"].get("key") or "wizard_preview",
                "name": draft["document"].get("name") or "preview"}
    result = preview(session, document, payload)
    _flag_missing_variables(session, document, result)
    return render_template("wizard/_preview.html", result=result, run=run)


@bp.post("/automations/wizard/<draft_id>/schedule")
@login_required
def wizard_schedule_preview(draft_id: str) -> ResponseReturnValue:
    """htmx: save the trigger screen as typed and show the schedule's next fire times (or why none)."""
    draft = _draft_or_404(draft_id)
    _apply_trigger(draft, request.form)
    drafts.save_draft(draft)
    return render_template("wizard/_schedule_preview.html", **schedule.context(draft))


def _flag_missing_variables(session: Any, document: dict[str, Any], result: dict[str, Any]) -> None:
    """A required lookup field (a template variable) left empty is legal for the engine but leaves a
    hole in the document."""
    for step, shown in zip(document.get("steps") or [], result.get("steps") or [], strict=False):
        if not isinstance(shown.get("input"), dict):
            continue
        targets, _problem = data.step_targets(session, step)
        for target in targets:
            parent, dot, name = target.name.partition(".")
            filled = shown["input"].get(parent) if dot else None
            if target.required and dot and (not isinstance(filled, dict) or filled.get(name) in (None, "")):
                shown.setdefault("problems", []).append(
                    _("%(field)s: required by the template, but empty for this event", field=target.name))


# -- trigger (blank automations) ---------------------------------------------------------------

def _apply_trigger(draft: dict[str, Any], form: Any) -> list[str]:
    document = draft["document"]
    event, action = form.get("event", ""), form.get("action", "")
    if event and event != document["trigger"].get("event"):
        document["trigger"] = {"connection": "", "event": event} if data.needs_connection(event) else {"event": event}
        draft.pop("schedule_form", None)
    current = (document.get("steps") or [{}])[0].get("action")
    if action and action != current:
        document["steps"] = [{"key": action.partition(".")[2] or "step", "action": action, "connection": "",
                              "input": {}}]
    return schedule.apply(draft, form) if schedule.is_schedule(document) else []


def _trigger_context(draft: dict[str, Any]) -> dict[str, Any]:
    return {"trigger_groups": data.trigger_groups(), "actions": data.action_choices(), **schedule.context(draft)}


# -- connect -----------------------------------------------------------------------------------

def _apply_connect(draft: dict[str, Any], form: Any) -> list[str]:
    document = draft["document"]
    if "trigger_connection" in form and data.needs_connection(document["trigger"].get("event", "")):
        document["trigger"]["connection"] = form["trigger_connection"]
    for i, step in enumerate(document.get("steps") or []):
        if f"step_connection_{i}" in form:
            step["connection"] = form[f"step_connection_{i}"]
    if form.get("go") != "next":
        return []
    # An account the service refused cannot run anything: say so here, not at the first run.
    session = get_session()
    names = [document["trigger"].get("connection"), *(s.get("connection") for s in document.get("steps") or [])]
    refused = [c for c in dict.fromkeys(data.connection_named(session, n) for n in names if n) if c is not None
               and c.status == "error"]
    if refused and form.get("use_in_error") == "1":  # the person saw the warning and confirmed it
        return []
    return [_("The account “%(name)s” is in error (%(reason)s): fix it on its connection page, or choose another.",
              name=c.name, reason=reason_text(c.status_reason) if c.status_reason else c.status_message
              or _("the service refused it")) for c in refused]


def _connect_context(draft: dict[str, Any]) -> dict[str, Any]:
    session = get_session()
    document = draft["document"]
    roles = []
    event = document["trigger"].get("event", "")
    trigger_connector = data.connector_of(event)
    trigger_note = ""
    if trigger_connector is not None and not data.needs_connection(event):
        trigger_note = _("The trigger (%(trigger)s) needs no account.",
                         trigger=schedule.summary(document) or data.title_of(trigger_connector))
    elif trigger_connector is not None:
        roles.append({"name": "trigger_connection", "connector": trigger_connector, "label": _("Trigger"),
                      "current": document["trigger"].get("connection", ""),
                      "options": data.connections_for(session, trigger_connector.key)})
    for i, step in enumerate(document.get("steps") or []):
        connector = data.connector_of(step.get("action", ""))
        if connector is not None:
            action = connector.action(step.get("action", "").partition(".")[2])
            roles.append({"name": f"step_connection_{i}", "connector": connector,
                          "label": _("Step %(n)d: %(key)s", n=i + 1,
                                     key=data.title_of(connector, action) if action else step["key"]),
                          "current": step.get("connection", ""),
                          "options": data.connections_for(session, connector.key)})
    in_error = any(c.status == "error" for role in roles for c in role["options"])
    return {"roles": roles, "trigger_note": trigger_note, "any_in_error": in_error}


# -- choices -----------------------------------------------------------------------------------

def _apply_choices(draft: dict[str, Any], form: Any) -> None:
    """Each ``c|<step>|<property>`` chosen, for the properties the step's choices screen offers."""
    for i, step in enumerate(draft["document"].get("steps") or []):
        for name in data.choice_names(step):
            chosen = (form.get(f"c|{i}|{name}") or "").strip()
            if chosen:
                step.setdefault("input", {})[name] = chosen


def _choices_context(draft: dict[str, Any]) -> dict[str, Any]:
    session = get_session()
    blocks = []
    for i, step in enumerate(draft["document"].get("steps") or []):
        found = metadata.action_of(step.get("action", ""))
        choices = data.step_choices(session, step)
        if found is not None and choices:
            blocks.append({"index": i, "step": step, "choices": choices, "service": metadata.title(found[0])})
    return {"blocks": blocks}


# -- map ---------------------------------------------------------------------------------------

def _apply_map(draft: dict[str, Any], form: Any) -> list[str]:
    steps = draft["document"].get("steps") or []
    for i, step in enumerate(steps):
        names = [key.split("|", 2)[2] for key in form if key.startswith(f"v|{i}|")]
        if not names:
            continue
        current = dict(step.get("input") or {})
        # An object whose keys came from a lookup (a template's variables) is rebuilt from the form.
        for parent in {n.partition(".")[0] for n in names if "." in n}:
            current[parent] = {}
        for name in names:
            expr = drafts.form_to_expr(form.get(f"v|{i}|{name}", ""), form.get(f"f|{i}|{name}", ""),
                                       form.get(f"x|{i}|{name}", ""), _schema_of(step, name))
            parent, dot, key = name.partition(".")
            if dot:
                if expr is not None:
                    current[parent][key] = expr
            elif expr is None:
                current.pop(name, None)
            else:
                current[name] = expr
        step["input"] = current
    if form.get("go") != "next":
        draft.pop("field_errors", None)
        return []
    problems = checks.missing_required(get_session(), draft["document"])
    draft["field_errors"] = problems
    return checks.summary(problems)


def _schema_of(step: dict[str, Any], name: str) -> dict[str, Any]:
    from connectors import registry

    try:
        _, action = registry.get_action(step.get("action", ""))
    except LookupError:
        return {}
    return action.input_schema.get("properties", {}).get(name, {})


def _map_context(draft: dict[str, Any]) -> dict[str, Any]:
    session = get_session()
    blocks = []
    for i, step in enumerate(draft["document"].get("steps") or []):
        targets, problem = data.step_targets(session, step)
        current = step.get("input") or {}
        rows = [{"target": t, "form": drafts.expr_to_form(data.get_target(current, t.name))
                 or {"text": "", "format": "", "extras": ""}} for t in targets]
        found = metadata.action_of(step.get("action", ""))
        blocks.append({"index": i, "step": step, "rows": rows, "problem": problem,
                       "service": metadata.title(found[0]) if found else "",
                       "fields": data.source_fields(session, draft["document"], i)})
    return {"blocks": blocks, "format_choices": drafts.FORMAT_CHOICES, "field_errors": draft.get("field_errors") or {}}


APPLY: dict[str, Callable[[dict[str, Any], Any], list[str] | None]] = {
    "trigger": _apply_trigger, "connect": _apply_connect, "filters": filters.apply,
    "choices": _apply_choices, "map": _apply_map, "finish": finish.apply, **collection.APPLY}
CONTEXT: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "trigger": _trigger_context, "connect": _connect_context, "filters": filters.context,
    "choices": _choices_context, "map": _map_context, "finish": finish.context, **collection.CONTEXT}
