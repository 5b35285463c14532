"""The collection rule's escalation steps: ``asaas.apply_fees`` (fine and interest on the payment,
once) and the daily owner digest ``asaas.overdue_digest`` + ``asaas.check_overdue_open``. Every
step reads the payment again and stops when it was paid."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlparse

import jsonschema
import pytest
import responses
import time_machine

from connectors.asaas import CONNECTOR
from connectors.sdk import Context, SkipError
from tests.connectors.asaas.fakes import BASE, page_of

FEES = CONNECTOR.action("apply_fees")
DIGEST = CONNECTOR.trigger("overdue_digest")
STILL_OPEN = CONNECTOR.action("check_overdue_open")
NINE_AM_MARCH_20 = "2025-03-20T12:00:00Z"  # 09:00 in São Paulo


def _payment(pid: str, status: str = "OVERDUE", due: str = "2025-03-05", **extra: Any) -> dict[str, Any]:
    return {"id": pid, "status": status, "value": 1234.56, "dueDate": due, "billingType": "BOLETO",
            "customer": "cus_1", "deleted": False, "fine": {"value": 0, "type": "PERCENTAGE"},
            "interest": {"value": 0, "type": "PERCENTAGE"}, "invoiceUrl": f"https://sandbox.asaas.com/i/{pid}",
            **extra}


def test_the_steps_describe_themselves_in_both_languages() -> None:
    jsonschema.validate(FEES.sample, FEES.output_schema)
    jsonschema.validate(DIGEST.sample, DIGEST.output_schema)
    jsonschema.validate(STILL_OPEN.sample, STILL_OPEN.output_schema)
    jsonschema.validate({"id": "pay_1", "fine": 2, "interest": 1}, FEES.input_schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"id": "pay_1", "fine": -1, "interest": 1}, FEES.input_schema)
    assert CONNECTOR.text(FEES.title, "pt_BR") == "Aplicar multa e juros a uma cobrança"
    assert CONNECTOR.text(DIGEST.title, "pt_BR") == "Régua de cobrança: lista diária de cobranças vencidas"


@responses.activate
def test_apply_fees_updates_the_payment_with_fine_and_monthly_interest(ctx: Context) -> None:
    responses.get(f"{BASE}/payments/pay_1", json=_payment("pay_1"))
    update = responses.post(f"{BASE}/payments/pay_1", json=_payment("pay_1", fine={"value": 2, "type": "PERCENTAGE"},
                                                                       interest={"value": 1, "type": "PERCENTAGE"}))
    out = FEES.run(ctx, {"id": "pay_1", "fine": 2, "interest": 1, "due_date": "2025-03-05"})
    assert out["applied"] is True and out["status"] == "OVERDUE"
    assert json.loads(update.calls[0].request.body) == {
        "billingType": "BOLETO", "value": 1234.56, "dueDate": "2025-03-05",
        "fine": {"value": 2.0, "type": "PERCENTAGE"}, "interest": {"value": 1.0}}


@responses.activate
def test_a_retried_run_never_applies_the_fees_twice(ctx: Context) -> None:
    """The second attempt reads the payment with the fees already on it: no second update."""
    responses.get(f"{BASE}/payments/pay_1", json=_payment("pay_1", fine={"value": 2.0, "type": "PERCENTAGE"},
                                                          interest={"value": 1, "type": "PERCENTAGE"}))
    update = responses.post(f"{BASE}/payments/pay_1", json={})
    out = FEES.run(ctx, {"id": "pay_1", "fine": 2, "interest": 1})
    assert out["applied"] is False
    assert update.call_count == 0


@pytest.mark.parametrize("status", ["RECEIVED", "CONFIRMED", "RECEIVED_IN_CASH", "REFUNDED"])
@responses.activate
def test_apply_fees_stops_when_the_payment_was_paid(ctx: Context, status: str) -> None:
    responses.get(f"{BASE}/payments/pay_1", json=_payment("pay_1", status=status))
    update = responses.post(f"{BASE}/payments/pay_1", json={})
    with pytest.raises(SkipError, match="already paid"):
        FEES.run(ctx, {"id": "pay_1", "fine": 2, "interest": 1})
    assert update.call_count == 0


@responses.activate
def test_apply_fees_stops_when_removed_moved_or_by_card(ctx: Context) -> None:
    responses.get(f"{BASE}/payments/pay_gone", status=404, json={"errors": []})
    responses.get(f"{BASE}/payments/pay_moved", json=_payment("pay_moved", due="2025-04-05"))
    responses.get(f"{BASE}/payments/pay_card", json=_payment("pay_card", billingType="CREDIT_CARD"))
    with pytest.raises(SkipError, match="no longer has"):
        FEES.run(ctx, {"id": "pay_gone", "fine": 2, "interest": 1})
    with pytest.raises(SkipError, match="due date"):
        FEES.run(ctx, {"id": "pay_moved", "fine": 2, "interest": 1, "due_date": "2025-03-05"})
    with pytest.raises(SkipError, match="credit card"):
        FEES.run(ctx, {"id": "pay_card", "fine": 2, "interest": 1})
    assert not [c for c in responses.calls if c.request.method == "POST"]


def _listing(by_status: dict[str, list[dict[str, Any]]], seen: list[dict[str, str]]) -> Callable[..., Any]:
    def answer(request: Any) -> tuple[int, dict[str, str], str]:
        query = {k: v[0] for k, v in parse_qs(urlparse(request.url).query).items()}
        seen.append(query)
        return 200, {}, json.dumps(page_of(by_status.get(query["status"], [])))
    return answer


@time_machine.travel(NINE_AM_MARCH_20, tick=False)
@responses.activate
def test_the_digest_is_one_event_a_day_listing_what_is_overdue(ctx: Context) -> None:
    seen: list[dict[str, str]] = []
    responses.add_callback(responses.GET, f"{BASE}/payments", callback=_listing({
        "OVERDUE": [_payment("pay_b", due="2025-03-10"), _payment("pay_a", due="2025-03-01")],
        "PENDING": [_payment("pay_c", status="PENDING", due="2025-03-17")]}, seen))
    events, cursor = DIGEST.poll(ctx, {"min_days": 3, "hour": 8}, None)
    assert [q["dueDate[le]"] for q in seen] == ["2025-03-17", "2025-03-17"]
    assert cursor == {"through": "2025-03-20"}
    [event] = events
    assert event.dedupe_key == "digest:2025-03-20"
    assert [p["id"] for p in event.payload["payments"]] == ["pay_a", "pay_b", "pay_c"]
    first = event.payload["payments"][0]
    assert (first["amount"], first["due_date"], first["days_overdue"]) == ("R$ 1.234,56", "01/03/2025", 19)
    output = DIGEST.output(ctx, event.payload, {})
    jsonschema.validate(output, DIGEST.output_schema)
    # the same day again: nothing polled, nothing emitted
    assert DIGEST.poll(ctx, {"min_days": 3}, cursor) == ([], cursor)
    assert len(seen) == 2


@time_machine.travel("2025-03-20T10:00:00Z", tick=False)  # 07:00 in São Paulo
@responses.activate
def test_the_digest_waits_for_its_hour_and_skips_empty_days(ctx: Context) -> None:
    seen: list[dict[str, str]] = []
    responses.add_callback(responses.GET, f"{BASE}/payments", callback=_listing({}, seen))
    assert DIGEST.poll(ctx, {"hour": 8}, None) == ([], None)
    assert seen == []
    assert DIGEST.poll(ctx, {"hour": 7}, None) == ([], {"through": "2025-03-20"})  # nothing overdue: no e-mail


@time_machine.travel(NINE_AM_MARCH_20, tick=False)
@responses.activate
def test_payments_paid_since_the_digest_drop_out_and_none_left_skips(ctx: Context) -> None:
    responses.get(f"{BASE}/payments/pay_a", json=_payment("pay_a", due="2025-03-01"))
    responses.get(f"{BASE}/payments/pay_b", json=_payment("pay_b", status="RECEIVED"))
    responses.get(f"{BASE}/customers/cus_1", json={"id": "cus_1", "name": "Ana Souza"})
    out = STILL_OPEN.run(ctx, {"ids": ["pay_a", "pay_b"]})
    assert [(p["id"], p["customer_name"], p["days_overdue"]) for p in out["payments"]] == [("pay_a", "Ana Souza", 19)]
    assert out["total"] == "R$ 1.234,56"
    with pytest.raises(SkipError, match="paid or removed"):
        STILL_OPEN.run(ctx, {"ids": ["pay_b"]})
