"""A fake registry with realistic schemas and a realistic Asaas event, so engine tests need no connector."""

from __future__ import annotations

import copy
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

TRIGGERS = {
    "asaas.payment_created": SimpleNamespace(
        options_schema={"type": "object", "additionalProperties": False, "properties": {
            "billing_types": {"type": "array", "items": {"enum": ["BOLETO", "PIX", "CREDIT_CARD"]}}}},
        output_schema={"type": "object"}, sample={}),
    "zapsign.document_signed": SimpleNamespace(options_schema={"type": "object"},
                                               output_schema={"type": "object"}, sample={}),
}
ACTIONS = {
    "zapsign.create_document_from_template": SimpleNamespace(
        input_schema={"type": "object", "required": ["template_id", "signer_name"], "properties": {
            "template_id": {"type": "string"}, "signer_name": {"type": "string", "minLength": 1},
            "signer_email": {"type": "string", "format": "email"},
            "variables": {"type": "object", "additionalProperties": {"type": "string"}},
            "external_id": {"type": "string"}, "note": {"type": "string"}}},
        output_schema={"type": "object"}, sample={"token": "doc-token"}),
    "asaas.create_payment": SimpleNamespace(
        input_schema={"type": "object", "required": ["customer", "billingType", "value", "dueDate"],
                      "properties": {
            "customer": {"type": "string"}, "billingType": {"enum": ["BOLETO", "PIX", "CREDIT_CARD"]},
            "value": {"type": "number"}, "dueDate": {"type": "string"},
            "callback": {"type": "object", "required": ["successUrl"],
                         "properties": {"successUrl": {"type": "string"}}}}},
        output_schema={"type": "object"}, sample={"id": "pay_1"}),
}


class FakeRegistry:
    """Same lookups as connectors.registry, with the same 'unknown ...; valid ...' messages."""

    def get_trigger(self, qualified: str) -> tuple[Any, Any]:
        if qualified not in TRIGGERS:
            raise LookupError(f"unknown trigger {qualified!r}; valid triggers: {', '.join(TRIGGERS)}")
        return SimpleNamespace(key=qualified.split(".")[0]), TRIGGERS[qualified]

    def get_action(self, qualified: str) -> tuple[Any, Any]:
        if qualified not in ACTIONS:
            raise LookupError(f"unknown action {qualified!r}; valid actions: {', '.join(ACTIONS)}")
        return SimpleNamespace(key=qualified.split(".")[0]), ACTIONS[qualified]


@pytest.fixture
def registry() -> FakeRegistry:
    return FakeRegistry()


ASAAS_PAYMENT_CREATED: dict[str, Any] = {
    "event": "PAYMENT_CREATED",
    "payment": {
        "object": "payment", "id": "pay_080225913252", "dateCreated": "2024-06-10",
        "customer": "cus_000005219613", "value": 1234.56, "netValue": 1229.57, "billingType": "BOLETO",
        "status": "PENDING", "dueDate": "2024-06-20", "originalDueDate": "2024-06-20",
        "description": None, "invoiceUrl": "https://sandbox.asaas.com/i/080225913252",
        "externalReference": None, "deleted": False,
    },
    "customer": {
        "object": "customer", "id": "cus_000005219613", "name": "maria da silva",
        "email": "Maria.Silva@Example.com", "cpfCnpj": "52998224725", "mobilePhone": "11987654321",
    },
}


@pytest.fixture
def asaas_event() -> dict[str, Any]:
    return copy.deepcopy(ASAAS_PAYMENT_CREATED)


@pytest.fixture
def tree(tmp_path: Path) -> Any:
    """Write ``recipes/`` and ``mappings/`` files: ``tree(recipes={"x": "yaml"}, mappings={...})``."""

    def write(recipes: dict[str, str] | None = None,
              mappings: dict[str, str] | None = None) -> tuple[Path, Path]:
        for folder, files in (("recipes", recipes or {}), ("mappings", mappings or {})):
            (tmp_path / folder).mkdir(exist_ok=True)
            for stem, text in files.items():
                (tmp_path / folder / f"{stem}.yaml").write_text(text, encoding="utf-8")
        return tmp_path / "recipes", tmp_path / "mappings"

    return write
