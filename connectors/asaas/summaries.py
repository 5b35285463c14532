"""One line per run for the run list: "R$ 1.234,56 · Ana Souza · pay_…" (the value in the page's
locale, the customer, the payment id), from a trigger's or an action's output."""

from __future__ import annotations

from typing import Any

from babel.numbers import format_currency

from connectors.sdk import catalog_beside, normalise_locale

CATALOG = catalog_beside(__file__)
PAYMENTS_LISTED = "%(count)d payment(s)"


def money(value: Any, locale: str) -> str | None:
    """``1234.56`` → "R$ 1.234,56" (pt-BR) or "R$1,234.56" (en); None for anything not a number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return format_currency(value, "BRL", locale=normalise_locale(locale))


def _join(*parts: Any) -> str:
    return " · ".join(str(p) for p in parts if p not in (None, ""))


def payment_line(payment: Any, customer: Any, locale: str) -> str:
    payment = payment if isinstance(payment, dict) else {}
    name = customer.get("name") if isinstance(customer, dict) else None
    return _join(money(payment.get("value"), locale), name, payment.get("id"))


def event_summary(output: dict[str, Any], locale: str) -> str:
    """A payment event (or reminder): its value, its customer's name, its id."""
    return payment_line(output.get("payment"), output.get("customer"), locale)


def payment_summary(output: dict[str, Any], locale: str) -> str:
    """A payment read or created: its value, its billing type, its id."""
    return _join(money(output.get("value"), locale), output.get("billingType"), output.get("id"))


def customer_summary(output: dict[str, Any], locale: str) -> str:
    return _join(output.get("name"), output.get("cpfCnpj"), output.get("id"))


def list_summary(output: dict[str, Any], locale: str) -> str:
    count = output.get("totalCount")
    count = count if isinstance(count, int) else len(output.get("data") or [])
    return CATALOG.gettext(PAYMENTS_LISTED, locale) % {"count": count}
