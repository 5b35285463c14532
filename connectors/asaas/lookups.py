"""Option lists for the wizard: billing types and payment statuses (the properties' static choices,
as lookups for API callers), customers (live)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.sdk import Choices, Context, Lookup

from .client import client_for, page_items
from .fields import BILLING_TYPES, PAYMENT_STATUSES
from .summaries import CATALOG


def _options(choices: Choices, ctx: Context) -> list[dict[str, Any]]:
    """The static choices of a property, labelled in the asking person's language."""
    return [{"value": o.value, "label": CATALOG.gettext(o.label, ctx.locale)} for o in choices.options]


def billing_types(ctx: Context, params: Mapping[str, Any]) -> list[dict[str, Any]]:
    return _options(BILLING_TYPES, ctx)


def payment_statuses(ctx: Context, params: Mapping[str, Any]) -> list[dict[str, Any]]:
    return _options(PAYMENT_STATUSES, ctx)


NO_DOCUMENT = "no CPF/CNPJ"


def customers(ctx: Context, params: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Up to 20 customers whose name contains ``q`` (one GET; the wizard calls it as the user types)."""
    query: dict[str, Any] = {"limit": 20}
    if params.get("q"):
        query["name"] = str(params["q"])
    page = client_for(ctx).get("/customers", params=query)
    return [
        {"value": c.get("id"),
         "label": f"{c.get('name')} ({c.get('cpfCnpj') or CATALOG.gettext(NO_DOCUMENT, ctx.locale)})"}
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
