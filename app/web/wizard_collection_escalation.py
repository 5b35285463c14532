"""The "Escalation" card of the collection-rule wizard's steps screen: the owner's daily list and
fine/interest after N days, saved as companion recipes of the rule when the rule is saved
(``app.collection.escalation`` writes them), listed in "who gets what today" before that.
"""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.collection import escalation
from app.collection.escalation import DIGEST_MAPPINGS, FEES_SUFFIX, OWNER_SUFFIX, Escalation
from app.collection.preview import PreviewRow, preview_digest, preview_rule
from app.db import get_session
from app.models import Connection, Recipe
from app.web.engine import save_recipe, set_enabled

_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")


def _companion(session: Session, draft: dict[str, Any], suffix: str) -> Recipe | None:
    if not draft.get("recipe_id"):
        return None
    rule = session.get(Recipe, draft["recipe_id"])
    return session.scalar(select(Recipe).where(Recipe.key == f"{rule.key}{suffix}")) if rule is not None else None


def current(draft: dict[str, Any]) -> Escalation:
    """The card's settings: as edited in this draft, else those of the saved rule's companions."""
    if "escalation" not in draft:
        session = get_session()
        owner, fees = (_companion(session, draft, suffix) for suffix in (OWNER_SUFFIX, FEES_SUFFIX))
        draft["escalation"] = escalation.read(
            {**owner.definition, "enabled": owner.enabled} if owner is not None else None,
            {**fees.definition, "enabled": fees.enabled} if fees is not None else None).to_dict()
    return Escalation.from_dict(draft["escalation"])


def _number(text: str) -> Decimal | None:
    try:
        return Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        return None


def apply(draft: dict[str, Any], form: Any) -> list[str]:
    """Read the card; every problem at once; what was typed is kept in ``pending_escalation``."""
    if "owner_to" not in form and "fees_day" not in form:
        return []
    raw = {k: str(form.get(k, "")).strip() for k in
           ("owner_on", "owner_to", "owner_min_days", "owner_language", "fees_on", "fees_day", "fees_fine",
            "fees_interest")}
    problems: list[str] = []
    settings = current(draft)
    owner_to, min_days, fees_day = None, settings.owner_min_days, None
    language = raw["owner_language"] or settings.owner_language
    if language not in DIGEST_MAPPINGS and not raw["owner_on"]:
        language = settings.owner_language  # the list is off: an odd value changes nothing
    fine, interest = settings.fine, settings.interest
    if raw["owner_on"]:
        owner_to = raw["owner_to"]
        if not _EMAIL.match(owner_to):
            problems.append(_("Give the e-mail address that gets the daily list of overdue payments."))
        if not raw["owner_min_days"].isdigit() or not 1 <= int(raw["owner_min_days"]) <= 365:
            problems.append(_("The daily list counts payments late by a whole number of days, from 1 to 365."))
        else:
            min_days = int(raw["owner_min_days"])
        if language not in DIGEST_MAPPINGS:
            problems.append(_("Choose the language of the daily list: Portuguese (pt-BR) or English."))
    if raw["fees_on"]:
        if not raw["fees_day"].isdigit() or not 1 <= int(raw["fees_day"]) <= 90:
            problems.append(_("Fine and interest start a whole number of days after the due date, from 1 to 90."))
        else:
            fees_day = int(raw["fees_day"])
        values = [_number(raw["fees_fine"]), _number(raw["fees_interest"])]
        if any(v is None or not 0 <= v <= 100 for v in values):
            problems.append(_("Fine and interest are percentages from 0 to 100."))
        else:
            fine, interest = float(values[0] or 0), float(values[1] or 0)
    if problems:
        draft["pending_escalation"] = raw
        return problems
    draft.pop("pending_escalation", None)
    draft["escalation"] = Escalation(owner_to, min_days, fees_day, fine, interest, language).to_dict()
    return []


def context(draft: dict[str, Any]) -> dict[str, Any]:
    settings = current(draft)
    typed = draft.get("pending_escalation")
    if typed is None:
        typed = {"owner_on": "1" if settings.owner_to else "", "owner_to": settings.owner_to or "",
                 "owner_min_days": str(settings.owner_min_days), "owner_language": settings.owner_language,
                 "fees_on": "1" if settings.fees_day else "",
                 "fees_day": str(settings.fees_day or 10), "fees_fine": f"{settings.fine:g}",
                 "fees_interest": f"{settings.interest:g}"}
    languages = [("pt_BR", _("Portuguese (pt-BR)")), ("en", _("English"))]
    return {"escalation": typed, "digest_languages": languages}


def preview(session: Session, draft: dict[str, Any], connection: Connection) -> list[PreviewRow]:
    """Today's rows of this rule's escalation steps as set in the card (saved or not)."""
    settings = current(draft)
    rows: list[PreviewRow] = []
    if settings.owner_to:
        rows += preview_digest(session, connection, _companion(session, draft, OWNER_SUFFIX),
                               options={"min_days": settings.owner_min_days}, to=settings.owner_to)
    if settings.fees_day:
        fees = _companion(session, draft, FEES_SUFFIX)
        rows += [replace(row, kind="apply_fees")
                 for row in preview_rule(session, connection, {"offsets": [settings.fees_day]}, recipe=fees)]
    return rows


def save_companions(session: Session, draft: dict[str, Any], rule: Recipe, owner_id: int) -> list[str]:
    """Save (or switch off) the rule's companion recipes; their errors, if any."""
    settings = current(draft)
    errors: list[str] = []
    for suffix, wanted, build in ((OWNER_SUFFIX, settings.owner_to, escalation.owner_document),
                                  (FEES_SUFFIX, settings.fees_day, escalation.fees_document)):
        existing = session.scalar(select(Recipe).where(Recipe.key == f"{rule.key}{suffix}"))
        if not wanted:
            if existing is not None and existing.enabled:
                set_enabled(session, existing, False)
            continue
        result = save_recipe(session, build(rule.definition, settings, rule.enabled), source="wizard",
                             owner_id=owner_id)
        errors += result.errors
        if result.recipe is not None:
            set_enabled(session, result.recipe, rule.enabled)
    return errors
