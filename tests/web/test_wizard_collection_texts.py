"""The collection-rule wizard's reminder texts: editable subject and body per day, the live preview
on the sample payment (R$, dd/mm/aaaa), problems at the field in the page's language, HTML escaped,
and a saved rule that sends the edited words (and opens again with them)."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.collection import rule
from app.db import get_session
from app.engine.mapping import compile_mapping
from app.models import Recipe
from connectors.asaas.reminders import today_in_brazil
from connectors.mail.templates import render_html
from sandbox import asaas as asaas_double
from sandbox.server import RunningServer
from tests.web.test_wizard_collection import EN, PT, _days_form, _draft_document, _start


@pytest.fixture
def accounts(make_connection: Callable[..., int]) -> Iterator[dict[str, str]]:
    """An Asaas connection on the double and an SMTP sender."""
    server: RunningServer = asaas_double.serve()
    make_connection("asaas", "Asaas produção", api_key=asaas_double.DEFAULT_API_KEY, base_url=f"{server.url}/v3")
    make_connection("email", "SMTP financeiro", host="127.0.0.1", port=2525, security="none",
                    from_address="financeiro@example.com")
    yield {"asaas": "Asaas produção", "email": "SMTP financeiro", "url": server.url}
    server.stop()

BODY = "Oi {{ name }}, sua fatura de {{amount}} venceu em {{ due_date }}.\n\n<b>Sem multa</b> até sexta & obrigado!"
SAVED = BODY.replace("{{amount}}", "{{ amount }}")  # placeholders are written back with their spaces


def _ready(client: FlaskClient, accounts: dict[str, str]) -> str:
    base = _start(client)
    client.post(f"{base}/accounts", data={"payments_connection": accounts["asaas"],
                                          "email_connection": accounts["email"]})
    client.post(f"{base}/steps", data=_days_form(("-5", PT), ("7", EN)))
    return base


def _texts_form(page: str) -> dict[str, str]:
    """The texts screen's fields as the browser would send them."""
    form = dict(re.findall(r'<input type="text" name="(subject_-?\d+)" id="[^"]+" value="([^"]*)"', page))
    bodies = re.findall(r'<textarea[^>]*name="(body_-?\d+)"[^>]*>(.*?)</textarea>', page, re.S)
    form.update({name: html.unescape(text) for name, text in bodies})
    return form


def test_texts_start_with_the_templates_words_and_preview_on_the_sample(
        operator_client: FlaskClient, accounts: dict[str, str]) -> None:
    base = _ready(operator_client, accounts)
    page = operator_client.get(f"{base}/texts").get_data(as_text=True)
    assert "Textos dos lembretes" in page and "+ inserir name" in page
    form = _texts_form(page)
    assert form["subject_-5"] == "Lembrete: sua cobrança vence em breve"
    assert form["subject_7"] == "Overdue payment: please settle it"
    assert "vence em 5 dias" in form["body_-5"] and "7 days ago" in form["body_7"]
    preview = operator_client.post(f"{base}/reminder-texts", data=form).get_data(as_text=True)
    assert "R$ 450,00" in preview and "10/03/2025" in preview  # the sample payment, as people read it
    assert 'hx-swap-oob="true"' in preview


def test_an_edited_text_is_previewed_escaped_and_saved_as_a_map_by_day(
        operator_client: FlaskClient, accounts: dict[str, str], app: Flask) -> None:
    base = _ready(operator_client, accounts)
    form = _texts_form(operator_client.get(f"{base}/texts").get_data(as_text=True))
    form.update({"subject_-5": "Sua fatura vence logo", "body_-5": BODY})
    preview = operator_client.post(f"{base}/reminder-texts", data=form).get_data(as_text=True)
    assert "Sua fatura vence logo" in preview
    assert "Oi Marina Costa Andrade, sua fatura de R$ 450,00 venceu em 10/03/2025." in preview
    assert "&lt;b&gt;Sem multa&lt;/b&gt; até sexta &amp; obrigado!" in preview and "<b>Sem" not in preview
    response = operator_client.post(f"{base}/texts", data={**form, "go": "next"})
    assert response.status_code == 302 and response.location.endswith("/today")
    document = _draft_document(app, base)
    fields = rule.email_step(document)["input"]
    assert fields["subject"]["format"][0]["map"] == {"-5": "Sua fatura vence logo",
                                                     "7": "Overdue payment: please settle it"}
    assert fields["html_template"]["format"][0]["map"] == {"-5": "custom:-5", "7": EN}
    # what the engine sends on D-5: the edited words, values escaped by the sandbox
    event = {"customer": {"name": "Ana <script>", "email": "ana@example.com"},
             "payment": {"value": 1234.56, "invoiceUrl": "https://x/i/1"},
             "reminder": {"offset": -5, "phase": "before", "days": 5, "due_date": "2025-03-10"}, "steps": {}}
    sent = compile_mapping(fields, where="test").apply(event).value
    html = render_html(sent["html_template"], sent["variables"])
    assert sent["subject"] == "Sua fatura vence logo"
    assert "Oi Ana &lt;script&gt;, sua fatura de R$ 1.234,56 venceu em 10/03/2025." in html
    assert "&lt;b&gt;Sem multa&lt;/b&gt;" in html and 'href="https://x/i/1"' in html
    due = (today_in_brazil() + timedelta(days=5)).isoformat()  # its D-5 is today
    requests.post(f"{accounts['url']}/_sandbox/payments", timeout=5, json={
        "customer": {"name": "Gil Souza", "email": "gil@example.com"}, "dueDate": due}).raise_for_status()
    today = operator_client.get(f"{base}/today").get_data(as_text=True)
    assert "Gil Souza" in today and "Lembrete em português (pt-BR), com texto próprio" in today
    # the screen opens again with the texts as saved
    page = operator_client.get(f"{base}/texts").get_data(as_text=True)
    assert _texts_form(page)["body_-5"] == SAVED and "editado" in page
    operator_client.post(f"{base}/finish", data={"name": "Régua editada", "enabled": "1", "go": "save"})
    with app.app_context():
        recipe = get_session().scalar(select(Recipe).where(Recipe.name == "Régua editada"))
        assert rule.read_steps(rule.email_step(recipe.definition)["input"], [-5, 7]) == (
            {-5: PT, 7: EN}, {-5: ("Sua fatura vence logo", SAVED)})


def test_untouched_texts_keep_the_shipped_template(operator_client: FlaskClient, accounts: dict[str, str],
                                                   app: Flask) -> None:
    base = _ready(operator_client, accounts)
    form = _texts_form(operator_client.get(f"{base}/texts").get_data(as_text=True))
    assert operator_client.post(f"{base}/texts", data={**form, "go": "next"}).status_code == 302
    fields = rule.email_step(_draft_document(app, base))["input"]
    assert fields == rule.email_input({-5: PT, 7: EN})  # no custom: entry


def test_a_template_error_is_shown_at_the_field_in_the_pages_language(
        operator_client: FlaskClient, accounts: dict[str, str], app: Flask) -> None:
    base = _ready(operator_client, accounts)
    form = _texts_form(operator_client.get(f"{base}/texts").get_data(as_text=True))
    bad = {**form, "body_-5": "Olá {{ nome }}", "body_7": "{% for x in y %}oi{% endfor %}", "subject_7": ""}
    preview = operator_client.post(f"{base}/reminder-texts", data=bad).get_data(as_text=True)
    assert re.search(r'id="err-body_-5"[^>]*hx-swap-oob="true">\{\{ nome \}\} não é um marcador', preview)
    page = operator_client.post(f"{base}/texts", data={**bad, "go": "next"}).get_data(as_text=True)
    assert "Alguns textos dos lembretes precisam de ajuste" in page
    assert re.search(r'id="err-body_7" role="alert">Só são permitidos marcadores', page)
    assert re.search(r'id="err-subject_7" role="alert">Escreva algo aqui.', page)
    assert "Olá {{ nome }}" in page  # what was typed is kept
    assert "custom:" not in str(rule.email_step(_draft_document(app, base))["input"])  # nothing written
    operator_client.post("/locale", data={"locale": "en"})
    preview = operator_client.post(f"{base}/reminder-texts", data=bad).get_data(as_text=True)
    assert "{{ nome }} is not a placeholder here" in preview
