from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from app.engine.formatters import FORMATTERS, FormatterError, FormatterSpecError, compile_pipeline


@pytest.mark.parametrize(("spec", "value", "expected"), [
    (["brl"], 1234.56, "R$ 1.234,56"),
    (["brl"], "-10,5", "-R$ 10,50"),
    (["number_br"], 1234567.891, "1.234.567,89"),
    (["number"], "R$ 1.234,56", 1234.56),
    (["integer"], "1.000", 1000),
    (["string"], 10.0, "10"),
    ([{"date": "%d/%m/%Y"}], "2024-06-20", "20/06/2024"),
    ([{"date": "%d/%m/%Y %H:%M"}], "2024-06-20 14:30:00", "20/06/2024 14:30"),
    ([{"date": "%Y-%m-%d"}], "20/06/2024", "2024-06-20"),
    (["upper"], "maria", "MARIA"),
    (["lower"], "Maria.Silva@Example.com", "maria.silva@example.com"),
    (["title"], "maria da silva", "Maria Da Silva"),
    (["trim"], "  x  ", "x"),
    (["digits"], "(11) 98765-4321", "11987654321"),
    (["cpf_cnpj"], "52998224725", "529.982.247-25"),
    (["cpf_cnpj"], "11.222.333/0001-81", "11.222.333/0001-81"),
    (["phone_br"], "(11) 98765-4321", "5511987654321"),
    ([{"phone_br": "national"}], "+55 11 98765-4321", "11987654321"),
    ([{"default": "sem descrição"}], "", "sem descrição"),
    ([{"join": ", "}], ["a", "b"], "a, b"),
    ([{"map": {"BOLETO": "Boleto", "PIX": "Pix"}}], "PIX", "Pix"),
    ([{"map": {"BOLETO": "Boleto"}, "default": "Outro"}], "CREDIT_CARD", "Outro"),
    ([{"truncate": 5}], "Mensalidade", "Mensa"),
    ([{"split": ","}], "a, b,c", ["a", "b", "c"]),
    (["first"], ["a", "b"], "a"),
    (["last"], ["a", "b"], "b"),
    (["trim", "upper", {"truncate": 3}], "  pix ", "PIX"),
])
def test_each_formatter(spec: list[Any], value: Any, expected: Any) -> None:
    assert compile_pipeline(spec)(value) == expected


@pytest.mark.parametrize(("fmt", "value", "expected"), [
    ("%d/%m/%Y", "2025-02-25T01:30Z", "24/02/2025"),  # 22:30 on the 24th in São Paulo
    ("%d/%m/%Y %H:%M", "2025-02-25T01:30:00+00:00", "24/02/2025 22:30"),
    ("%Y-%m-%d", "2025-02-24T23:30:00-03:00", "2025-02-24"),
    ("%d/%m/%Y %H:%M", "2025-02-25T04:30:00+02:00", "24/02/2025 23:30"),
    # Dates and times without an offset are already São Paulo's: shown as written.
    ("%d/%m/%Y %H:%M", "2025-02-25 01:30:00", "25/02/2025 01:30"),
    ("%d/%m/%Y", "2025-02-25", "25/02/2025"),
    ("%Y-%m-%d", "25/02/2025", "2025-02-25"),
])
def test_date_shows_a_moment_in_the_business_zone(fmt: str, value: str, expected: str) -> None:
    assert compile_pipeline([{"date": fmt}])(value) == expected


def test_date_uses_the_configured_zone(make_app: Callable[..., Flask]) -> None:
    pipeline = compile_pipeline([{"date": "%d/%m/%Y %H:%M"}])
    with make_app(PONTE_TIMEZONE="UTC").app_context():
        assert pipeline("2025-02-25T01:30Z") == "25/02/2025 01:30"
    assert pipeline("2025-02-25T01:30Z") == "24/02/2025 22:30"


def test_every_formatter_is_covered() -> None:
    assert set(FORMATTERS) == {"brl", "number_br", "number", "integer", "string", "date", "upper", "lower",
                               "title", "trim", "digits", "cpf_cnpj", "phone_br", "default", "join", "map",
                               "truncate", "split", "first", "last"}


@pytest.mark.parametrize(("spec", "value", "message"), [
    (["cpf_cnpj"], "52998224700", "cpf_cnpj: '52998224700' is not a valid CPF (check digits do not match)"),
    (["cpf_cnpj"], "123", "cpf_cnpj: '123' has 3 digits; a CPF has 11 and a CNPJ 14"),
    (["brl"], "abc", "brl: 'abc' is not a number"),
    (["integer"], "10,5", "integer: '10,5' is not a whole number"),
    ([{"map": {"BOLETO": "Boleto", "PIX": "Pix"}}], "TED",
     "map: 'TED' is not in the table (keys: BOLETO, PIX); add it or give the map a default"),
    (["phone_br"], "123", "phone_br: '123' is not a Brazilian phone (DDD + 8 or 9 digits)"),
    (["first"], [], "first: the list is empty"),
])
def test_formatter_failures_name_the_formatter_and_value(spec: list[Any], value: Any, message: str) -> None:
    with pytest.raises(FormatterError) as caught:
        compile_pipeline(spec)(value)
    assert str(caught.value) == message


def test_bad_pipelines_are_refused_at_load_with_every_problem() -> None:
    with pytest.raises(FormatterSpecError) as caught:
        compile_pipeline(["uppr", "date", {"truncate": "x"}, {"map": {"A": 1}, "fallback": 2}])
    assert [index for index, _ in caught.value.problems] == [0, 1, 2, 3]
    assert caught.value.problems[0][1].startswith("unknown formatter 'uppr'; valid formatters: brl, ")
    assert caught.value.problems[1][1] == "formatter 'date' needs an argument, e.g. {date: ...}"
