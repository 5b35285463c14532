"""The collection rule trigger ``asaas.payment_due_reminder`` and the action ``asaas.check_payment_open``."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

import jsonschema
import pytest
import responses
import time_machine

from connectors.asaas import CONNECTOR
from connectors.asaas.reminders import due_range, reminder, steps_due, window_start
from connectors.sdk import Context, SkipError
from tests.connectors.asaas.fakes import BASE, page_of

TRIGGER = CONNECTOR.trigger("payment_due_reminder")
ACTION = CONNECTOR.action("check_payment_open")
# 12:00 in São Paulo on 2025-03-05 (15:00 UTC).
NOON_MARCH_5 = "2025-03-05T15:00:00Z"


def _payment(pid: str, due: str, status: str = "PENDING") -> dict[str, Any]:
    return {"id": pid, "dueDate": due, "status": status, "value": 100.0, "customer": "cus_1", "deleted": False}


def test_trigger_and_action_describe_themselves() -> None:
    assert TRIGGER.kind == "polling" and TRIGGER.poll is not None
    assert CONNECTOR.text(TRIGGER.title, "pt_BR") == "Régua de cobrança: lembretes de vencimento"
    jsonschema.validate({"offsets": [-5, 0, 1, 7]}, TRIGGER.options_schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"offsets": [1, 1]}, TRIGGER.options_schema)
    jsonschema.validate(TRIGGER.sample, TRIGGER.output_schema)
    assert CONNECTOR.text(ACTION.title, "pt_BR") != ACTION.title and "Read-only" in ACTION.idempotency


def test_reminder_phases() -> None:
    from datetime import date

    due = date(2025, 3, 10)
    assert reminder(-5, due) == {"offset": -5, "phase": "before", "days": 5, "due_date": "2025-03-10",
                                 "date": "2025-03-05"}
    assert reminder(0, due)["phase"] == "due" and reminder(7, due)["phase"] == "after"


def test_window_starts_today_for_a_new_rule_and_catches_up_at_most_three_days() -> None:
    from datetime import date

    today = date(2025, 3, 10)
    assert window_start(None, today) == today
    assert window_start({"through": "2025-03-09"}, today) == today
    assert window_start({"through": "2025-03-07"}, today) == date(2025, 3, 8)
    assert window_start({"through": "2025-01-01"}, today) == date(2025, 3, 7)
    assert window_start({"through": "2025-03-12"}, today) == today  # a clock that went back
    assert due_range(today, today, [-5, 0, 1, 7]) == (date(2025, 3, 3), date(2025, 3, 15))
    assert steps_due(_payment("p", "2025-03-15"), [-5, 0], today, today) == [-5]
    assert steps_due({**_payment("p", "2025-03-10"), "deleted": True}, [0], today, today) == []


@responses.activate
@time_machine.travel(NOON_MARCH_5, tick=False)
def test_poll_sweeps_once_per_status_and_emits_the_steps_due_today(ctx: Context) -> None:
    pending = [_payment("pay_a", "2025-03-10"), _payment("pay_b", "2025-03-05"), _payment("pay_c", "2025-03-20")]
    overdue = [_payment("pay_d", "2025-03-04", "OVERDUE"), _payment("pay_e", "2025-02-26", "OVERDUE")]
    responses.get(f"{BASE}/payments", json=page_of(pending))
    responses.get(f"{BASE}/payments", json=page_of(overdue))

    events, cursor = TRIGGER.poll(ctx, {"offsets": [-5, 0, 1, 7]}, None)

    queries = [parse_qs(urlparse(call.request.url).query) for call in responses.calls]
    assert [q["status"] for q in queries] == [["PENDING"], ["OVERDUE"]]
    assert all(q["dueDate[ge]"] == ["2025-02-26"] and q["dueDate[le]"] == ["2025-03-10"] for q in queries)
    assert all(q["limit"] == ["100"] for q in queries)
    assert sorted(e.dedupe_key for e in events) == [
        "pay_a:-5:2025-03-10", "pay_b:+0:2025-03-05", "pay_d:+1:2025-03-04", "pay_e:+7:2025-02-26"]
    assert cursor == {"through": "2025-03-04"}
    first = next(e for e in events if e.dedupe_key.startswith("pay_a"))
    assert first.event_type == "PAYMENT_DUE_REMINDER" and first.payload["reminder"]["phase"] == "before"


@responses.activate
def test_prepare_adds_the_customer(ctx: Context, payment: dict[str, Any], customer: dict[str, Any]) -> None:
    responses.get(f"{BASE}/customers/{payment['customer']}", json=customer)
    output = TRIGGER.output(ctx, {"payment": payment, "reminder": reminder(-5, _d())}, {})
    assert output["customer"]["email"] == customer["email"] and output["event"] == "PAYMENT_DUE_REMINDER"
    jsonschema.validate(output, TRIGGER.output_schema)


def _d():  # noqa: ANN202
    from datetime import date

    return date(2025, 3, 10)


@responses.activate
@pytest.mark.parametrize("status", ["RECEIVED", "CONFIRMED", "RECEIVED_IN_CASH", "REFUNDED"])
def test_check_payment_open_skips_a_paid_payment(ctx: Context, status: str) -> None:
    responses.get(f"{BASE}/payments/pay_a", json=_payment("pay_a", "2025-03-10", status))
    with pytest.raises(SkipError, match="already paid / removed"):
        ACTION.run(ctx, {"id": "pay_a"})


@responses.activate
def test_check_payment_open_skips_a_removed_payment(ctx: Context) -> None:
    responses.get(f"{BASE}/payments/pay_gone", status=404, json={"errors": [{"code": "not_found"}]})
    responses.get(f"{BASE}/payments/pay_del", json={**_payment("pay_del", "2025-03-10"), "deleted": True})
    for pid in ("pay_gone", "pay_del"):
        with pytest.raises(SkipError):
            ACTION.run(ctx, {"id": pid})


@responses.activate
def test_check_payment_open_returns_an_open_payment_and_skips_a_moved_due_date(ctx: Context) -> None:
    responses.get(f"{BASE}/payments/pay_a", json=_payment("pay_a", "2025-03-10", "OVERDUE"))
    assert ACTION.run(ctx, {"id": "pay_a"})["status"] == "OVERDUE"
    assert ACTION.run(ctx, {"id": "pay_a", "due_date": "2025-03-10"})["id"] == "pay_a"
    with pytest.raises(SkipError, match="due date"):
        ACTION.run(ctx, {"id": "pay_a", "due_date": "2025-03-01"})


def test_today_is_the_business_day_in_its_zone() -> None:
    from datetime import UTC, date, datetime

    from connectors.asaas.reminders import today_in_brazil

    late_evening = datetime(2026, 3, 11, 2, 30, tzinfo=UTC)  # 23:30 in São Paulo, 22:30 in Manaus
    assert today_in_brazil(late_evening) == date(2026, 3, 10)
    assert today_in_brazil(late_evening, "America/Manaus") == date(2026, 3, 10)
    assert today_in_brazil(late_evening, "America/Noronha") == date(2026, 3, 11)  # already 00:30
