from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from app.engine.coerce import CoerceError, resolve_relative_date, to_bool, to_datetime, to_number, to_text


@pytest.mark.parametrize(("text", "expected"), [
    ("1.234,56", 1234.56), ("R$ 1.234,56", 1234.56), ("R$\u00a010,00", 10.0), ("10,5", 10.5),
    ("10.5", 10.5), ("1.000", 1000.0), ("0.125", 0.125), ("1.234.567", 1234567.0), ("1,234.56", 1234.56),
    ("-3,5", -3.5), (7, 7.0),
])
def test_brazilian_and_plain_numbers_are_read(text: object, expected: float) -> None:
    assert to_number(text) == expected


@pytest.mark.parametrize("bad", ["abc", "", "1,2,3.4.5x", True, None, [1]])
def test_non_numbers_raise_coerce_error_naming_the_value(bad: object) -> None:
    with pytest.raises(CoerceError, match="not a number"):
        to_number(bad)


@pytest.mark.parametrize(("text", "expected", "has_time"), [
    ("2024-06-20", datetime(2024, 6, 20), False),
    ("20/06/2024", datetime(2024, 6, 20), False),
    ("2024-06-20 14:30:00", datetime(2024, 6, 20, 14, 30), True),
    ("2024-06-20T14:30:00Z", datetime(2024, 6, 20, 14, 30, tzinfo=UTC), True),
    ("20/06/2024 14:30", datetime(2024, 6, 20, 14, 30), True),
    (date(2024, 6, 20), datetime(2024, 6, 20), False),
])
def test_dates_in_iso_asaas_and_brazilian_formats(text: object, expected: datetime, has_time: bool) -> None:
    assert to_datetime(text) == (expected, has_time)


def test_an_offset_is_kept_and_a_missing_one_left_naive() -> None:
    moment, has_time = to_datetime("2025-03-10T23:00-03:00")
    assert (moment, has_time, moment.utcoffset()) == (datetime(2025, 3, 11, 2, tzinfo=UTC), True,
                                                      timedelta(hours=-3))
    assert to_datetime("2025-03-10 23:00:00")[0].tzinfo is None


def test_impossible_date_is_a_coerce_error() -> None:
    with pytest.raises(CoerceError, match="not a date"):
        to_datetime("31/02/2024")


def test_relative_dates_use_the_given_today() -> None:
    today = date(2024, 6, 20)
    assert resolve_relative_date("today", today) == today
    assert resolve_relative_date("today-5d", today) == today - timedelta(days=5)
    assert resolve_relative_date("today+3d", today) == today + timedelta(days=3)


@pytest.mark.parametrize(("value", "expected"), [("sim", True), ("Não", False), ("true", True), (0, False)])
def test_booleans_in_portuguese_and_english(value: object, expected: bool) -> None:
    assert to_bool(value) is expected


def test_text_drops_the_point_zero_of_whole_floats() -> None:
    assert to_text(10.0) == "10" and to_text(10.5) == "10.5" and to_text(None) == ""
