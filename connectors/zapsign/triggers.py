"""Webhook triggers on ZapSign documents: signed, refused, created (the others: event_triggers.py).

Every document and signer event shares one output shape (``trigger_output.schema.json``) so a
mapping written for one reads the others: ``$.document.token``, ``$.signer.email``,
``$.answers['CPF']``; ``$.signer`` is the signer the event is about (who signed, was added, viewed,
read, failed the identity check), else the first. ``doc_signed`` fires once per signer;
``document_signed`` fires only when the whole document is signed unless the recipe asks for
``every_signature``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.sdk import Context, OutputField, Trigger, load_json, static
from connectors.sdk.base import JSON

from .status import EVENT_SIGNER_FIELDS, document_status, event_signer, normalise_document

OUTPUT_SCHEMA: JSON = load_json(__file__, "trigger_output.schema.json")
WEBHOOK_EXAMPLES: JSON = load_json(__file__, "webhook_examples.json")

# Fields that are not the document itself; everything else at the top level is.
NOT_DOCUMENT = frozenset({"event_type", "signers", "answers", "rejected_reason", *EVENT_SIGNER_FIELDS})


def _variable(name: Any) -> str:
    """ZapSign returns answer variables without braces; strip them anyway if a payload has them."""
    text = str(name or "").strip()
    if text.startswith("{{") and text.endswith("}}"):
        text = text[2:-2].strip()
    return text


def prepare(ctx: Context | None, payload: JSON, options: Mapping[str, Any]) -> JSON:
    """Turn a stored ZapSign document event into the trigger output (pure: no call to ZapSign).

    The file links in the output expire 60 minutes after ZapSign sent them; a recipe that needs the
    file later should fetch the document again (action ``get_document``).
    """
    doc = normalise_document(payload)
    signers = [s for s in doc.get("signers") or [] if isinstance(s, dict)]
    who = event_signer(doc)
    if who:
        # signer_who_signed omits sign_url and a few fields; complete it from the signers list.
        full = next((s for s in signers if s.get("token") == who.get("token")), {})
        signer: JSON | None = {**full, **who}
    else:
        signer = signers[0] if signers else None
    answers_list = [
        {"variable": _variable(a.get("variable")), "value": a.get("value")}
        for a in doc.get("answers") or []
        if isinstance(a, dict) and a.get("variable")
    ]
    out: JSON = {
        "event": doc.get("event_type") or "",
        "document": {k: v for k, v in doc.items() if k not in NOT_DOCUMENT},
        "signer": signer,
        "signers": signers,
        "answers": {a["variable"]: a["value"] for a in answers_list},
        "answers_list": answers_list,
    }
    if "rejected_reason" in doc:
        out["rejected_reason"] = doc["rejected_reason"]
    return out


def _signed_matches(event_type: str, payload: JSON, options: Mapping[str, Any]) -> bool:
    if event_type != "doc_signed":
        return False
    if (options.get("when") or "all_signed") == "every_signature":
        return True
    return bool(document_status(payload.get("status")) == "signed")


def _signed_once_per(event_type: str, payload: JSON, options: Mapping[str, Any]) -> str | None:
    """Once per document (all_signed), or once per signer of a document (every_signature).

    Two signers signing close together can both deliver ``doc_signed`` with the document already
    ``signed``, and a re-sent delivery may carry a new ``last_update_at``: distinct events, one run.
    """
    token = payload.get("token")
    if not isinstance(token, str) or not token:
        return None
    if (options.get("when") or "all_signed") == "every_signature":
        who = payload.get("signer_who_signed")
        signer = who.get("token") if isinstance(who, dict) else None
        return f"zapsign-doc:{token}:signer:{signer}" if isinstance(signer, str) and signer else None
    return f"zapsign-doc:{token}"


def summary(output: JSON, locale: str) -> str:
    """"Contrato de Prestação de Serviços · Maria Souza · eb9c367a-…": the document, who, its token."""
    document = output.get("document") or {}
    signer = output.get("signer") or {}
    document = document if isinstance(document, dict) else {}
    signer = signer if isinstance(signer, dict) else {}
    return " · ".join(str(x) for x in (document.get("name"), signer.get("name"), document.get("token")) if x)


#: What a run is about, for finding it later: the document, its external id (Ponte sets it to the
#: Asaas payment id when it creates the contract), and the signer.
REFERENCES: dict[str, str] = {
    "document": "$.document.token", "external_id": "$.document.external_id", "signer_name": "$.signer.name",
    "email": "$.signer.email", "cpf": "$.signer.cpf", "cnpj": "$.signer.cnpj",
}


#: The document and signer fields a person filters on (statuses as ``status.normalise_*`` spell them).
OUTPUT_FIELDS: dict[str, OutputField] = {
    "document.status": OutputField("Document status", "enum", static(
        ("pending", "Waiting for signatures"), ("signed", "Signed"), ("refused", "Refused"))),
    "document.name": OutputField("Document name", "string"),
    "document.external_id": OutputField("Document external id", "string"),
    "document.folder_path": OutputField("Document folder", "string"),
    "document.created_at": OutputField("Document created on", "date"),
    "signer.name": OutputField("Signer name", "string"),
    "signer.email": OutputField("Signer e-mail", "string"),
    "signer.cpf": OutputField("Signer CPF", "string"),
    "signer.cnpj": OutputField("Signer CNPJ", "string"),
    "signer.status": OutputField("Signer status", "enum", static(
        ("new", "Has not opened the link"), ("link_opened", "Opened the link"), ("signed", "Signed"),
        ("refused", "Refused"), ("expired", "Expired"), ("cancelled", "Cancelled"))),
    "signer.signed_at": OutputField("Signed on", "date"),
    "rejected_reason": OutputField("Reason for refusal", "string"),
}


def _sample(event_type: str) -> JSON:
    return prepare(None, WEBHOOK_EXAMPLES[event_type], {})


DOCUMENT_SIGNED = Trigger(
    key="document_signed",
    title="Document signed",
    description=(
        "A ZapSign document was signed. By default fires once, when every signer has signed "
        "(document status 'signed'); with when=every_signature it fires for each signature, and "
        "$.signer is the signer who just signed."
    ),
    output_schema=OUTPUT_SCHEMA,
    sample=_sample("doc_signed"),
    options_schema={
        "type": "object",
        "properties": {
            "when": {
                "enum": ["all_signed", "every_signature"],
                "default": "all_signed",
                "title": "When to fire",
                "description": "all_signed: once, when the document is fully signed. "
                "every_signature: once per signer.",
            }
        },
        "additionalProperties": False,
    },
    event_types=("doc_signed",),
    choices={"when": static(("all_signed", "When everyone has signed"), ("every_signature", "At every signature"))},
    summary=summary,
    matches=_signed_matches,
    once_per=_signed_once_per,
    prepare=prepare,
    references=REFERENCES,
    output_fields=OUTPUT_FIELDS,
)

DOCUMENT_REFUSED = Trigger(
    key="document_refused",
    title="Document refused",
    description="A signer refused a ZapSign document; $.rejected_reason says why.",
    output_schema=OUTPUT_SCHEMA,
    sample=_sample("doc_refused"),
    event_types=("doc_refused",),
    summary=summary,
    prepare=prepare,
    references=REFERENCES,
    output_fields=OUTPUT_FIELDS,
)

DOCUMENT_CREATED = Trigger(
    key="document_created",
    title="Document created",
    description="A ZapSign document was created, in the web app or through the API.",
    output_schema=OUTPUT_SCHEMA,
    sample=_sample("doc_created"),
    event_types=("doc_created",),
    summary=summary,
    prepare=prepare,
    references=REFERENCES,
    output_fields=OUTPUT_FIELDS,
)

TRIGGERS = (DOCUMENT_SIGNED, DOCUMENT_REFUSED, DOCUMENT_CREATED)
