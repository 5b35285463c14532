"""The collection dashboard page and its CSV: the hand-computed fixture, read from a mocked Asaas
(``responses``) and from runs stored as the engine stores them, in pt-BR and English."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from urllib.parse import parse_qs, urlparse

import pytest
import responses
import time_machine
from flask import Flask
from flask.testing import FlaskClient

from app.collection import dashboard_data
from app.collection.preview import TRIGGER_KEY
from app.db import get_session
from app.models import Event, Recipe, Run, utcnow
from tests.collection.dashboard_fixture import PAYMENTS, REMINDERS
from tests.web.conftest import ASAAS_KEY

BASE = "https://asaas.test/v3"


@pytest.fixture
def today() -> Iterator[None]:
    with time_machine.travel("2025-03-20T15:00:00+00:00", tick=True):
        yield


@pytest.fixture
def asaas_api() -> Iterator[responses.RequestsMock]:
    """GET /payments answers the fixture's payments of the asked status, 2 per page (paging is tested)."""
    dashboard_data.forget()

    def listing(request):  # type: ignore[no-untyped-def]
        query = {k: v[0] for k, v in parse_qs(urlparse(request.url).query).items()}
        found = [p for p in PAYMENTS if p["status"] == query.get("status")
                 and p["dueDate"] >= query.get("dueDate[ge]", "0000")]
        offset = int(query.get("offset", 0))
        page = found[offset:offset + 2]
        return 200, {}, json.dumps({"object": "list", "data": page, "hasMore": offset + 2 < len(found),
                                    "totalCount": len(found), "limit": 2, "offset": offset})

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(responses.GET, f"{BASE}/payments", callback=listing)
        yield mock
    dashboard_data.forget()


@pytest.fixture
def rule(app: Flask, make_connection: Callable[..., int]) -> int:
    """A collection rule on the connection, and its reminder runs (the fixture's reminders)."""
    asaas = make_connection("asaas", "Asaas produção", api_key=ASAAS_KEY, base_url=BASE)
    with app.app_context():
        session = get_session()
        recipe = Recipe(key="regua", name="Régua", source="wizard", version=1, enabled=True,
                        trigger_connection_id=asaas, trigger_key=TRIGGER_KEY,
                        definition={"key": "regua", "trigger": {"connection": "Asaas produção", "event": TRIGGER_KEY,
                                                                "options": {"offsets": [-5, 0, 1, 7]}}, "steps": []})
        fees = Recipe(key="regua_fees", name="Multa", source="wizard", version=1, enabled=True,
                      trigger_connection_id=asaas, trigger_key=TRIGGER_KEY,
                      definition={"key": "regua_fees", "trigger": {"connection": "Asaas produção", "event": TRIGGER_KEY,
                                                                     "options": {"offsets": [90]}},
                                  "steps": [{"key": "fees", "action": "asaas.apply_fees"}]})
        session.add_all([recipe, fees])  # the fee step on the same trigger is not a reminder, nor the last step
        session.flush()
        for n, item in enumerate(REMINDERS):
            payload = {"payment": {"id": item.payment_id},
                       "reminder": {"offset": item.offset, "date": item.day.isoformat()}}
            event = Event(connection_id=asaas, dedupe_key=f"r{n}", event_type="PAYMENT_DUE_REMINDER",
                          payload=payload, source="poll", recipe_id=recipe.id)
            session.add(event)
            session.flush()
            session.add(Run(recipe_id=recipe.id, recipe_version=1, event_id=event.id, dedupe_key=f"run{n}",
                            status=item.status, attempt=1, finished_at=utcnow(),
                            trigger_output={"customer": {"name": item.customer_name}}))
        session.commit()
    return asaas


def test_dashboard_shows_the_fixture_figures_in_pt_br(today: None, rule: int, asaas_api: responses.RequestsMock,
                                                      operator_client: FlaskClient) -> None:
    page = operator_client.get("/collection").get_data(as_text=True)
    assert 'id="open-total">R$ 350,10<' in page
    assert 'id="overdue-total">R$ 2.180,67<' in page
    assert 'id="recovery-rate">66,7 %<' in page
    assert 'id="average-days">4,3<' in page
    assert "1 a 15 dias" in page and "R$ 1.334,55" in page and "mais de 60 dias" in page
    assert "<svg" in page and 'id="aging-chart"' in page and 'id="steps-chart"' in page
    assert "D-5" in page and "D+7" in page
    assert "pay_09" in page and "Carla Dias" in page and "o último lembrete falhou" in page
    assert "19/01/2025" in page  # pay_08's due date, dd/mm/aaaa
    assert 'href="/collection"' in page  # in the nav


def test_payments_are_cached_until_refresh(today: None, rule: int, asaas_api: responses.RequestsMock,
                                           operator_client: FlaskClient) -> None:
    operator_client.get("/collection")
    calls = len(asaas_api.calls)
    assert calls == 8  # 2 a page: PENDING 2 (4 listed), OVERDUE 3 (6), RECEIVED, CONFIRMED, IN_CASH 1 each
    operator_client.get("/collection")
    assert len(asaas_api.calls) == calls  # cached
    response = operator_client.post("/collection/refresh", data={"connection": str(rule)})
    assert response.status_code == 302
    operator_client.get(response.location)
    assert len(asaas_api.calls) == 2 * calls


def test_dashboard_in_english(today: None, rule: int, asaas_api: responses.RequestsMock,
                              operator_client: FlaskClient) -> None:
    operator_client.post("/locale", data={"locale": "en"})
    page = operator_client.get("/collection").get_data(as_text=True)
    assert 'id="open-total">R$350.10<' in page
    assert 'id="overdue-total">R$2,180.67<' in page
    assert 'id="recovery-rate">66.7 %<' in page
    assert "1 to 15 days" in page and "over 60 days" in page and "the last reminder failed" in page
    assert "Payments that need a person" in page


def test_csv_pt_br_uses_semicolons_and_decimal_commas(today: None, rule: int, asaas_api: responses.RequestsMock,
                                                       operator_client: FlaskClient) -> None:
    response = operator_client.get(f"/collection.csv?connection={rule}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert 'filename="cobranca-2025-03-20.csv"' in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0][:3] == ["Cobrança", "Cliente", "Valor (R$)"]
    by_id = {row[0]: row for row in rows[1:]}
    assert set(by_id) == {f"pay_0{n}" for n in range(1, 10)}
    assert by_id["pay_04"][2:7] == ["1234,56", "05/03/2025", "vencida", "15", "1 a 15 dias"]
    assert by_id["pay_08"][2] == "2,68"
    assert by_id["pay_01"][4:6] == ["a vencer", "0"]
    assert by_id["pay_09"][1] == "Carla Dias" and by_id["pay_09"][7] == "o último lembrete falhou"
    total = sum(int(row[2].replace(",", "")) for row in rows[1:])
    assert total == 253077  # the page's open + overdue, to the cent


def test_csv_in_english_uses_commas(today: None, rule: int, asaas_api: responses.RequestsMock,
                                    operator_client: FlaskClient) -> None:
    operator_client.post("/locale", data={"locale": "en"})
    text = operator_client.get("/collection.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "Payment"
    assert {row[0]: row for row in rows[1:]}["pay_04"][2:5] == ["1234.56", "2025-03-05", "overdue"]


def test_a_rejected_key_is_a_message_not_a_500(today: None, rule: int, operator_client: FlaskClient) -> None:
    dashboard_data.forget()
    with responses.RequestsMock() as mock:
        mock.add(responses.GET, f"{BASE}/payments", status=401,
                 json={"errors": [{"code": "invalid_access_token", "description": "Chave inválida"}]})
        response = operator_client.get("/collection")
        assert response.status_code == 200
        assert 'id="collection-problem"' in response.get_data(as_text=True)
        assert operator_client.get("/collection.csv").status_code == 502
    assert ASAAS_KEY not in response.get_data(as_text=True)


def test_without_an_asaas_connection(operator_client: FlaskClient) -> None:
    page = operator_client.get("/collection").get_data(as_text=True)
    assert "Nenhuma conexão Asaas" in page
    assert operator_client.get("/collection.csv").status_code == 404


def test_csv_cells_never_start_a_formula() -> None:
    from app.web.collection_views import cell

    assert cell("=HYPERLINK(\"http://x\")") == "'=HYPERLINK(\"http://x\")"
    assert cell("+55 11") == "'+55 11" and cell("@x") == "'@x" and cell("Ana Souza") == "Ana Souza"
