"""ZapSign actions: create a document from a DOCX template, fetch a document.

Idempotency of ``create_document_from_template``: ZapSign has no idempotency key and no lookup by
``external_id`` (its documented list filters are status, folder, deleted, signer e-mail and creation
dates), so the document carries ``external_id`` (the step's idempotency key unless the recipe sets
one) and every attempt after the first looks for it before creating (:func:`find_by_external_id`).

ZapSign caches its document list for up to 60 s ("This endpoint is cached by default with a TTL of
60 seconds"), so a miss is trusted only when the last attempt that may have created the document
(``ctx.previous_attempt_at``: it failed ambiguously or its worker died) is older than that; before,
the action defers (:class:`DeferredError`: a scheduled re-check that is not a failed attempt), on
every attempt number. A search that cannot finish within its per-call budget defers too: the run
waits and tries again rather than failing for good or creating a possible second contract.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from connectors.sdk import Action, Context, DeferredError, HttpClient, PermanentError, dynamic, load_json, static
from connectors.sdk.base import JSON

from .client import client_for, sign_url
from .online import check_template
from .status import normalise_document
from .triggers import WEBHOOK_EXAMPLES

SCHEMAS: JSON = load_json(__file__, "action_schemas.json")
LIST_CACHE_SECONDS = 60
LIST_CACHE_MARGIN_SECONDS = 5
MAX_LIST_PAGES = 50  # per call: pages of documents of the signer (or of the account) since the first attempt
MAX_DETAIL_FETCHES = 50  # per call: list items without external_id we open to compare
INCONCLUSIVE_RETRY_SECONDS = 300  # a search cut short by its budget is tried again after this


def _text(value: Any) -> str | None:
    """A string worth sending, or None: ZapSign wants absent fields omitted, never ``null``."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _placeholder(name: str) -> str:
    """``CPF`` and ``{{CPF}}`` both become ``{{CPF}}``, the form ``data[].de`` needs."""
    inner = name.strip()
    if inner.startswith("{{") and inner.endswith("}}"):
        inner = inner[2:-2].strip()
    return "{{" + inner + "}}"


def split_phone(phone: Any, country: Any = None) -> tuple[str, str] | None:
    """``(country, number)`` from a phone typed any way.

    A leading country code is removed when the phone was written with ``+`` or is longer than a
    Brazilian number with area code (11 digits).
    """
    raw = str(phone or "").strip()
    digits = re.sub(r"\D", "", raw)
    code = re.sub(r"\D", "", str(country or "")) or "55"
    if not digits:
        return None
    if digits.startswith(code) and (raw.startswith("+") or len(digits) > 11):
        digits = digits[len(code):]
    return code, digits


def build_body(data: JSON, external_id: str | None) -> JSON:
    """The ``POST /models/create-doc/`` body: empty and null strings are left out."""
    body: JSON = {"template_id": data["template_id"], "signer_name": data["signer_name"]}
    for field in ("signer_email", "folder_path", "custom_message"):
        if (value := _text(data.get(field))) is not None:
            body[field] = value
    phone = split_phone(data.get("signer_phone"), data.get("signer_phone_country"))
    if phone:
        body["signer_phone_country"], body["signer_phone_number"] = phone
    body["lang"] = data.get("lang") or "pt-br"
    if external_id:
        body["external_id"] = external_id
    if isinstance(data.get("send_automatic_email"), bool):
        body["send_automatic_email"] = data["send_automatic_email"]
    variables = data.get("variables") or {}
    body["data"] = [
        # A missing value becomes "" (never null) so the placeholder does not show in the contract.
        {"de": _placeholder(str(name)), "para": "" if value is None else str(value)}
        for name, value in variables.items()
    ]
    return body


def document_output(ctx: Context, doc: JSON, external_id: str | None, *, reused: bool) -> JSON:
    """The action output from a create-doc response or a document detail."""
    doc = normalise_document(doc)
    signers = [
        {
            "token": s["token"],
            "name": s.get("name") or "",
            "email": s.get("email"),
            "sign_url": s.get("sign_url") or s.get("signing_url") or sign_url(ctx.config, s["token"]),
            "status": s.get("status") or "new",
        }
        for s in doc.get("signers") or []
        if isinstance(s, dict) and s.get("token")
    ]
    return {
        "token": doc["token"],
        "open_id": doc.get("open_id"),
        "name": doc.get("name") or "",
        "status": doc.get("status") or "pending",
        "external_id": doc.get("external_id") or external_id,
        "sign_url": signers[0]["sign_url"] if signers else "",
        "signers": signers,
        "reused": reused,
    }


def find_by_external_id(
    ctx: Context, client: HttpClient, external_id: str, *, signer_email: str | None = None
) -> JSON | None:
    """The document detail of a recent document whose ``external_id`` matches, or None.

    Scans at most ``MAX_LIST_PAGES`` pages of documents created since the day before the step's
    first attempt (``ctx.first_attempt_at``; a day of margin for ZapSign's local-time dates; today
    when unknown), newest first, narrowed to the signer's email when known. A run retried for days,
    or replayed a week later, still finds its document. List items that omit ``external_id`` are
    opened (at most ``MAX_DETAIL_FETCHES``) to compare.

    None means "certainly not there" (as far as the list shows; see the module docstring for its
    cache). When the budget stops the search before the window's end, the answer is a DeferredError:
    creating then could make a second contract, and failing would leave a person to decide something
    a later, quieter search can settle.
    """
    first = ctx.first_attempt_at or datetime.now(UTC)
    since = (first.date() - timedelta(days=1)).isoformat()
    params: JSON = {"created_from": since, "sort_order": "desc"}
    if signer_email:
        params["signer_email"] = signer_email
    opened, unchecked, more = 0, 0, False
    for page in range(1, MAX_LIST_PAGES + 1):
        body = client.get("/docs/", params={**params, "page": page})
        items = body.get("results", []) if isinstance(body, dict) else body or []
        for item in items:
            if not isinstance(item, dict) or not item.get("token"):
                continue
            if "external_id" in item:
                if item["external_id"] == external_id:
                    return {"token": item["token"], **client.get(_doc_path(item["token"]), expect=dict)}
                continue
            if opened >= MAX_DETAIL_FETCHES:
                unchecked += 1
                continue
            opened += 1
            detail = client.get(_doc_path(item["token"]), allow_404=True, expect=dict)
            if detail and detail.get("external_id") == external_id:
                return {"token": item["token"], **detail}
        more = isinstance(body, dict) and bool(body.get("next"))
        if not more:
            break
    if more or unchecked:
        raise DeferredError(
            "ZapSign lists too many recent documents to confirm yet that an earlier attempt did not "
            "already create this one; searching again later before creating it",
            internal_message=f"zapsign: search for {external_id} stopped at its budget (more={more}, "
                             f"unchecked={unchecked}); deferring",
            retry_after=INCONCLUSIVE_RETRY_SECONDS,
        )
    ctx.logger.info("zapsign: no document with external_id %s among recent documents", external_id)
    return None


def create_document_from_template(ctx: Context, data: JSON) -> JSON:
    external_id = _text(data.get("external_id")) or ctx.idempotency_key
    client = client_for(ctx)
    if ctx.attempt > 1 and external_id:
        found = find_by_external_id(ctx, client, external_id, signer_email=_text(data.get("signer_email")))
        if found:
            return document_output(ctx, found, external_id, reused=True)
        wait = seconds_until_listed(ctx)
        if wait > 0:
            raise DeferredError(
                "ZapSign's document list may not show a document created in the last minute yet; "
                "checking again before creating it",
                internal_message=f"zapsign: external_id {external_id} not listed yet; re-checking in {wait:.0f} s",
                retry_after=wait / ctx.wait_scale if ctx.wait_scale > 0 else wait,
            )
    doc = client.post("/models/create-doc/", json=build_body(data, external_id))
    if not isinstance(doc, dict) or not doc.get("token"):
        raise PermanentError("ZapSign did not return the created document", internal_message=repr(doc)[:300])
    return document_output(ctx, doc, external_id, reused=False)


def seconds_until_listed(ctx: Context) -> float:
    """How long until the list must show whatever the last possibly-writing attempt created (0: now).

    No ``previous_attempt_at`` means no earlier attempt can have written (they were rate limited or
    deferred before sending): nothing to wait for.
    """
    window = (LIST_CACHE_SECONDS + LIST_CACHE_MARGIN_SECONDS) * ctx.wait_scale
    if ctx.previous_attempt_at is None:
        return 0.0
    elapsed = (datetime.now(UTC) - ctx.previous_attempt_at).total_seconds()
    return max(0.0, window - elapsed)


def _doc_path(token: Any) -> str:
    """``/docs/<token>/`` with the token quoted: a mapped value can never reach another endpoint."""
    return f"/docs/{quote(str(token), safe='')}/"


def get_document(ctx: Context, data: JSON) -> JSON:
    """The document detail with normalised statuses and ``answers`` as a name → value object."""
    doc = normalise_document(client_for(ctx).get(_doc_path(data["token"]), expect=dict))
    answers_list = [a for a in doc.get("answers") or [] if isinstance(a, dict) and a.get("variable")]
    doc["answers_list"] = answers_list
    doc["answers"] = {str(a["variable"]).strip("{} "): a.get("value") for a in answers_list}
    return doc


def _get_document_sample() -> JSON:
    skip = ("event_type", "signer_who_signed")
    raw = {k: v for k, v in WEBHOOK_EXAMPLES["doc_signed"].items() if k not in skip}
    doc = normalise_document(raw)
    doc["answers_list"] = raw["answers"]
    doc["answers"] = {a["variable"]: a["value"] for a in raw["answers"]}
    return doc


def document_summary(output: JSON, locale: str) -> str:
    """"Contrato de Prestação de Serviços · Maria Souza · eb9c367a-…"."""
    signers = output.get("signers") if isinstance(output.get("signers"), list) else []
    who = signers[0].get("name") if signers and isinstance(signers[0], dict) else None
    return " · ".join(str(x) for x in (output.get("name"), who, output.get("token")) if x)


CREATE_DOCUMENT_FROM_TEMPLATE = Action(
    key="create_document_from_template",
    title="Create document from template",
    description=(
        "Fill a ZapSign DOCX template with the recipe's values and create a document for one signer; "
        "returns the signing link."
    ),
    input_schema=SCHEMAS["create_document_from_template"]["input"],
    output_schema=SCHEMAS["create_document_from_template"]["output"],
    sample=SCHEMAS["create_document_from_template"]["sample"],
    run=create_document_from_template,
    check_online=check_template,
    choices={
        "template_id": dynamic("templates"),
        "variables": dynamic("template_variables", "template_id", fields=True),
        "lang": static(("pt-br", "Portuguese"), ("en", "English"), ("es", "Spanish")),
    },
    summary=document_summary,
    idempotency=(
        "external_id (default: the step's idempotency key) is stored on the document; on a retry the "
        "action lists recent documents and returns the one with that external_id (reused: true). "
        "The list is cached up to 60 s, so a miss is trusted only 65 s after the last attempt that "
        "may have created the document; until then, and when the search is too long to finish, "
        "the step is deferred (not a failed attempt), never created twice."
    ),
)

GET_DOCUMENT = Action(
    key="get_document",
    title="Get document",
    description="Fetch a ZapSign document: status, signers, answers and fresh file links (valid 60 min).",
    input_schema={
        "type": "object",
        "required": ["token"],
        "properties": {"token": {"type": "string", "minLength": 1, "title": "Document token",
                             "description": "The token of the ZapSign document to fetch."}},
        "additionalProperties": False,
    },
    output_schema=SCHEMAS["get_document"]["output"],
    sample=_get_document_sample(),
    run=get_document,
    summary=document_summary,
    idempotency="read-only: safe to repeat",
)

ACTIONS = (CREATE_DOCUMENT_FROM_TEMPLATE, GET_DOCUMENT)
