"""Money and dates typed the page's way, and the filter screen's tree of rows and groups."""

from __future__ import annotations

from typing import Any

import pytest

from app.engine.filters import compile_filters
from app.web import filter_tree
from app.web.filter_values import format_date, format_number, parse_date, parse_number


@pytest.mark.parametrize(("text", "locale", "expected"), [
    ("1.234,56", "pt_BR", 1234.56), ("R$ 1.234,56", "pt_BR", 1234.56), ("10,5", "pt_BR", 10.5),
    ("1.000", "pt_BR", 1000), ("100", "pt_BR", 100), ("-3,25", "pt_BR", -3.25),
    ("1,234.56", "en", 1234.56), ("R$1,234.56", "en", 1234.56), ("1234.56", "en", 1234.56), ("1,000", "en", 1000),
    ("10,5", "en", None), ("abc", "pt_BR", None), ("", "pt_BR", None), ("1.2.3,4,5", "pt_BR", None),
])
def test_money_is_read_the_way_the_page_types_it(text: str, locale: str, expected: float | None) -> None:
    assert parse_number(text, locale) == expected


def test_money_is_shown_back_the_way_the_page_types_it() -> None:
    assert format_number(1234.56, "pt_BR", money=True) == "1.234,56"
    assert format_number(1234.56, "en", money=True) == "1,234.56"
    assert format_number(100, "pt_BR", money=True) == "100,00"
    assert format_number("100,00", "pt_BR", money=True) == "100,00"  # a hand-written recipe's text
    assert format_number("abc", "pt_BR") == "abc"
    assert parse_number(format_number(0.1 + 0.2, "pt_BR", money=True), "pt_BR") == 0.3


@pytest.mark.parametrize(("text", "locale", "expected"), [
    ("20/06/2024", "pt_BR", "2024-06-20"), ("5/3/2025", "pt_BR", "2025-03-05"), ("06/20/2024", "en", "2024-06-20"),
    ("2024-06-20", "pt_BR", "2024-06-20"), ("2024-06-20", "en", "2024-06-20"), ("hoje-3d", "pt_BR", "today-3d"),
    ("today + 5d", "en", "today+5d"), ("31/02/2024", "pt_BR", None), ("20/06/2024", "en", None),
    ("32/13/2025", "pt_BR", None), ("amanhã", "pt_BR", None),
])
def test_dates_are_read_the_way_the_page_types_them(text: str, locale: str, expected: str | None) -> None:
    assert parse_date(text, locale) == expected


def test_dates_are_shown_back_the_way_the_page_types_them() -> None:
    assert format_date("2024-06-20", "pt_BR") == "20/06/2024"
    assert format_date("2024-06-20", "en") == "06/20/2024"
    assert format_date("today-3d", "pt_BR") == "hoje-3d"
    assert format_date("today-3d", "en") == "today-3d"
    assert format_date("2024-06-20T10:00:00Z", "pt_BR") == "2024-06-20T10:00:00Z"  # not a day: as is


STATUS = {"field": "$.payment.status", "op": "equals", "value": "PENDING"}
NO_REF = {"field": "$.payment.externalReference", "op": "is_empty"}
NOT_PONTE = {"field": "$.payment.externalReference", "op": "not_starts_with", "value": "ponte-"}


@pytest.mark.parametrize("filters", [
    [STATUS, {"any": [NO_REF, NOT_PONTE]}],
    {"any": [NO_REF, NOT_PONTE]},
    {"any": [{"all": [STATUS, NO_REF]}, {"all": [STATUS, NOT_PONTE]}]},  # the classic OR of AND groups
    [STATUS],
    [],
])
def test_a_filters_block_round_trips_through_the_screen_rows(filters: Any) -> None:
    tree = filter_tree.tree_of(filters)
    assert tree is not None
    assert filter_tree.filters_of(tree) == filters
    compile_filters(filters)  # and the engine accepts it


def test_two_rows_in_an_any_group_are_one_nested_group() -> None:
    tree = {"mode": "all", "items": [STATUS, {"mode": "any", "items": [NO_REF, NOT_PONTE]}]}
    assert filter_tree.filters_of(tree) == [STATUS, {"any": [NO_REF, NOT_PONTE]}]
    assert [rid for rid, _ in filter_tree.conditions(tree)] == ["0", "1-0", "1-1"]


def test_blank_rows_and_empty_groups_are_left_out() -> None:
    blank = {"field": "", "op": ""}
    tree = {"mode": "any", "items": [blank, {"mode": "all", "items": [blank]}, NO_REF]}
    assert filter_tree.filters_of(tree) == {"any": [NO_REF]}
    assert filter_tree.filters_of({"mode": "all", "items": [blank]}) == []


def test_groups_deeper_than_the_screen_are_not_offered_for_editing() -> None:
    assert filter_tree.tree_of([{"any": [{"all": [STATUS, NO_REF]}, NOT_PONTE]}]) is None
