"""Option lists for the wizard: billing types and payment statuses (static), customers (live)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.sdk import Context, Lookup

from .client import client_for, page_items

BILLING_TYPES: tuple[tuple[str, str, str], ...] = (
    ("UNDEFINED", "Pergunte ao cliente (boleto, Pix ou cartão)", "Let the payer choose"),
    ("BOLETO", "Boleto bancário", "Bank slip (boleto)"),
    ("PIX", "Pix", "Pix"),
    ("CREDIT_CARD", "Cartão de crédito", "Credit card"),
)

PAYMENT_STATUSES: tuple[tuple[str, str, str], ...] = (
    ("PENDING", "Aguardando pagamento", "Pending"),
    ("CONFIRMED", "Pagamento confirmado (saldo ainda não disponível)", "Confirmed"),
    ("RECEIVED", "Recebida", "Received"),
    ("RECEIVED_IN_CASH", "Recebida em dinheiro", "Received in cash"),
    ("OVERDUE", "Vencida", "Overdue"),
    ("REFUND_REQUESTED", "Estorno solicitado", "Refund requested"),
    ("REFUND_IN_PROGRESS", "Estorno em processamento", "Refund in progress"),
    ("REFUNDED", "Estornada", "Refunded"),
    ("CHARGEBACK_REQUESTED", "Chargeback recebido", "Chargeback requested"),
    ("CHARGEBACK_DISPUTE", "Em disputa de chargeback", "Chargeback in dispute"),
    ("AWAITING_CHARGEBACK_REVERSAL", "Disputa vencida, aguardando repasse", "Awaiting chargeback reversal"),
    ("DUNNING_REQUESTED", "Negativação solicitada", "Dunning requested"),
    ("DUNNING_RECEIVED", "Recuperada (negativação)", "Dunning received"),
    ("AWAITING_RISK_ANALYSIS", "Em análise de risco", "Awaiting risk analysis"),
)


def _options(rows: tuple[tuple[str, str, str], ...]) -> list[dict[str, Any]]:
    return [{"value": value, "label": pt, "label_en": en} for value, pt, en in rows]


def billing_types(ctx: Context, params: Mapping[str, Any]) -> list[dict[str, Any]]:
    return _options(BILLING_TYPES)


def payment_statuses(ctx: Context, params: Mapping[str, Any]) -> list[dict[str, Any]]:
    return _options(PAYMENT_STATUSES)


def customers(ctx: Context, params: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Up to 20 customers whose name contains ``q`` (one GET; the wizard calls it as the user types)."""
    query: dict[str, Any] = {"limit": 20}
    if params.get("q"):
        query["name"] = str(params["q"])
    page = client_for(ctx).get("/customers", params=query)
    return [
        {"value": c.get("id"), "label": f"{c.get('name')} ({c.get('cpfCnpj') or 'sem CPF/CNPJ'})"}
        for c in page_items(page, "/customers")
        if not c.get("deleted")
    ]


LOOKUPS: tuple[Lookup, ...] = (
    Lookup(key="billing_types", title="Billing types", run=billing_types),
    Lookup(key="payment_statuses", title="Payment statuses", run=payment_statuses),
    Lookup(
        key="customers",
        title="Customers",
        run=customers,
        params_schema={"type": "object", "properties": {"q": {"type": "string", "description": "name"}}},
    ),
)
