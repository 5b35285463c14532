from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from flask import Flask

from app.engine.filters import FilterSpecError, compile_filters
from app.engine.regex import HINT

TODAY = date(2024, 6, 20)
DOC: dict[str, Any] = {
    "event": "PAYMENT_CREATED",
    "payment": {"id": "pay_1", "value": 1234.56, "valueText": "R$ 1.234,56", "billingType": "PIX",
                "dueDate": "2024-06-18", "dateCreated": "2024-06-10 09:15:00", "brDate": "19/06/2024",
                "description": "Mensalidade Junho", "deleted": False, "confirmed": "sim",
                "tags": ["vip", "recorrente"], "empty": "  ", "nothing": None},
}


def passes(condition: dict[str, Any], doc: dict[str, Any] = DOC) -> bool:
    return compile_filters([condition]).evaluate(doc, today=TODAY).passed


@pytest.mark.parametrize(("condition", "expected"), [
    ({"field": "$.payment.billingType", "op": "equals", "value": "pix"}, True),
    ({"field": "$.payment.billingType", "op": "equals", "value": "pix", "case_sensitive": True}, False),
    ({"field": "$.payment.value", "op": "equals", "value": "1.234,56"}, True),
    ({"field": "$.payment.billingType", "op": "not_equals", "value": "BOLETO"}, True),
    ({"field": "$.payment.description", "op": "contains", "value": "junho"}, True),
    ({"field": "$.payment.tags", "op": "contains", "value": "VIP"}, True),
    ({"field": "$.payment.description", "op": "not_contains", "value": "julho"}, True),
    ({"field": "$.payment.description", "op": "starts_with", "value": "mensal"}, True),
    ({"field": "$.payment.description", "op": "ends_with", "value": "JUNHO"}, True),
    ({"field": "$.payment.billingType", "op": "in", "value": ["BOLETO", "PIX"]}, True),
    ({"field": "$.payment.billingType", "op": "not_in", "value": ["BOLETO", "CREDIT_CARD"]}, True),
    ({"field": "$.payment.value", "op": "greater", "value": "1.000,00"}, True),
    ({"field": "$.payment.valueText", "op": "greater_or_equal", "value": 1234.56}, True),
    ({"field": "$.payment.value", "op": "less", "value": "R$ 1.234,56"}, False),
    ({"field": "$.payment.value", "op": "less_or_equal", "value": "1234,56"}, True),
    ({"field": "$.payment.value", "op": "between", "value": ["1.000", "2.000,00"]}, True),
    ({"field": "$.payment.dueDate", "op": "before", "value": "today"}, True),
    ({"field": "$.payment.dueDate", "op": "after", "value": "today-5d"}, True),
    ({"field": "$.payment.brDate", "op": "after", "value": "2024-06-18"}, True),
    ({"field": "$.payment.dateCreated", "op": "before", "value": "11/06/2024"}, True),
    ({"field": "$.payment.dueDate", "op": "after", "value": "today+3d"}, False),
    ({"field": "$.payment.confirmed", "op": "is_true"}, True),
    ({"field": "$.payment.deleted", "op": "is_false"}, True),
    ({"field": "$.payment.id", "op": "exists"}, True),
    ({"field": "$.payment.nothing", "op": "exists"}, False),
    ({"field": "$.payment.absent", "op": "not_exists"}, True),
    ({"field": "$.payment.empty", "op": "is_empty"}, True),
    ({"field": "$.payment.absent", "op": "is_empty"}, True),
    ({"field": "$.payment.tags", "op": "not_empty"}, True),
    ({"field": "$.payment.id", "op": "matches", "value": "^PAY_\\d+$"}, True),
    ({"field": "$.payment.id", "op": "matches", "value": "^PAY_", "case_sensitive": True}, False),
    ({"field": "$.payment.value", "op": "equals", "value": "1234", "type": "string"}, False),
    ({"field": "$.payment.dueDate", "op": "equals", "value": "18/06/2024", "type": "date"}, True),
])
def test_each_operator_with_brazilian_coercions(condition: dict[str, Any], expected: bool) -> None:
    assert passes(condition) is expected


def test_value_that_cannot_be_coerced_is_false_with_an_explanation() -> None:
    result = compile_filters([{"field": "$.payment.description", "op": "greater", "value": 10}]).evaluate(DOC)
    assert result.passed is False
    assert result.failed is not None and result.failed.actual == "Mensalidade Junho"
    assert result.explanation == ("$.payment.description greater 10 failed: actual 'Mensalidade Junho' "
                                  "(cannot compare: 'Mensalidade Junho' is not a number)")


def test_a_missing_field_fails_comparisons_and_says_so() -> None:
    result = compile_filters([{"field": "$.payment.absent", "op": "not_equals", "value": "x"}]).evaluate(DOC)
    assert not result.passed
    assert "the event has no value at this path" in result.explanation


def test_or_of_and_groups_passes_when_any_group_passes() -> None:
    spec = {"any": [
        {"all": [{"field": "$.payment.billingType", "op": "equals", "value": "BOLETO"}]},
        {"all": [{"field": "$.payment.billingType", "op": "equals", "value": "PIX"},
                 {"field": "$.payment.value", "op": "greater", "value": 100}]},
    ]}
    result = compile_filters(spec).evaluate(DOC)
    assert result.passed and result.explanation == "group 2 passed"
    assert [g.passed for g in result.groups] == [False, True]


def test_failed_result_names_the_stopping_condition_and_is_json() -> None:
    spec = [{"field": "$.payment.billingType", "op": "in", "value": ["PIX"]},
            {"field": "$.payment.value", "op": "greater_or_equal", "value": "5.000,00"},
            {"field": "$.payment.id", "op": "exists"}]
    result = compile_filters(spec).evaluate(DOC)
    assert not result.passed
    assert result.failed is not None and result.failed.op == "greater_or_equal"
    stored = json.loads(json.dumps(result.to_dict()))
    assert stored["failed"]["actual"] == 1234.56
    assert len(stored["groups"][0]["conditions"]) == 2  # stopped at the failing one


def test_no_group_passing_explains_each_group() -> None:
    spec = {"any": [{"all": [{"field": "$.a", "op": "exists"}]},
                    {"all": [{"field": "$.b", "op": "is_true"}]}]}
    result = compile_filters(spec).evaluate({"b": "talvez"})
    assert result.explanation == ("no group passed: group 1: $.a exists failed: actual no value; group 2: "
                                  "$.b is_true failed: actual 'talvez' (cannot compare: 'talvez' is not a "
                                  "boolean)")


def test_relative_dates_follow_the_injected_clock() -> None:
    filters = compile_filters([{"field": "$.d", "op": "after", "value": "today-5d"}],
                              clock=lambda: datetime(2024, 1, 10, 12, tzinfo=UTC))
    assert filters.evaluate({"d": "2024-01-06"}).passed
    assert not filters.evaluate({"d": "2024-01-06"}, today=date(2024, 2, 1)).passed


# 22:30 on 10 March in São Paulo, already the 11th in UTC (the server's zone).
LATE_EVENING = datetime(2025, 3, 11, 1, 30, tzinfo=ZoneInfo("UTC"))
IS_TODAY = [{"field": "$.d", "op": "equals", "value": "today", "type": "date"}]


def test_today_is_the_date_in_sao_paulo_not_on_a_utc_server() -> None:
    with time_machine.travel(LATE_EVENING, tick=False):  # also sets the process zone to UTC
        assert date.today() == date(2025, 3, 11)
        filters = compile_filters(IS_TODAY + [{"field": "$.d", "op": "after", "value": "today-5d"}])
        assert filters.evaluate({"d": "2025-03-10"}).passed
        assert not filters.evaluate({"d": "2025-03-11"}).passed


def test_today_is_computed_at_each_evaluation_not_at_compile_time() -> None:
    filters = compile_filters(IS_TODAY)
    with time_machine.travel(LATE_EVENING, tick=False):
        assert filters.evaluate({"d": "2025-03-10"}).passed
    with time_machine.travel(LATE_EVENING + timedelta(hours=3), tick=False):
        assert filters.evaluate({"d": "2025-03-11"}).passed


def test_today_follows_the_configured_zone(make_app: Callable[..., Flask]) -> None:
    filters = compile_filters(IS_TODAY, clock=lambda: LATE_EVENING)
    with make_app(PONTE_TIMEZONE="Asia/Tokyo").app_context():
        assert filters.evaluate({"d": "2025-03-11"}).passed
    assert filters.evaluate({"d": "2025-03-11"}, zone=ZoneInfo("Asia/Tokyo")).passed
    assert compile_filters(IS_TODAY, clock=lambda: LATE_EVENING, zone=UTC).evaluate({"d": "2025-03-11"}).passed
    assert filters.evaluate({"d": "2025-03-10"}).passed  # outside an app: São Paulo


@pytest.mark.parametrize(("actual", "op", "value", "expected"), [
    # 23:00 in São Paulo is 02:00Z on the 11th: after 01:00Z, not before it.
    ("2025-03-10T23:00-03:00", "before", "2025-03-11T01:00Z", False),
    ("2025-03-10T23:00-03:00", "after", "2025-03-11T01:00Z", True),
    ("2025-03-10T23:00:00-03:00", "equals", "2025-03-11T02:00:00Z", True),
    # A time without an offset (Asaas "YYYY-MM-DD HH:MM:SS") is São Paulo time.
    ("2025-03-10 23:30:00", "after", "2025-03-11T02:00Z", True),
    ("2025-03-11T02:00Z", "before", "10/03/2025 23:30", True),
    # Against a date only, a moment counts as the day it is in São Paulo.
    ("2025-03-11T01:00Z", "equals", "10/03/2025", True),
    ("2025-03-11T01:00Z", "before", "2025-03-11", True),
    ("2025-03-11T04:00Z", "equals", "2025-03-11", True),
    ("20/06/2024", "equals", "2024-06-20", True),
])
def test_dates_with_offsets_compare_as_instants(actual: str, op: str, value: str, expected: bool) -> None:
    condition = {"field": "$.d", "op": op, "value": value, "type": "date"}
    assert compile_filters([condition]).evaluate({"d": actual}, today=TODAY).passed is expected


def test_no_filters_pass_every_event() -> None:
    assert compile_filters(None).evaluate({}).passed


def test_compile_reports_every_problem_with_its_location() -> None:
    with pytest.raises(FilterSpecError) as caught:
        compile_filters([
            {"field": "payment.value", "op": "equals", "value": 1},
            {"field": "$.x", "op": "matches", "value": "(unclosed"},
            {"field": "$.x", "op": "greater", "value": "muito"},
            {"field": "$.x", "op": "between", "value": [1]},
            {"field": "$.x", "op": "nearly", "value": 1},
        ])
    assert caught.value.problems == [
        ((0, "field"), "JSONPath 'payment.value' must start with '$' (the event root)"),
        ((1, "value"), f"bad regular expression '(unclosed': missing ) ({HINT})"),
        ((2, "value"), "value 'muito' cannot be read as number: 'muito' is not a number"),
        ((3, "value"), "operator 'between' needs value: [low, high]"),
        ((4, "op"), "unknown operator 'nearly'; valid operators: equals, not_equals, contains, not_contains, "
                    "starts_with, ends_with, not_starts_with, not_ends_with, in, not_in, "
                    "greater, greater_or_equal, less, less_or_equal, "
                    "between, before, after, is_true, is_false, matches, exists, not_exists, is_empty, "
                    "not_empty"),
    ]


def test_overlong_regex_is_refused_at_load() -> None:
    with pytest.raises(FilterSpecError, match="at most 500 characters"):
        compile_filters([{"field": "$.x", "op": "matches", "value": "a" * 501}])


def test_not_starts_with_passes_other_prefixes_and_fails_a_missing_field() -> None:
    from app.engine.filters import compile_filters

    compiled = compile_filters([{"field": "$.ref", "op": "not_starts_with", "value": "ponte-"}])
    assert compiled.evaluate({"ref": "pedido-9"}).passed
    assert not compiled.evaluate({"ref": "ponte-3-2"}).passed
    assert not compiled.evaluate({}).passed  # absence is tested with exists / not_exists


PONTE_RULE: list[Any] = [
    {"field": "$.payment.status", "op": "equals", "value": "PENDING"},
    {"any": [{"field": "$.payment.externalReference", "op": "is_empty"},
             {"field": "$.payment.externalReference", "op": "not_starts_with", "value": "ponte-"}]},
]


@pytest.mark.parametrize(("reference", "status", "expected"), [
    (None, "PENDING", True), ("", "PENDING", True), ("erp-7", "PENDING", True),
    ("ponte-42-2", "PENDING", False), ("erp-7", "RECEIVED", False),
])
def test_a_nested_any_group_inside_all(reference: str | None, status: str, expected: bool) -> None:
    doc = {"payment": {"status": status, "externalReference": reference}}
    assert compile_filters(PONTE_RULE).evaluate(doc).passed is expected


def test_a_nested_group_result_is_stored_with_its_mode_and_says_why() -> None:
    result = compile_filters(PONTE_RULE).evaluate({"payment": {"status": "PENDING", "externalReference": "ponte-1"}})
    stored = json.loads(json.dumps(result.to_dict()))
    assert stored["groups"][0]["mode"] == "all"
    nested = stored["groups"][0]["groups"][0]
    assert nested["mode"] == "any" and [c["passed"] for c in nested["conditions"]] == [False, False]
    assert result.failed is not None and result.failed.op == "is_empty"
    assert result.explanation.startswith("none passed: $.payment.externalReference is_empty failed")


def test_a_root_any_may_hold_conditions_directly_and_stops_at_the_first_that_passes() -> None:
    spec = {"any": [{"field": "$.payment.billingType", "op": "equals", "value": "PIX"},
                    {"field": "$.payment.absent", "op": "exists"}]}
    result = compile_filters(spec).evaluate(DOC)
    assert result.passed and result.explanation == "group 1 passed"
    assert len(result.groups) == 1


def test_groups_nest_at_most_three_levels_and_every_problem_has_its_place() -> None:
    deep = {"all": [{"any": [{"all": [{"any": [{"field": "$.a", "op": "exists"}]}]}]},
                    {"field": "$.b", "op": "among", "value": 1}]}
    with pytest.raises(FilterSpecError) as caught:
        compile_filters(deep)
    places = [where for where, _ in caught.value.problems]
    assert ("all", 0, "any", 0, "all", 0) in places
    assert ("all", 1, "op") in places
