"""The ``find_or_create_customer`` action: one Asaas customer per CPF/CNPJ.

Asaas accepts duplicate customers (same CPF/CNPJ twice), so Ponte must not rely on it to refuse
them: every attempt searches ``GET /customers?cpfCnpj=…`` first and creates only when nothing
live is found. A create that timed out is therefore found, not repeated, on the next attempt.
"""

from __future__ import annotations

import re
from typing import Any

from validate_docbr import CNPJ, CPF

from connectors.sdk import Action, Context, HttpClient, PermanentError

from .client import client_for, page_items
from .summaries import customer_summary

CUSTOMER_FIELDS = (
    "name", "cpfCnpj", "email", "phone", "mobilePhone", "postalCode", "addressNumber",
    "externalReference", "notificationDisabled",
)

INPUT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name", "cpfCnpj"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "minLength": 1, "title": "Name",
                 "description": "The customer's full name or company name."},
        "cpfCnpj": {"type": "string", "minLength": 11, "title": "CPF/CNPJ",
                    "description": "With or without punctuation; validated before any call."},
        "email": {"type": "string", "title": "Email", "description": "Where Asaas sends the customer's charges."},
        "phone": {"type": "string", "title": "Phone", "description": "Landline with area code."},
        "mobilePhone": {"type": "string", "title": "Mobile phone",
                        "description": "Mobile with area code, for Asaas's SMS and WhatsApp notices."},
        "postalCode": {"type": "string", "title": "Postal code (CEP)",
                       "description": "CEP; Asaas fills in the address from it"},
        "addressNumber": {"type": "string", "title": "Address number", "description": "The number on the street."},
        "externalReference": {"type": "string", "title": "External reference",
                              "description": "Your own id for this customer, kept by Asaas."},
        "notificationDisabled": {"type": "boolean", "title": "Turn off Asaas notices",
                                 "description": "true stops Asaas e-mailing/SMSing this customer"},
    },
}

OUTPUT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "name", "cpfCnpj", "created"],
    "properties": {
        "id": {"type": "string", "pattern": "^cus_"},
        "name": {"type": "string"},
        "cpfCnpj": {"type": "string"},
        "email": {"type": ["string", "null"]},
        "created": {"type": "boolean", "description": "false when an existing customer was reused"},
    },
}

SAMPLE: dict[str, Any] = {
    "id": "cus_000006326297",
    "name": "Marina Costa Andrade",
    "cpfCnpj": "52998224725",
    "email": "marina.andrade@example.com.br",
    "created": False,
}


def normalize_cpf_cnpj(raw: Any) -> str:
    """``529.982.247-25`` → ``52998224725``; raise PermanentError unless it is a valid CPF or CNPJ.

    Letters are kept (upper-cased): alphanumeric CNPJs exist since July 2026 (IN RFB 2.229/2024).
    """
    text = re.sub(r"[^0-9A-Za-z]", "", str(raw or "")).upper()
    if len(text) == 11 and text.isdigit() and CPF().validate(text):
        return text
    if len(text) == 14 and CNPJ().validate(text):
        return text
    raise PermanentError(
        f"cpfCnpj {raw!r} is not a valid CPF (11 digits) or CNPJ (14 characters); "
        "Asaas accepts only valid documents"
    )


def find_customer(client: HttpClient, cpf_cnpj: str) -> dict[str, Any] | None:
    """The first live (not deleted) Asaas customer with this CPF/CNPJ, or None."""
    page = client.get("/customers", params={"cpfCnpj": cpf_cnpj, "limit": 20})
    return next((c for c in page_items(page, "/customers") if not c.get("deleted")), None)


def find_or_create_customer(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Search by CPF/CNPJ, create when missing. Asaas has no unique key on cpfCnpj, so the search
    and the create run under ``ctx.exclusive`` per account and document: two runs for one customer
    at once (two contracts signed together) make one customer, not two."""
    document = normalize_cpf_cnpj(data.get("cpfCnpj"))
    client = client_for(ctx)
    with ctx.exclusive(f"asaas-customer:{ctx.connection_name}:{document}"):
        existing = find_customer(client, document)
        if existing is not None:
            ctx.logger.info("reusing Asaas customer %s for this CPF/CNPJ", existing.get("id"))
            return _output(existing, created=False)
        body = {k: data[k] for k in CUSTOMER_FIELDS if data.get(k) not in (None, "")}
        body["cpfCnpj"] = document
        if "postalCode" in body:
            body["postalCode"] = re.sub(r"\D", "", str(body["postalCode"]))
        created = client.post("/customers", json=body)
    return _output(created, created=True)


def _output(customer: dict[str, Any], *, created: bool) -> dict[str, Any]:
    return {
        "id": customer.get("id"),
        "name": customer.get("name"),
        "cpfCnpj": customer.get("cpfCnpj"),
        "email": customer.get("email"),
        "created": created,
    }


FIND_OR_CREATE_CUSTOMER = Action(
    key="find_or_create_customer",
    title="Find or create customer",
    description="Returns the Asaas customer with this CPF/CNPJ, creating it only when none exists "
    "(Asaas itself allows duplicates).",
    input_schema=INPUT_SCHEMA,
    output_schema=OUTPUT_SCHEMA,
    sample=SAMPLE,
    run=find_or_create_customer,
    summary=customer_summary,
    idempotency="Every attempt looks the customer up by CPF/CNPJ (GET /customers?cpfCnpj=) before "
    "creating one, so a retry after a timeout finds the customer the first attempt created.",
)
