"""The collection rule's escalation steps as the wizard sets them: the owner's daily list
(``notify_owner``) and fine/interest after N days (``apply_fees``), each its own recipe beside the
rule (the engine runs a recipe's steps in line for every event, so a step of another kind is
another recipe). They are keyed after the rule, ``<rule>_owner`` and ``<rule>_fees``, so "Edit"
finds them again, and written as the shipped seeds are (``recipes/asaas_collection_*.yaml``).
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from app.collection.preview import DIGEST_KEY, TRIGGER_KEY

ROOT = Path(__file__).resolve().parents[2]
OWNER_SUFFIX, FEES_SUFFIX = "_owner", "_fees"
DIGEST_MAPPINGS = {"pt_BR": "collection_owner_digest_email", "en": "collection_owner_digest_email_en"}


@dataclass(frozen=True)
class Escalation:
    """What the wizard's "Escalation" card holds (None: that step is off)."""

    owner_to: str | None = None
    owner_min_days: int = 1
    fees_day: int | None = None
    fine: float = 2.0
    interest: float = 1.0
    owner_language: str = "pt_BR"  # a key of DIGEST_MAPPINGS: the digest e-mail's language

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> Escalation:
        return cls(**{k: v for k, v in (data or {}).items() if k in cls.__dataclass_fields__})


@cache
def _seed(name: str, folder: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / folder / f"{name}.yaml").read_text(encoding="utf-8"))
    return loaded


def owner_document(rule: dict[str, Any], settings: Escalation, enabled: bool) -> dict[str, Any]:
    """The daily list to ``settings.owner_to``, on the rule's Asaas and e-mail connections."""
    document = copy.deepcopy(_seed("asaas_collection_owner_digest", "recipes"))
    mapping = DIGEST_MAPPINGS.get(settings.owner_language, DIGEST_MAPPINGS["pt_BR"])
    fields = copy.deepcopy(_seed(mapping, "mappings")["fields"])
    fields["to"] = settings.owner_to
    asaas, email = _connections(rule)
    document.update(key=f"{rule['key']}{OWNER_SUFFIX}", enabled=enabled,
                    name=f"{rule.get('name') or rule['key']}: resumo diário ao financeiro")
    document["trigger"].update(connection=asaas, options={"min_days": settings.owner_min_days, "hour": 8})
    document["steps"][0]["connection"] = asaas
    document["steps"][1].update(connection=email, input=fields)
    document["steps"][1].pop("mapping", None)
    return document


def fees_document(rule: dict[str, Any], settings: Escalation, enabled: bool) -> dict[str, Any]:
    """Fine and interest on the payments still open ``settings.fees_day`` days after the due date."""
    document = copy.deepcopy(_seed("asaas_collection_fees", "recipes"))
    asaas, _email = _connections(rule)
    document.update(key=f"{rule['key']}{FEES_SUFFIX}", enabled=enabled,
                    name=f"{rule.get('name') or rule['key']}: multa e juros",
                    description=f"{settings.fees_day} dias depois do vencimento, aplica multa de {settings.fine:g}% "
                    f"e juros de {settings.interest:g}% ao mês à cobrança ainda em aberto no Asaas. Uma cobrança "
                    "paga antes disso é pulada; nada é aplicado duas vezes.")
    document["trigger"].update(connection=asaas, options={"offsets": [settings.fees_day]})
    step = document["steps"][0]
    step["connection"] = asaas
    step["input"].update(fine=settings.fine, interest=settings.interest)
    return document


def read(owner: dict[str, Any] | None, fees: dict[str, Any] | None) -> Escalation:
    """The card's settings from the companion recipes' definitions (None: not there or off)."""
    values: dict[str, Any] = {}
    if owner is not None and owner.get("enabled", True):
        email: dict[str, Any] = next((s for s in owner.get("steps") or [] if s.get("action") == "email.send_email"), {})
        values["owner_to"] = str((email.get("input") or {}).get("to") or "")
        values["owner_language"] = _language((email.get("input") or {}).get("subject"))
        values["owner_min_days"] = int(((owner.get("trigger") or {}).get("options") or {}).get("min_days", 1))
    if fees is not None and fees.get("enabled", True):
        offsets = ((fees.get("trigger") or {}).get("options") or {}).get("offsets") or [10]
        step_input = ((fees.get("steps") or [{}])[0]).get("input") or {}
        values.update(fees_day=int(offsets[0]), fine=float(step_input.get("fine", 2)),
                      interest=float(step_input.get("interest", 1)))
    return Escalation(**values)


def _language(subject: Any) -> str:
    """Which digest mapping the saved e-mail came from, told by its subject (the mappings differ there)."""
    return next((language for language, key in DIGEST_MAPPINGS.items()
                 if _seed(key, "mappings")["fields"]["subject"] == subject), "pt_BR")


def _connections(rule: dict[str, Any]) -> tuple[str, str]:
    trigger = rule.get("trigger") or {}
    email = next((s.get("connection") for s in rule.get("steps") or [] if s.get("action") == "email.send_email"), "")
    return str(trigger.get("connection") or ""), str(email or "")


__all__ = ["DIGEST_KEY", "DIGEST_MAPPINGS", "TRIGGER_KEY", "Escalation", "fees_document", "owner_document", "read"]
