"""One vocabulary for ZapSign's document and signer statuses.

ZapSign spells the same status differently per endpoint: the detail page documents ``pending`` /
``signed`` and signer ``new`` / ``link-opened`` / ``signed``; the ``doc_refused`` webhook example sends
``recusado`` and ``abriu-link``; the list endpoint with ``include_signers`` uses ``nao_abriu``,
``abriu``, ``assinou``, ``recusou``, ``expirou`` and ``cancelado``. Filters and mappings must not care,
so every payload that leaves this connector carries the normalised ``status`` and, beside it,
``status_raw`` with what ZapSign actually sent. Unknown spellings pass through unchanged.
"""

from __future__ import annotations

from typing import Any

DOCUMENT_STATUSES: dict[str, str] = {
    "pending": "pending",
    "em_curso": "pending",
    "signed": "signed",
    "assinado": "signed",
    "refused": "refused",
    "recusado": "refused",
}

SIGNER_STATUSES: dict[str, str] = {
    "new": "new",
    "nao_abriu": "new",
    "link-opened": "link_opened",
    "link_opened": "link_opened",
    "abriu-link": "link_opened",
    "abriu": "link_opened",
    "signed": "signed",
    "assinou": "signed",
    "refused": "refused",
    "recusou": "refused",
    "expired": "expired",
    "expirou": "expired",
    "cancelled": "cancelled",
    "canceled": "cancelled",
    "cancelado": "cancelled",
}


#: Where a signer event names the signer it is about, per the docs' examples: doc_signed
#: ``signer_who_signed``, created_signer and signature_notification_sent ``created_signer``,
#: doc_viewed ``signer_who_viewed``, doc_read_confirmation ``signer_who_read``,
#: signer_authentication_failed ``unauthenticated_signer``.
EVENT_SIGNER_FIELDS = ("signer_who_signed", "created_signer", "signer_who_viewed", "signer_who_read",
                       "unauthenticated_signer")


def event_signer(payload: dict[str, Any]) -> dict[str, Any]:
    """The signer the event is about ({} for a document-level event)."""
    for name in EVENT_SIGNER_FIELDS:
        if isinstance(payload.get(name), dict):
            return dict(payload[name])
    return {}


def document_status(raw: Any) -> Any:
    """The normalised document status (``pending``, ``signed``, ``refused``) or ``raw`` if unknown."""
    return DOCUMENT_STATUSES.get(raw.strip().lower(), raw) if isinstance(raw, str) else raw


def signer_status(raw: Any) -> Any:
    """The normalised signer status (``new``, ``link_opened``, ``signed``, ``refused``, ...)."""
    return SIGNER_STATUSES.get(raw.strip().lower(), raw) if isinstance(raw, str) else raw


def normalise_signer(signer: Any) -> Any:
    """A copy of ``signer`` with ``status`` normalised and the original kept in ``status_raw``."""
    if not isinstance(signer, dict):
        return signer
    out = dict(signer)
    if "status" in out:
        out.setdefault("status_raw", out["status"])
        out["status"] = signer_status(out["status"])
    return out


def normalise_document(document: dict[str, Any]) -> dict[str, Any]:
    """A copy of a document (detail, list item or webhook body) with every status normalised.

    Idempotent: ``status_raw`` already present (a payload normalised when it was received) is kept.
    """
    out = dict(document)
    if "status" in out:
        out.setdefault("status_raw", out["status"])
        out["status"] = document_status(out["status"])
    if isinstance(out.get("signers"), list):
        out["signers"] = [normalise_signer(s) for s in out["signers"]]
    for name in EVENT_SIGNER_FIELDS:
        if isinstance(out.get(name), dict):
            out[name] = normalise_signer(out[name])
    return out
