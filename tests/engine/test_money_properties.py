"""Money to the cent and dates in words, as properties over every amount Asaas accepts.

An amount Asaas accepts has at most two decimals; it reaches Ponte as a JSON number (a float after
``json.loads``) or as text an admin typed. Whatever the route, formatting it and reading the text
back must give the same amount, and rounding is half-up to the cent, never float noise.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given
from hypothesis import strategies as st

from app.engine.coerce import to_cents, to_datetime, to_decimal, to_number, to_text
from app.engine.formatters import compile_pipeline
from app.web.formatting import money
from connectors.asaas.payments import _as_sent, _cents
from connectors.sdk import parse_json

BRL = compile_pipeline(["brl"])
NUMBER_BR = compile_pipeline(["number_br"])

# Up to R$ 99.999.999.999,99: thirteen significant digits, well inside what a float's repr keeps.
cents_amounts = st.integers(min_value=1, max_value=9_999_999_999_999).map(lambda c: Decimal(c) / 100)
three_decimals = st.integers(min_value=-10**12, max_value=10**12).map(lambda m: Decimal(m) / 1000)


def as_json_number(amount: Decimal) -> float:
    """What a webhook body's number becomes: the JSON text parsed as Ponte parses deliveries."""
    return parse_json(json.dumps({"value": float(str(amount))}))["value"]


@given(cents_amounts)
def test_any_amount_asaas_accepts_formats_and_parses_back_to_itself(amount: Decimal) -> None:
    for value in (as_json_number(amount), str(amount), amount):
        shown = BRL(value)
        assert shown.startswith("R$ ")
        assert to_decimal(shown) == amount
        assert to_decimal(NUMBER_BR(value)) == amount
        assert to_decimal(money(value, "pt_BR")) == amount


@given(cents_amounts)
def test_any_amount_asaas_accepts_is_sent_to_asaas_exactly(amount: Decimal) -> None:
    cents = _cents(as_json_number(amount))
    assert cents == int(amount * 100)
    assert Decimal(json.dumps(_as_sent(cents))) == amount  # the body's text is the amount itself


@given(three_decimals)
def test_rounding_is_half_up_to_the_cent_whatever_the_route(amount: Decimal) -> None:
    expected = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    floated = float(str(amount))
    typed = str(amount).replace(".", ",")  # "1.001" typed is a thousand and one, as a Brazilian reads it
    assert to_cents(floated) == to_cents(typed) == to_cents(amount) == expected
    assert to_decimal(BRL(floated)) == expected
    assert _cents(floated) == int(expected * 100)


@given(cents_amounts)
def test_brazilian_text_reads_back_as_the_same_amount(amount: Decimal) -> None:
    typed = NUMBER_BR(amount)  # 1.234,56: the way an admin types it in a recipe
    assert to_decimal(typed) == to_decimal("R$ " + typed) == amount
    assert to_number(typed) == float(amount)


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2199, 12, 31)))
def test_a_formatted_date_reads_back_as_the_same_day(day: date) -> None:
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        assert to_datetime(compile_pipeline([{"date": fmt}])(day.isoformat()))[0].date() == day


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2199, 12, 31)))
def test_month_names_are_never_english_in_portuguese(day: date) -> None:
    text = compile_pipeline([{"date": "%d de %B de %Y"}])(day.isoformat())
    english = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
               "October", "November", "December")
    assert not any(word in text for word in english)
    assert text.endswith(f" de {day.year}")


def test_brl_rounds_half_up_from_the_json_number() -> None:
    assert BRL(2.675) == "R$ 2,68"  # float(2.675) is 2.67499999…; its text is 2.675
    assert BRL(2.665) == "R$ 2,67" and money(2.665, "pt_BR") == "R$ 2,67"  # half-even would say 2,66
    assert BRL(-0.005) == "-R$ 0,01"
    assert NUMBER_BR(1234.565) == "1.234,57"


def test_month_and_day_names_come_from_babel_in_the_steps_locale() -> None:
    assert compile_pipeline([{"date": "%d de %B de %Y"}])("2025-03-10") == "10 de março de 2025"
    assert compile_pipeline([{"date": "%A, %d/%m"}])("2025-03-10") == "segunda-feira, 10/03"
    english = compile_pipeline([{"date": {"format": "%B %d, %Y (%a)", "locale": "en"}}])
    assert english("2025-03-10") == "March 10, 2025 (Mon)"
    assert compile_pipeline([{"date": "100%% em %b"}])("2025-03-10") == "100% em mar."


def test_a_decimal_is_text_without_exponent_or_trailing_zeros() -> None:
    assert to_text(Decimal("10.00")) == "10" and to_text(Decimal("1E+2")) == "100"
    assert to_text(Decimal("2.50")) == "2.50"
