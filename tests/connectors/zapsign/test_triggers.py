"""ZapSign document triggers: samples, output shape and when doc_signed fires."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from connectors.sdk import Context
from connectors.zapsign import CONNECTOR
from connectors.zapsign.triggers import DOCUMENT_SIGNED, prepare


@pytest.mark.parametrize("trigger", CONNECTOR.triggers, ids=lambda t: t.key)
def test_trigger_sample_validates_against_its_output_schema(trigger: Any) -> None:
    jsonschema.Draft202012Validator.check_schema(trigger.output_schema)
    jsonschema.Draft202012Validator(trigger.output_schema).validate(trigger.sample)
    jsonschema.Draft202012Validator.check_schema(trigger.options_schema)


def test_titles_in_portuguese() -> None:
    titles = [CONNECTOR.text(t.title, "pt_BR") for t in CONNECTOR.triggers]
    assert titles[:3] == ["Documento assinado", "Documento recusado", "Documento criado"]
    assert all(title != t.title for title, t in zip(titles, CONNECTOR.triggers, strict=True))


def test_prepare_exposes_answers_by_variable_and_the_signer(ctx: Context, example: Any) -> None:
    out = DOCUMENT_SIGNED.output(ctx, example("doc_signed"), {})
    assert out["event"] == "doc_signed"
    assert out["answers"]["CPF"] == "24971563792"
    assert out["answers_list"][0] == {"variable": "NOME COMPLETO", "value": "Maria Souza"}
    assert out["signer"]["email"] == "maria.souza@example.com"
    assert out["signer"]["status"] == "signed"
    assert out["document"]["token"] == "eb9c367a-e62f-4992-8360-b0219deaeecc"
    assert out["document"]["external_id"] == "asaas:pay_n6ic32hq5hr1xcr1"
    assert "signers" not in out["document"] and "answers" not in out["document"]
    jsonschema.validate(out, DOCUMENT_SIGNED.output_schema)


def test_the_signer_is_who_signed_not_the_first_signer(example: Any) -> None:
    body = example("doc_signed")
    second = dict(body["signers"][0], token="b2", name="Ponte Serviços", email="contratos@ponte.example.com")
    body["signers"].append(second)
    body["signer_who_signed"] = {"token": "b2", "name": "Ponte Serviços", "status": "assinou",
                                 "email": "contratos@ponte.example.com"}
    out = prepare(None, body, {})
    assert out["signer"]["email"] == "contratos@ponte.example.com"
    assert out["signer"]["status"] == "signed" and out["signer"]["status_raw"] == "assinou"


def test_refused_output_carries_the_reason(example: Any) -> None:
    out = prepare(None, example("doc_refused"), {})
    assert out["rejected_reason"].startswith("O valor")
    assert out["document"]["status"] == "refused"


def test_prepare_is_idempotent_on_a_normalised_payload(example: Any) -> None:
    once = prepare(None, example("doc_refused"), {})
    stored = example("doc_refused") | {"status": "refused", "status_raw": "recusado"}
    assert prepare(None, stored, {})["document"]["status_raw"] == once["document"]["status_raw"]


@pytest.mark.parametrize(
    ("status", "when", "fires"),
    [
        ("pending", {}, False),  # first of two signatures: the document is not signed yet
        ("pending", {"when": "all_signed"}, False),
        ("signed", {}, True),
        ("signed", {"when": "all_signed"}, True),
        ("pending", {"when": "every_signature"}, True),
    ],
)
def test_document_signed_fires_by_option(example: Any, status: str, when: dict, fires: bool) -> None:
    body = example("doc_signed") | {"status": status}
    assert DOCUMENT_SIGNED.fires_on("doc_signed", body, when) is fires


def test_triggers_fire_only_on_their_event(example: Any) -> None:
    by_key = {t.key: t for t in CONNECTOR.triggers}
    assert by_key["document_refused"].fires_on("doc_refused", example("doc_refused"), {})
    assert by_key["document_created"].fires_on("doc_created", example("doc_created"), {})
    assert not by_key["document_created"].fires_on("doc_signed", example("doc_signed"), {})
    assert not by_key["document_signed"].fires_on("doc_created", example("doc_created"), {})


def test_document_signed_acts_once_per_document_or_once_per_signer() -> None:
    body = {"token": "doc-1", "status": "signed", "signer_who_signed": {"token": "s-2"}}
    once = DOCUMENT_SIGNED.once_per
    assert once is not None
    resent = {**body, "last_update_at": "x"}
    assert once("doc_signed", body, {}) == once("doc_signed", resent, {}) == "zapsign-doc:doc-1"
    assert once("doc_signed", body, {"when": "every_signature"}) == "zapsign-doc:doc-1:signer:s-2"
    assert once("doc_signed", {"status": "signed"}, {}) is None  # nothing to name: one run per event
