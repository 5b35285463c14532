"""Events nothing uses are still shown: the connection page lists every stored event and why it
started nothing; the wizard's picker keeps the everyday triggers first, the rest under headings."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.db import get_session
from app.engine.executor import EmbeddedExecutor
from app.engine.recipes import save_recipe
from app.models import Connection, Run
from connectors.zapsign.triggers import WEBHOOK_EXAMPLES

TOKEN = "Ab3xK9mQz7LpW2vR8nT5yU4hJ6gF1dSa"  # meets Asaas's token rules
SECRET = "Zs" * 24  # noqa: S105 - a test secret of the length Ponte generates


def _deliver(client: FlaskClient, uid: str, body: dict[str, Any], headers: dict[str, str]) -> None:
    response = client.post(f"/webhooks/{uid}", data=json.dumps(body), content_type="application/json",
                           headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)


def _uid(app: Flask, connection_id: int) -> str:
    with app.app_context():
        return get_session().get(Connection, connection_id).uid


def _envelope(event_id: str, event: str) -> dict[str, Any]:
    return {"id": event_id, "event": event, "dateCreated": "2026-11-23 10:00:00",
            "payment": {"object": "payment", "id": "pay_080225913252", "customer": None, "value": 150.0,
                        "billingType": "BOLETO", "status": "PENDING", "dueDate": "2026-12-10"}}


def test_events_no_trigger_covers_are_shown_with_why_nothing_ran(
        app: Flask, admin_client: FlaskClient, make_connection: Callable[..., int]) -> None:
    asaas = make_connection("asaas", "asaas", api_key="$aact_hmlg_000", webhook_token=TOKEN,
                            base_url="http://127.0.0.1:9/v3")
    make_connection("email", "smtp", host="127.0.0.1", port=2525, from_address="p@example.com")
    with app.app_context():
        result = save_recipe(get_session(), {
            "key": "paid", "name": "Paid", "trigger": {"connection": "asaas", "event": "asaas.payment_created"},
            "filters": [{"field": "$.event", "op": "equals", "value": "never"}],
            "steps": [{"key": "mail", "action": "email.send_email", "connection": "smtp",
                       "input": {"to": "ops@example.com", "subject": "x", "body": "y"}}]})
        assert not result.errors, result.errors
    headers = {"asaas-access-token": TOKEN}
    uid = _uid(app, asaas)
    _deliver(admin_client, uid, {"id": "evt_t1&1", "event": "TRANSFER_CREATED", "dateCreated": "2026-11-23 10:00:00",
                                 "transfer": {"object": "transfer", "id": "tra_1", "value": 10.0}}, headers)
    _deliver(admin_client, uid, {"id": "evt_i1&1", "event": "INVOICE_CREATED", "invoice": {"id": "inv_1"}}, headers)
    _deliver(admin_client, uid, _envelope("evt_p1&1", "PAYMENT_BANK_SLIP_VIEWED"), headers)  # a trigger, no recipe
    _deliver(admin_client, uid, _envelope("evt_p2&1", "PAYMENT_CREATED"), headers)  # the recipe's event
    EmbeddedExecutor(app).run_until_idle()
    _deliver(admin_client, uid, _envelope("evt_p3&1", "PAYMENT_OVERDUE"), headers)  # arrives after the executor ran
    with app.app_context():
        run_id = get_session().scalar(select(Run.id))

    page = admin_client.get(f"/connections/{asaas}").get_data(as_text=True)
    section = page[page.index('id="recent-events"'):]
    assert "Últimos eventos recebidos" in section
    rows = {m.group(1): m.group(0) for m in re.finditer(
        r'<tr class="event-[a-z_]+">.*?(?:<code>|<span title=")([A-Z_]+)(?:</code>|">).*?</tr>', section, re.S)}
    assert set(rows) == {"TRANSFER_CREATED", "INVOICE_CREATED", "PAYMENT_BANK_SLIP_VIEWED", "PAYMENT_CREATED",
                         "PAYMENT_OVERDUE"}
    for uncovered in ("TRANSFER_CREATED", "INVOICE_CREATED"):
        assert 'class="event-no_trigger"' in rows[uncovered] and "Evento sem gatilho no Ponte" in rows[uncovered]
        assert "nenhuma automação usa este evento: o Ponte ainda não tem gatilho" in rows[uncovered]
    assert 'class="event-no_recipe"' in rows["PAYMENT_BANK_SLIP_VIEWED"]
    assert "Boleto visualizado" in rows["PAYMENT_BANK_SLIP_VIEWED"]
    assert "nenhuma automação usa este evento</span>" in rows["PAYMENT_BANK_SLIP_VIEWED"]
    assert f'href="/runs/{run_id}">1 execução</a>' in rows["PAYMENT_CREATED"]
    assert "aguardando processamento" in rows["PAYMENT_OVERDUE"]

    admin_client.post("/locale", data={"locale": "en", "next": "/"})
    english = admin_client.get(f"/connections/{asaas}").get_data(as_text=True)
    assert "Last events received" in english and "Event with no trigger in Ponte" in english
    assert "no automation uses this event" in english and "Bank slip viewed" in english


def test_zapsign_events_say_whether_a_trigger_or_its_options_left_them_out(
        app: Flask, admin_client: FlaskClient, make_connection: Callable[..., int]) -> None:
    zapsign = make_connection("zapsign", "zapsign", api_token="zs-api", webhook_secret=SECRET,
                              base_url="http://127.0.0.1:9/api/v1")
    make_connection("email", "smtp", host="127.0.0.1", port=2525, from_address="p@example.com")
    with app.app_context():
        result = save_recipe(get_session(), {  # fires once, when everyone has signed
            "key": "signed", "name": "Signed", "trigger": {"connection": "zapsign", "event": "zapsign.document_signed"},
            "steps": [{"key": "mail", "action": "email.send_email", "connection": "smtp",
                       "input": {"to": "ops@example.com", "subject": "x", "body": "y"}}]})
        assert not result.errors, result.errors
    first_signature = copy.deepcopy(WEBHOOK_EXAMPLES["doc_signed"]) | {"status": "pending"}
    uid = _uid(app, zapsign)
    _deliver(admin_client, uid, first_signature, {"X-Ponte-Secret": SECRET})
    _deliver(admin_client, uid, {"event_type": "folder_archived", "folder": "/contratos/"}, {"X-Ponte-Secret": SECRET})
    EmbeddedExecutor(app).run_until_idle()
    page = admin_client.get(f"/connections/{zapsign}").get_data(as_text=True)
    assert "<code>folder_archived</code>" in page and "o Ponte ainda não tem gatilho" in page
    signed_row = page[page.index('<tr class="event-not_fired">'):]
    signed_row = signed_row[:signed_row.index("</tr>")]
    assert "Documento assinado" in signed_row and "as opções do gatilho o deixam de fora" in signed_row


def test_a_connection_with_no_event_says_so(admin_client: FlaskClient, make_connection: Callable[..., int]) -> None:
    zapsign = make_connection("zapsign", "zapsign", api_token="zs-api", webhook_secret=SECRET)
    assert "Nenhum evento recebido ainda." in admin_client.get(f"/connections/{zapsign}").get_data(as_text=True)


def test_the_trigger_picker_puts_everyday_events_first_and_groups_the_rest(operator_client: FlaskClient) -> None:
    base = operator_client.post("/automations/new", data={"template": "blank"}).location.rsplit("/", 1)[0]
    page = operator_client.get(f"{base}/trigger").get_data(as_text=True)
    select_html = page[page.index('<select name="event"'):]
    select_html = select_html[:select_html.index("</select>")]
    groups = re.findall(r'<optgroup label="([^"]+)">(.*?)</optgroup>', select_html, re.S)
    labels = [label for label, _ in groups]
    assert labels.index("Asaas") < labels.index("ZapSign") < labels.index("Asaas: Outros eventos de cobrança")
    assert labels.index("ZapSign") < labels.index("ZapSign: Outros eventos de documento e de signatário")
    options = {label: re.findall(r'<option value="([^"]+)"', body) for label, body in groups}
    assert "asaas.payment_received" in options["Asaas"] and "asaas.payment_any" in options["Asaas"]
    others = options["Asaas: Outros eventos de cobrança"]
    assert len(others) == 21 and "asaas.payment_chargeback_requested" in others
    assert "asaas.payment_received" not in others
    assert "zapsign.document_viewed" in options["ZapSign: Outros eventos de documento e de signatário"]
    assert options["ZapSign"] == ["zapsign.document_signed", "zapsign.document_refused", "zapsign.document_created"]
    assert "Asaas: Estorno em processamento" in select_html and "ZapSign: Documento visualizado" in select_html
    assert "Os eventos mais usados vêm primeiro" in page
    chosen = operator_client.post(f"{base}/trigger", data={"event": "asaas.payment_chargeback_requested",
                                                           "action": "email.send_email"})
    assert chosen.status_code in (200, 302)
    again = operator_client.get(f"{base}/trigger").get_data(as_text=True)
    assert '<option value="asaas.payment_chargeback_requested" selected>' in again
