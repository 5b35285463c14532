"""Money and dates as Brazilians write them, and the language switch."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import Flask
from flask.testing import FlaskClient

from app.db import get_session
from app.models import User
from app.web.formatting import day, moment, money
from tests.conftest import Person


def test_money_in_pt_br_and_en() -> None:
    assert money(1234.56, "pt_BR") == "R$ 1.234,56"
    assert money("450", "pt_BR") == "R$ 450,00"
    assert money(1234.56, "en") == "R$1,234.56"
    assert money(None, "pt_BR") == "" and money("abc", "pt_BR") == "abc"


def test_dates_in_pt_br_and_en(app: Flask) -> None:
    with app.app_context():
        assert day(date(2025, 3, 10), "pt_BR") == "10/03/2025"
        assert day("2025-03-10", "pt_BR") == "10/03/2025"
        assert day(date(2025, 3, 10), "en") == "Mar 10, 2025"
        # 02:30 UTC is still the 9th in São Paulo.
        assert moment(datetime(2025, 3, 10, 2, 30, tzinfo=UTC), "pt_BR") == "09/03/2025 23:30:00"


def test_locale_switch_is_saved_on_the_user(admin_client: FlaskClient, admin: Person, app: Flask) -> None:
    assert "Execuções" in admin_client.get("/runs").get_data(as_text=True)
    admin_client.post("/locale", data={"locale": "en", "next": "/runs"})
    assert "No run yet: a run appears here" in admin_client.get("/runs").get_data(as_text=True)
    with app.app_context():
        assert get_session().get(User, admin.id).locale == "en"


def test_login_page_is_in_portuguese_by_default(client: FlaskClient) -> None:
    assert "Entrar" in client.get("/login").get_data(as_text=True)


def test_filter_values_are_written_as_in_the_wizard(app: Flask) -> None:
    from app.web.labels import condition_value, error_kind_label, field_label

    with app.test_request_context():
        assert condition_value(["BOLETO", "PIX"]) == "BOLETO; PIX"
        assert condition_value(1234.5) == "1.234,5" and condition_value(50.0) == "50"
        assert condition_value(None) == "(vazio)" and condition_value(True) == "sim"
        assert error_kind_label("transient") == "falha temporária"
        assert error_kind_label("brand_new") == "brand new"
        assert field_label("$.payment.value") == "payment.value"
