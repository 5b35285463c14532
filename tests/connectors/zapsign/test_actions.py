"""ZapSign actions: the create-doc body, the retry that reuses the document, get_document."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import jsonschema
import pytest
import responses
from responses import matchers

from connectors.sdk import Context, DeferredError, TransientError
from connectors.zapsign import CONNECTOR
from connectors.zapsign.actions import build_body, create_document_from_template, get_document, split_phone

from .conftest import BASE

TEMPLATE = "31bfa32c-9427-40ac-9804-187e6f4e7300"
CREATED = {  # the documented create-doc response
    "open_id": 57, "token": "eb9c367a-e62f-4992-8360-b0219deaeecc", "status": "pending",
    "name": "Contrato de Prestação de Serviços", "original_file": "https://zapsign.s3.amazonaws.com/x.pdf",
    "signed_file": None, "created_at": "2025-02-24T16:10:46.241747Z",
    "last_update_at": "2025-02-24T16:10:46.241775Z",
    "signers": [{"token": "921c115d-4a6e-445d-bdca-03fadedbbc0b",
                 "sign_url": "https://app.zapsign.com.br/verificar/921c115d-4a6e-445d-bdca-03fadedbbc0b",
                 "status": "new", "name": "Maria Souza", "email": "maria.souza@example.com",
                 "phone_country": "55", "phone_number": "11999998888", "times_viewed": 0,
                 "last_view_at": None, "signed_at": None, "resend_attempts": None}],
    "answers": [{"variable": "NOME COMPLETO", "value": "Maria Souza"},
                {"variable": "CPF", "value": "24971563792"}],
}
INPUT = {
    "template_id": TEMPLATE, "signer_name": "Maria Souza", "signer_email": "maria.souza@example.com",
    "signer_phone": "+55 (11) 99999-8888", "external_id": "asaas:pay_n6ic32hq5hr1xcr1",
    "send_automatic_email": True, "folder_path": "/contratos-asaas/", "custom_message": None,
    "variables": {"NOME COMPLETO": "Maria Souza", "{{CPF}}": "24971563792", "VALOR": "R$ 450,00",
                  "DESCRICAO": None},
}


def test_input_sample_and_schemas_are_valid() -> None:
    for action in CONNECTOR.actions:
        jsonschema.Draft202012Validator.check_schema(action.input_schema)
        jsonschema.Draft202012Validator(action.output_schema).validate(action.sample)
    jsonschema.Draft202012Validator(CONNECTOR.action("create_document_from_template").input_schema).validate(INPUT)


def test_body_follows_zapsign_rules() -> None:
    body = build_body(INPUT, "asaas:pay_n6ic32hq5hr1xcr1")
    assert body["data"] == [
        {"de": "{{NOME COMPLETO}}", "para": "Maria Souza"}, {"de": "{{CPF}}", "para": "24971563792"},
        {"de": "{{VALOR}}", "para": "R$ 450,00"}, {"de": "{{DESCRICAO}}", "para": ""},
    ]
    assert body["signer_phone_country"] == "55" and body["signer_phone_number"] == "11999998888"
    assert body["lang"] == "pt-br" and body["send_automatic_email"] is True
    assert "custom_message" not in body  # never send null strings
    assert None not in body.values()


@pytest.mark.parametrize(
    ("phone", "country", "expected"),
    [("11999998888", None, ("55", "11999998888")), ("5511999998888", None, ("55", "11999998888")),
     ("(21) 3333-4444", "55", ("55", "2133334444")), ("+1 202 555 0123", "1", ("1", "2025550123")),
     ("", None, None)],
)
def test_split_phone(phone: str, country: str | None, expected: tuple[str, str] | None) -> None:
    assert split_phone(phone, country) == expected


@responses.activate
def test_create_document_posts_once_and_returns_the_sign_url(ctx: Context) -> None:
    responses.post(f"{BASE}/models/create-doc/", json=CREATED)
    out = create_document_from_template(ctx, INPUT)
    assert out["sign_url"].endswith("/verificar/921c115d-4a6e-445d-bdca-03fadedbbc0b")
    assert out["external_id"] == "asaas:pay_n6ic32hq5hr1xcr1" and out["reused"] is False
    assert out["signers"][0]["status"] == "new"
    jsonschema.validate(out, CONNECTOR.action("create_document_from_template").output_schema)
    sent = json.loads(responses.calls[0].request.body)
    assert sent["external_id"] == "asaas:pay_n6ic32hq5hr1xcr1"


@responses.activate
def test_external_id_defaults_to_the_idempotency_key(ctx: Context) -> None:
    responses.post(f"{BASE}/models/create-doc/", json=CREATED)
    out = create_document_from_template(ctx, {"template_id": TEMPLATE, "signer_name": "Maria"})
    assert json.loads(responses.calls[0].request.body)["external_id"] == "ponte-41-1"
    assert out["external_id"] == "ponte-41-1"


@responses.activate
def test_a_retry_finds_the_existing_document_and_creates_nothing(ctx: Context) -> None:
    listing = {"count": 2, "next": None, "previous": None, "results": [
        {"token": "other", "external_id": "ponte-40-1", "status": "pending", "name": "x"},
        {"token": CREATED["token"], "external_id": "asaas:pay_n6ic32hq5hr1xcr1", "status": "pending"},
    ]}
    responses.get(f"{BASE}/docs/", json=listing, match=[matchers.query_param_matcher(
        {"page": "1", "sort_order": "desc", "signer_email": "maria.souza@example.com"}, strict_match=False)])
    detail = CREATED | {"external_id": "asaas:pay_n6ic32hq5hr1xcr1"}
    responses.get(f"{BASE}/docs/{CREATED['token']}/", json=detail)
    create = responses.post(f"{BASE}/models/create-doc/", json=CREATED)
    out = create_document_from_template(replace(ctx, attempt=2), INPUT)
    assert out["reused"] is True and out["token"] == CREATED["token"]
    assert create.call_count == 0
    assert "created_from=" in responses.calls[0].request.url


@responses.activate
def test_a_retry_days_later_searches_from_the_day_before_the_first_attempt(ctx: Context) -> None:
    first = datetime(2026, 11, 2, 1, 30, tzinfo=UTC)
    responses.get(f"{BASE}/docs/", json={"count": 1, "next": None, "previous": None, "results": [
        {"token": CREATED["token"], "external_id": "ponte-41-1", "status": "pending"}]})
    responses.get(f"{BASE}/docs/{CREATED['token']}/", json=CREATED | {"external_id": "ponte-41-1"})
    out = create_document_from_template(replace(ctx, attempt=4, first_attempt_at=first),
                                        {"template_id": TEMPLATE, "signer_name": "Maria"})
    assert out["reused"] is True
    assert "created_from=2026-11-01" in responses.calls[0].request.url


@responses.activate
def test_list_items_without_external_id_are_opened_to_compare(ctx: Context) -> None:
    # The plain-list shape of the docs' example, items without external_id.
    responses.get(f"{BASE}/docs/", json=[{"token": "a1"}, {"token": CREATED["token"]}])
    responses.get(f"{BASE}/docs/a1/", json={"token": "a1", "external_id": "someone-else", "signers": []})
    responses.get(f"{BASE}/docs/{CREATED['token']}/", json=CREATED | {"external_id": "ponte-41-1"})
    data = {"template_id": TEMPLATE, "signer_name": "Maria"}
    out = create_document_from_template(replace(ctx, attempt=3), data)
    assert out["reused"] is True


def _ago(seconds: float) -> datetime:
    return datetime.now(UTC) - timedelta(seconds=seconds)


@pytest.mark.parametrize("attempt", [2, 3, 7])
@responses.activate
def test_a_miss_is_trusted_only_after_the_list_cache_whatever_the_attempt(ctx: Context, attempt: int) -> None:
    # The battery's case: a 503, then a create that timed out but happened, then a quick retry.
    responses.get(f"{BASE}/docs/", json={"count": 0, "next": None, "previous": None, "results": []})
    create = responses.post(f"{BASE}/models/create-doc/", json=CREATED)
    with pytest.raises(DeferredError) as caught:
        create_document_from_template(replace(ctx, attempt=attempt, previous_attempt_at=_ago(10)), INPUT)
    assert 50 <= (caught.value.retry_after or 0) <= 55  # until 65 s after the attempt that may have written
    assert create.call_count == 0
    out = create_document_from_template(replace(ctx, attempt=attempt + 1, previous_attempt_at=_ago(70)), INPUT)
    assert out["reused"] is False and create.call_count == 1


@responses.activate
def test_a_retry_after_attempts_that_cannot_have_written_creates_at_once(ctx: Context) -> None:
    # Earlier attempts were rate limited or deferred before sending: no document can be behind the cache.
    responses.get(f"{BASE}/docs/", json={"count": 0, "next": None, "previous": None, "results": []})
    create = responses.post(f"{BASE}/models/create-doc/", json=CREATED)
    out = create_document_from_template(replace(ctx, attempt=4, previous_attempt_at=None), INPUT)
    assert out["reused"] is False and create.call_count == 1


@responses.activate
def test_the_cache_window_follows_the_engine_wait_scale(ctx: Context) -> None:
    responses.get(f"{BASE}/docs/", json={"count": 0, "next": None, "previous": None, "results": []})
    create = responses.post(f"{BASE}/models/create-doc/", json=CREATED)
    scaled = replace(ctx, attempt=2, wait_scale=0.01)
    with pytest.raises(DeferredError) as caught:
        create_document_from_template(replace(scaled, previous_attempt_at=_ago(0.1)), INPUT)
    assert (caught.value.retry_after or 0) <= 65  # asked in unscaled seconds; the engine scales it
    create_document_from_template(replace(scaled, previous_attempt_at=_ago(1)), INPUT)  # 0.65 s window
    assert create.call_count == 1


@responses.activate
def test_items_it_could_not_open_defer_the_search_instead_of_failing(ctx: Context) -> None:
    responses.get(f"{BASE}/docs/", json=[{"token": f"t{i}"} for i in range(60)])  # no external_id listed
    for i in range(60):
        responses.get(f"{BASE}/docs/t{i}/", json={"token": f"t{i}", "external_id": "someone-else"})
    create = responses.post(f"{BASE}/models/create-doc/", json=CREATED)
    with pytest.raises(DeferredError, match="searching again later") as caught:
        create_document_from_template(replace(ctx, attempt=3, previous_attempt_at=_ago(600)),
                                      {"template_id": TEMPLATE, "signer_name": "M"})
    assert caught.value.retry_after == 300
    assert create.call_count == 0


@responses.activate
def test_the_search_has_a_budget_per_call_and_defers_past_it(ctx: Context) -> None:
    def page(n: int) -> dict[str, Any]:
        return {"count": 9999, "next": f"{BASE}/docs/?page={n + 1}", "previous": None,
                "results": [{"token": f"d{n}-{i}", "external_id": "no"} for i in range(20)]}
    for n in range(1, 70):
        responses.get(f"{BASE}/docs/", json=page(n),
                      match=[matchers.query_param_matcher({"page": str(n)}, strict_match=False)])
    create = responses.post(f"{BASE}/models/create-doc/", json=CREATED)
    with pytest.raises(DeferredError):
        create_document_from_template(replace(ctx, attempt=3, previous_attempt_at=_ago(600)), INPUT)
    assert sum(1 for c in responses.calls if "/docs/" in c.request.url) == 50
    assert create.call_count == 0  # an inconclusive search never creates: it could be a second contract


@responses.activate
def test_a_mapped_token_cannot_reach_another_endpoint(ctx: Context) -> None:
    fetched = responses.get(f"{BASE}/docs/..%2Fmodels%2F%3Fx%3D1/", json={"token": "t", "signers": []})
    get_document(ctx, {"token": "../models/?x=1"})
    assert fetched.call_count == 1


@responses.activate
def test_get_document_normalises_statuses_and_answers(ctx: Context, example: Any) -> None:
    detail = {k: v for k, v in example("doc_refused").items() if k not in ("event_type", "rejected_reason")}
    responses.get(f"{BASE}/docs/{detail['token']}/", json=detail)
    out = get_document(ctx, {"token": detail["token"]})
    assert out["status"] == "refused" and out["status_raw"] == "recusado"
    assert out["signers"][0]["status"] == "link_opened"
    assert out["answers"]["VALOR"] == "R$ 450,00"
    jsonschema.validate(out, CONNECTOR.action("get_document").output_schema)


@responses.activate
def test_a_reused_document_whose_detail_omits_the_token_keeps_the_listed_one(ctx: Context) -> None:
    responses.get(f"{BASE}/docs/", json={"count": 1, "next": None, "previous": None, "results": [
        {"token": CREATED["token"], "external_id": "ponte-41-1", "status": "pending"}]})
    detail = {k: v for k, v in CREATED.items() if k != "token"} | {"external_id": "ponte-41-1"}
    responses.get(f"{BASE}/docs/{CREATED['token']}/", json=detail)
    out = create_document_from_template(replace(ctx, attempt=3), {"template_id": TEMPLATE, "signer_name": "M"})
    assert out["reused"] is True and out["token"] == CREATED["token"]


@responses.activate
@pytest.mark.parametrize(
    "body", [b"[]", b'"ok"', b"<html>502 Bad Gateway</html>", b'{"token": "t", "status": NaN}'],
    ids=["list", "string", "html", "nan"],
)
def test_get_document_with_an_answer_that_is_not_a_document_is_a_transient_error(
        ctx: Context, body: bytes) -> None:
    responses.get(f"{BASE}/docs/t/", body=body, content_type="application/json")
    with pytest.raises(TransientError) as caught:
        get_document(ctx, {"token": "t"})
    assert "ZapSign answered with" in caught.value.user_message


@responses.activate
def test_a_retry_that_opens_a_detail_that_is_not_an_object_is_a_transient_error(ctx: Context) -> None:
    responses.get(f"{BASE}/docs/", json=[{"token": "a1"}])
    responses.get(f"{BASE}/docs/a1/", json=["not", "a", "document"])
    create = responses.post(f"{BASE}/models/create-doc/", json=CREATED)
    with pytest.raises(TransientError):
        create_document_from_template(replace(ctx, attempt=3), {"template_id": TEMPLATE, "signer_name": "M"})
    assert create.call_count == 0
