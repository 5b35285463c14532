"""Asaas actions: customers are never duplicated, payments are never charged twice."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import jsonschema
import pytest
import requests
import responses
from responses import matchers

from connectors.asaas import CONNECTOR
from connectors.sdk import Context, PermanentError, TransientError
from tests.connectors.asaas.fakes import BASE, page_of

MARINA = {"name": "Marina Costa Andrade", "cpfCnpj": "529.982.247-25",
          "email": "marina.andrade@example.com.br"}


def run(key: str, ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    action = CONNECTOR.action(key)
    jsonschema.validate(data, action.input_schema)
    output = action.run(ctx, data)
    jsonschema.validate(output, action.output_schema)
    return output


def body_of(call: Any) -> dict[str, Any]:
    return json.loads(call.request.body)


@pytest.mark.parametrize("action", CONNECTOR.actions, ids=lambda a: a.key)
def test_schemas_are_valid_and_samples_validate(action: Any) -> None:
    jsonschema.Draft202012Validator.check_schema(action.input_schema)
    jsonschema.validate(action.sample, action.output_schema)
    assert action.idempotency and CONNECTOR.text(action.title, "pt_BR") != action.title


# -- find_or_create_customer ----------------------------------------------------------------------

@responses.activate
def test_an_existing_customer_is_reused_not_duplicated(ctx: Context, customer: dict) -> None:
    deleted = {**customer, "id": "cus_000000000001", "deleted": True}
    responses.get(f"{BASE}/customers", json=page_of([deleted, customer]),
                  match=[matchers.query_param_matcher({"cpfCnpj": "52998224725", "limit": "20"})])
    post = responses.post(f"{BASE}/customers")
    output = run("find_or_create_customer", ctx, MARINA)
    assert output == {"id": "cus_000006326297", "name": "Marina Costa Andrade", "cpfCnpj": "52998224725",
                      "email": "marina.andrade@example.com.br", "created": False}
    assert post.call_count == 0


@responses.activate
def test_a_new_customer_is_created_with_a_clean_document(ctx: Context, customer: dict) -> None:
    responses.get(f"{BASE}/customers", json=page_of([]))
    post = responses.post(f"{BASE}/customers", json=customer)
    output = run("find_or_create_customer", ctx, {**MARINA, "postalCode": "01310-200", "phone": ""})
    assert output["created"] is True and output["id"] == "cus_000006326297"
    assert body_of(post.calls[0]) == {"name": "Marina Costa Andrade", "cpfCnpj": "52998224725",
                                      "email": "marina.andrade@example.com.br", "postalCode": "01310200"}


@responses.activate
def test_a_retry_after_a_create_timeout_finds_the_customer(make_ctx: Callable[..., Context],
                                                           customer: dict) -> None:
    lookup = responses.get(f"{BASE}/customers", json=page_of([]))
    post = responses.post(f"{BASE}/customers", body=requests.exceptions.ReadTimeout())
    with pytest.raises(TransientError) as caught:
        run("find_or_create_customer", make_ctx(attempt=1), MARINA)
    assert caught.value.ambiguous
    lookup.body = json.dumps(page_of([customer]))  # the first POST did reach Asaas
    assert run("find_or_create_customer", make_ctx(attempt=2), MARINA)["created"] is False
    assert post.call_count == 1 and lookup.call_count == 2


@pytest.mark.parametrize("document", ["529.982.247-26", "11111111111", "1234", "11.222.333/0001-82", ""])
@responses.activate
def test_an_invalid_cpf_cnpj_fails_before_any_call(ctx: Context, document: str) -> None:
    with pytest.raises(PermanentError, match="not a valid CPF"):
        CONNECTOR.action("find_or_create_customer").run(ctx, {**MARINA, "cpfCnpj": document})
    assert len(responses.calls) == 0


@pytest.mark.parametrize(("document", "normalized"), [
    ("11.222.333/0001-81", "11222333000181"), ("12.abc.345/01de-35", "12ABC34501DE35"),
])
@responses.activate
def test_cnpjs_numeric_and_alphanumeric_are_accepted(ctx: Context, customer: dict, document: str,
                                                     normalized: str) -> None:
    responses.get(f"{BASE}/customers", json=page_of([{**customer, "cpfCnpj": normalized}]),
                  match=[matchers.query_param_matcher({"cpfCnpj": normalized, "limit": "20"})])
    assert run("find_or_create_customer", ctx, {**MARINA, "cpfCnpj": document})["cpfCnpj"] == normalized


# -- create_payment -------------------------------------------------------------------------------

CHARGE = {"customer": "cus_000006326297", "billingType": "BOLETO", "value": 450.0, "dueDate": "2025-03-10",
          "description": "Contrato de prestação de serviços - março/2025", "fine": {"value": 2},
          "interest": {"value": 1}}


@responses.activate
def test_create_payment_uses_the_idempotency_key_as_external_reference(ctx: Context, payment: dict) -> None:
    created = {**payment, "externalReference": "ponte-42-2"}
    post = responses.post(f"{BASE}/payments", json=created)
    lookup = responses.get(f"{BASE}/payments")
    output = run("create_payment", ctx, CHARGE)
    assert body_of(post.calls[0]) == {**CHARGE, "externalReference": "ponte-42-2"}
    assert lookup.call_count == 0  # first attempt: no extra GET against the 25k/12h quota
    assert output == {
        "id": "pay_n6ic32hq5hr1xcr1", "status": "PENDING", "value": 450.0, "netValue": 449.01,
        "billingType": "BOLETO", "dueDate": "2025-03-10",
        "invoiceUrl": "https://sandbox.asaas.com/i/n6ic32hq5hr1xcr1",
        "bankSlipUrl": "https://sandbox.asaas.com/b/pdf/n6ic32hq5hr1xcr1",
        "customer": "cus_000006326297", "externalReference": "ponte-42-2", "reused": False,
    }


@responses.activate
def test_a_mapped_external_reference_is_kept(ctx: Context, payment: dict) -> None:
    post = responses.post(f"{BASE}/payments", json=payment)
    run("create_payment", ctx, {**CHARGE, "externalReference": "contrato-881"})
    assert body_of(post.calls[0])["externalReference"] == "contrato-881"


@responses.activate
def test_a_retry_after_a_timeout_returns_the_payment_already_made(make_ctx: Callable[..., Context],
                                                                  payment: dict) -> None:
    post = responses.post(f"{BASE}/payments", body=requests.exceptions.ReadTimeout())
    with pytest.raises(TransientError) as caught:
        run("create_payment", make_ctx(attempt=1), CHARGE)
    assert caught.value.ambiguous
    made = {**payment, "externalReference": "ponte-42-2"}
    lookup = responses.get(f"{BASE}/payments", json=page_of([made]), match=[matchers.query_param_matcher(
        {"externalReference": "ponte-42-2", "customer": "cus_000006326297", "offset": "0", "limit": "100"})])
    output = run("create_payment", make_ctx(attempt=2), CHARGE)
    assert output["reused"] is True and output["id"] == "pay_n6ic32hq5hr1xcr1"
    assert post.call_count == 1 and lookup.call_count == 1


@responses.activate
def test_a_retry_finds_the_payment_by_its_cents_on_a_later_page(make_ctx: Callable[..., Context],
                                                                payment: dict) -> None:
    older = [{**payment, "id": f"pay_old{n}", "dueDate": "2025-01-10", "externalReference": "contrato-881"}
             for n in range(100)]
    made = {**payment, "value": 100.0, "externalReference": "contrato-881"}  # Asaas kept two decimals
    responses.get(f"{BASE}/payments", json={**page_of(older), "hasMore": True},
                  match=[matchers.query_param_matcher({"offset": "0"}, strict_match=False)])
    responses.get(f"{BASE}/payments", json=page_of([made]),
                  match=[matchers.query_param_matcher({"offset": "100"}, strict_match=False)])
    post = responses.post(f"{BASE}/payments", json=payment)
    charge = {**CHARGE, "value": 99.999, "externalReference": "contrato-881"}
    output = run("create_payment", make_ctx(attempt=2), charge)
    assert output["reused"] is True and output["id"] == payment["id"] and post.call_count == 0


@responses.activate
def test_the_value_is_sent_in_cents(ctx: Context, payment: dict) -> None:
    post = responses.post(f"{BASE}/payments", json=payment)
    run("create_payment", ctx, {**CHARGE, "value": 0.1 + 0.2})
    assert body_of(post.calls[0])["value"] == 0.3


@responses.activate
def test_a_retry_that_finds_nothing_creates_the_payment(make_ctx: Callable[..., Context],
                                                        payment: dict) -> None:
    other_month = {**payment, "dueDate": "2025-02-10", "externalReference": "ponte-42-2"}
    removed = {**payment, "deleted": True, "externalReference": "ponte-42-2"}
    lookup = responses.get(f"{BASE}/payments", json=page_of([other_month, removed]))
    post = responses.post(f"{BASE}/payments", json=payment)
    assert run("create_payment", make_ctx(attempt=3), CHARGE)["reused"] is False
    assert lookup.call_count == 1 and post.call_count == 1


@responses.activate
def test_a_refused_payment_fails_with_asaas_reason(ctx: Context) -> None:
    responses.post(f"{BASE}/payments", status=400, json={
        "errors": [{"code": "invalid_customer", "description": "Customer inválido ou não informado"}]})
    with pytest.raises(PermanentError, match="Customer inválido ou não informado"):
        run("create_payment", ctx, CHARGE)


@pytest.mark.parametrize("bad", [{"value": 0}, {"billingType": "DEBIT_CARD"}, {"dueDate": "10/03/2025"},
                                 {"description": "x" * 501}])
def test_the_input_schema_refuses_what_asaas_would(bad: dict) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**CHARGE, **bad}, CONNECTOR.action("create_payment").input_schema)


# -- get_payment / list_payments ------------------------------------------------------------------

@responses.activate
def test_get_payment(ctx: Context, payment: dict) -> None:
    responses.get(f"{BASE}/payments/pay_n6ic32hq5hr1xcr1", json=payment)
    assert run("get_payment", ctx, {"id": "pay_n6ic32hq5hr1xcr1"}) == payment


@responses.activate
def test_get_payment_404_is_permanent(ctx: Context) -> None:
    responses.get(f"{BASE}/payments/pay_missing", status=404, json={"errors": []})
    with pytest.raises(PermanentError, match="payment not found"):
        CONNECTOR.action("get_payment").run(ctx, {"id": "pay_missing"})


@responses.activate
def test_get_payment_quotes_the_id_into_the_path(ctx: Context) -> None:
    responses.get(f"{BASE}/payments/..%2Fcustomers", status=404)
    with pytest.raises(PermanentError):
        CONNECTOR.action("get_payment").run(ctx, {"id": "../customers"})


@responses.activate
def test_list_payments_sends_bracketed_date_filters(ctx: Context, payment: dict) -> None:
    responses.get(f"{BASE}/payments", json=page_of([payment], has_more=True, total=31, limit=1),
                  match=[matchers.query_param_matcher({"status": "OVERDUE", "dueDate[le]": "2025-03-31",
                                                       "offset": "0", "limit": "1"})])
    output = run("list_payments", ctx, {"status": "OVERDUE", "dueDate_le": "2025-03-31", "limit": 1})
    assert output == {"data": [payment], "hasMore": True, "totalCount": 31}


# -- lookups --------------------------------------------------------------------------------------

def test_static_lookups_are_labelled_in_the_asking_persons_language(ctx: Context) -> None:
    billing = CONNECTOR.lookup("billing_types").run(ctx, {})
    assert {"value": "BOLETO", "label": "Boleto bancário"} in billing
    english = CONNECTOR.lookup("billing_types").run(Context(config=ctx.config, locale="en"), {})
    assert {"value": "BOLETO", "label": "Bank slip (boleto)"} in english
    statuses = [o["value"] for o in CONNECTOR.lookup("payment_statuses").run(ctx, {})]
    assert {"PENDING", "RECEIVED", "OVERDUE", "CONFIRMED", "REFUNDED"} <= set(statuses)


@responses.activate
def test_customers_lookup_searches_by_name(ctx: Context, customer: dict) -> None:
    responses.get(f"{BASE}/customers", json=page_of([customer]),
                  match=[matchers.query_param_matcher({"name": "Marina", "limit": "20"})])
    assert CONNECTOR.lookup("customers").run(ctx, {"q": "Marina"}) == [
        {"value": "cus_000006326297", "label": "Marina Costa Andrade (52998224725)"}]


@responses.activate
def test_a_retry_is_not_derailed_by_a_payment_with_an_unreadable_value(
        make_ctx: Callable[..., Context], payment: dict) -> None:
    odd = {**payment, "id": "pay_odd", "value": "R$ 450,00", "externalReference": "ponte-42-2"}
    responses.get(f"{BASE}/payments", json=page_of([odd]))
    responses.post(f"{BASE}/payments", json={**payment, "externalReference": "ponte-42-2"})
    output = run("create_payment", make_ctx(attempt=2), {
        "customer": payment["customer"], "billingType": "BOLETO", "value": payment["value"],
        "dueDate": odd["dueDate"]})
    assert output["reused"] is False


@responses.activate
@pytest.mark.parametrize("total", ["muitos", "inf", None])
def test_list_payments_tolerates_an_unreadable_total_count(ctx: Context, payment: dict, total: object) -> None:
    responses.get(f"{BASE}/payments", json={**page_of([payment]), "totalCount": total})
    assert run("list_payments", ctx, {})["totalCount"] == 1
