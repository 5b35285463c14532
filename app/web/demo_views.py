"""Demo-only buttons: "simulate a new Asaas charge" and "simulate a signature" (``make demo``).

They exist only when the demo stack set ``DEMO_ASAAS_URL`` / ``DEMO_ZAPSIGN_URL`` (the local
doubles); they ask the double to do what a person would do in Asaas's or ZapSign's own web app,
and the double then calls Ponte's webhook like the real service would.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

import requests
from flask import abort, current_app, flash, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required

from app.web import bp

CUSTOMERS = [
    {"name": "Maria Souza", "cpfCnpj": "24971563792", "email": "maria.souza@example.com"},
    {"name": "João da Silva", "cpfCnpj": "52998224725", "email": "joao.silva@example.com"},
    {"name": "Padaria Pão Quente Ltda", "cpfCnpj": "11222333000181", "email": "financeiro@paoquente.example"},
]
TEMPLATE_ID = "c2a8b6a4-1f0e-4b53-9a57-5f0c2e8d7a10"


def demo_enabled() -> bool:
    return bool(current_app.config.get("DEMO_ASAAS_URL") and current_app.config.get("DEMO_ZAPSIGN_URL"))


@bp.app_context_processor
def _demo_flag() -> dict[str, bool]:
    return {"demo_enabled": demo_enabled()}


def _post(url: str, body: dict) -> bool:
    try:
        requests.post(url, json=body, timeout=5).raise_for_status()
    except requests.RequestException as exc:
        flash(_("The demo double did not answer: %(error)s", error=exc.__class__.__name__), "error")
        return False
    return True


@bp.post("/demo/charge")
@login_required
def demo_charge() -> ResponseReturnValue:
    if not demo_enabled():
        abort(404)
    customer = random.choice(CUSTOMERS)  # noqa: S311 - demo data
    body = {"customer": customer, "billingType": random.choice(["BOLETO", "PIX"]),  # noqa: S311
            "value": random.choice([150.0, 480.0, 1234.56, 2500.0]),  # noqa: S311
            "dueDate": (date.today() + timedelta(days=10)).isoformat(), "description": "Consultoria mensal"}
    if _post(f"{current_app.config['DEMO_ASAAS_URL']}/_sandbox/payments", body):
        flash(_("A new charge was created in the Asaas double; its run appears below in a moment."), "success")
    return redirect(url_for("web.runs"))


@bp.post("/demo/signature")
@login_required
def demo_signature() -> ResponseReturnValue:
    if not demo_enabled():
        abort(404)
    customer = random.choice(CUSTOMERS)  # noqa: S311 - demo data
    due = date.today() + timedelta(days=15)
    body = {"template_id": TEMPLATE_ID, "name": f"Contrato {customer['name']}",
            "signers": [{"name": customer["name"], "email": customer["email"]}], "sign": True,
            "answers": {"NOME COMPLETO": customer["name"], "CPF": customer["cpfCnpj"], "VALOR": "1.500,00",
                        "VENCIMENTO": due.strftime("%d/%m/%Y"), "EMAIL DO CLIENTE": customer["email"]}}
    if _post(f"{current_app.config['DEMO_ZAPSIGN_URL']}/_sandbox/docs", body):
        flash(_("A contract was signed in the ZapSign double; its run appears below in a moment."), "success")
    return redirect(url_for("web.runs"))
