"""Wizard drafts in the database (``wizard_drafts``): one row per draft, its owner, its JSON.

Why the database and not files: the live preview and the step save of one draft used to race on one
temporary file (a raw 500), and a file lives on one host only. Here every save is one UPDATE of the
row in its own short transaction on its own connection, so it is atomic per draft and independent of
the request's session (a page that fails later does not lose what was typed); concurrent saves of
the same draft serialize on the row and the last one wins whole, never a half-written document. Any
web process on any host can continue a draft; only its owner can open it. A draft untouched for
7 days is forgotten when the next one is started.
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update

from app.db import get_db
from app.models import WizardDraft, utcnow

DRAFT_TTL = timedelta(days=7)
_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
#: Keys of the draft dict that are the row's own columns, not part of ``data``.
_ROW_KEYS = ("revision",)


def new_draft(owner_id: int, document: dict[str, Any], *, template: str, recipe_id: int | None = None,
              ) -> dict[str, Any]:
    """Start a draft for ``owner_id`` from ``document``; stored before the id is handed out."""
    forget_old()
    now = utcnow()
    draft: dict[str, Any] = {"id": secrets.token_urlsafe(12), "owner_id": owner_id, "template": template,
                             "recipe_id": recipe_id, "document": document, "created": now.timestamp()}
    with get_db().engine.begin() as connection:
        connection.execute(insert(WizardDraft).values(
            id=draft["id"], owner_id=owner_id, template=template, recipe_id=recipe_id, data=draft, revision=1,
            created_at=now, updated_at=now))
    draft["revision"] = 1
    return draft


def load_draft(draft_id: str, owner_id: int) -> dict[str, Any] | None:
    """The draft, if it exists and belongs to ``owner_id`` (anyone else gets None, as for no draft)."""
    if not _ID.match(draft_id or ""):
        return None
    with get_db().engine.connect() as connection:
        row = connection.execute(select(WizardDraft.data, WizardDraft.revision).where(
            WizardDraft.id == draft_id, WizardDraft.owner_id == owner_id)).first()
    if row is None or not isinstance(row.data, dict):
        return None
    return {**row.data, "id": draft_id, "owner_id": owner_id, "revision": row.revision}


def save_draft(draft: dict[str, Any]) -> bool:
    """Replace the stored draft with ``draft`` in one statement; False when it no longer exists
    (finished or forgotten meanwhile: a late save never brings a finished draft back)."""
    data = {k: v for k, v in draft.items() if k not in _ROW_KEYS}
    with get_db().engine.begin() as connection:
        result = connection.execute(
            update(WizardDraft)
            .where(WizardDraft.id == draft["id"], WizardDraft.owner_id == draft["owner_id"])
            .values(data=data, template=draft.get("template") or "blank", recipe_id=draft.get("recipe_id"),
                    revision=WizardDraft.revision + 1, updated_at=utcnow()))
    return bool(result.rowcount)


def delete_draft(draft: dict[str, Any]) -> None:
    with get_db().engine.begin() as connection:
        connection.execute(delete(WizardDraft).where(WizardDraft.id == draft["id"],
                                                     WizardDraft.owner_id == draft["owner_id"]))


def forget_old() -> int:
    """Delete drafts untouched for :data:`DRAFT_TTL`; how many went."""
    with get_db().engine.begin() as connection:
        result = connection.execute(delete(WizardDraft).where(WizardDraft.updated_at < utcnow() - DRAFT_TTL))
    return int(result.rowcount or 0)
