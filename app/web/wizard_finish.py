"""The wizard's last screen: name, description, enabled; then the checks and the save.

Saving refuses what an earlier step should have caught (an empty required field, a filter value
that cannot be read: a jump straight to "finish" skips no check), and an automation that would
be activated next to active ones doing the same work (``app.engine.duplicates``) until each of
them is confirmed on this screen. Then ``save_recipe`` (source "wizard"), ``set_enabled``, and
the draft is forgotten.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from flask import flash
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.db import get_session
from app.engine.duplicates import Duplicate, find_duplicates
from app.models import Recipe
from app.web import drafts
from app.web import wizard_checks as checks
from app.web import wizard_schedule as schedule
from app.web.engine import save_recipe, set_enabled


def apply(draft: dict[str, Any], form: Any) -> None:
    document = draft["document"]
    document["name"] = (form.get("name") or "").strip()
    document["description"] = (form.get("description") or "").strip()
    document["enabled"] = form.get("enabled") == "1"
    draft["confirmed_duplicates"] = [v for v in form.getlist("confirm_duplicate") if v.isdigit()]


def _duplicates(draft: dict[str, Any]) -> list[Duplicate]:
    """Active automations doing what this one would (only matters when it is saved enabled)."""
    document = draft["document"]
    if not document.get("enabled", True):
        return []
    session = get_session()
    own = session.get(Recipe, draft["recipe_id"]) if draft.get("recipe_id") else None
    return find_duplicates(session, document, ignore_keys=[own.key] if own is not None else [])


def context(draft: dict[str, Any]) -> dict[str, Any]:
    import yaml

    document = dict(draft["document"])
    document.pop("key", None)
    return {"yaml_text": yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=100),
            "duplicates": _duplicates(draft), "confirmed": set(draft.get("confirmed_duplicates") or [])}


def slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-z0-9]+", "_", ascii_name.lower()).strip("_")
    if not text or not text[0].isalpha():
        text = "automacao_" + text
    return text[:56].rstrip("_").ljust(3, "x")


def _unique_key(name: str) -> str:
    session = get_session()
    base = slug(name)
    key, n = base, 2
    while session.scalar(select(Recipe.id).where(Recipe.key == key)) is not None:
        key, n = f"{base}_{n}", n + 1
    return key


def finish(draft: dict[str, Any], step_titles: Mapping[str, Any]) -> tuple[Recipe | None, list[str]]:
    document = draft["document"]
    if not document.get("name"):
        return None, [_("Give the automation a name.")]
    session = get_session()
    if checks.missing_required(session, document):
        return None, [_("Some required fields are empty: fill them in on the “%(step)s” step first.",
                        step=step_titles["map"])]
    if checks.filter_problems(document.get("filters")):
        return None, [_("Some filter values cannot be read: fix them on the “%(step)s” step first.",
                        step=step_titles["filters"])]
    duplicates = _duplicates(draft)
    confirmed = set(draft.get("confirmed_duplicates") or [])
    if any(str(d.id) not in confirmed for d in duplicates):
        return None, [_("This automation would do the same work as %(names)s: each event would be handled "
                        "twice. Confirm below to activate it anyway, or save it disabled.",
                        names=", ".join(f"“{d.name}”" for d in duplicates))]
    session = get_session()
    if draft.get("recipe_id"):
        recipe = session.get(Recipe, draft["recipe_id"])
        document["key"] = recipe.key if recipe is not None else _unique_key(document["name"])
    elif not document.get("key"):
        document["key"] = _unique_key(document["name"])
    document = {k: v for k, v in document.items() if v not in (None, "") or k in ("key", "name")}
    if not document.get("filters"):
        document.pop("filters", None)
    result = save_recipe(session, document, source="wizard", owner_id=current_user.id)
    if result.errors or result.recipe is None:
        session.rollback()
        return None, result.errors or [_("The automation could not be saved.")]
    set_enabled(session, result.recipe, bool(document.get("enabled", True)))
    from app.web import wizard_collection, wizard_collection_escalation

    if wizard_collection.applies(draft):  # the rule's escalation steps are recipes of their own
        errors = wizard_collection_escalation.save_companions(session, draft, result.recipe, current_user.id)
        if errors:
            session.rollback()
            return None, errors
    session.commit()
    drafts.delete_draft(draft)
    upcoming = schedule.next_runs(result.recipe.definition)
    if result.recipe.enabled and upcoming:
        flash(_("Automation saved. Its next run is on %(when)s.", when=upcoming[0]["text"]), "success")
    else:
        flash(_("Automation saved. It runs on the next matching event.") if result.recipe.enabled
              else _("Automation saved (disabled)."), "success")
    return result.recipe, []
