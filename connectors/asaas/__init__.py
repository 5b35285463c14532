"""The Asaas connector (key ``asaas``): payment and subscription webhooks in; customers, payments and
subscriptions out.

See ``docs/connectors/asaas.md`` for what each trigger and action does and how retries stay safe.
"""

from __future__ import annotations

from connectors.sdk import ConfigError, Connector, Context

from .client import AUTH_SCHEMA, client_for, key_environment_mismatch
from .customers import FIND_OR_CREATE_CUSTOMER
from .digest import CHECK_OVERDUE_OPEN, OVERDUE_DIGEST, OVERDUE_LISTED
from .fees import APPLY_FEES
from .lookups import LOOKUPS, NO_DOCUMENT
from .payments import CREATE_PAYMENT, GET_PAYMENT, LIST_PAYMENTS
from .reminders import CHECK_PAYMENT_OPEN, PAYMENT_DUE_REMINDER
from .subscription_actions import SUBSCRIPTION_ACTIONS
from .subscriptions import SUBSCRIPTION_TRIGGERS
from .summaries import CATALOG, PAYMENTS_LISTED
from .triggers import TRIGGERS
from .webhook import SENSITIVE, WEBHOOK, token_problems
from .webhook_admin import WEBHOOK_ADMIN


def test_credentials(ctx: Context) -> str:
    """One cheap authenticated call (``GET /customers?limit=1``) and a sentence for the user."""
    token = ctx.get("webhook_token")
    if token:
        problems = token_problems(str(token))
        if problems:
            raise ConfigError("the webhook token would be refused by Asaas: " + "; ".join(problems),
                              reason="settings")
    try:
        page = client_for(ctx).get("/customers", params={"limit": 1})
    except ConfigError as exc:
        if exc.status_code == 401:
            hint = key_environment_mismatch(ctx.config)
            raise ConfigError(
                "Asaas refused the API key (HTTP 401 invalid_access_token): check that it was copied "
                "whole, including the leading $, and that it belongs to the chosen environment"
                + (f" ({hint})" if hint else ""),
                internal_message=exc.internal_message, status_code=401,
                reason="environment" if hint else "unauthorized",
            ) from None
        raise
    environment = "custom URL" if ctx.get("base_url") else ctx.get("environment") or "sandbox"
    total = page.get("totalCount")
    customers = f"; the account has {total} customer(s)" if isinstance(total, int) else ""
    return f"Connected to Asaas ({environment}){customers}."


CONNECTOR = Connector(
    key="asaas",
    title="Asaas",
    description="Billing (cobranças) with boleto, Pix and card: react to payment events, find or create "
    "customers, create and read payments.",
    auth_schema=AUTH_SCHEMA,
    test_credentials=test_credentials,
    triggers=(*TRIGGERS, PAYMENT_DUE_REMINDER, OVERDUE_DIGEST, *SUBSCRIPTION_TRIGGERS),
    actions=(FIND_OR_CREATE_CUSTOMER, CREATE_PAYMENT, GET_PAYMENT, LIST_PAYMENTS, CHECK_PAYMENT_OPEN,
             APPLY_FEES, CHECK_OVERDUE_OPEN, *SUBSCRIPTION_ACTIONS),
    lookups=LOOKUPS,
    webhook=WEBHOOK,
    webhook_admin=WEBHOOK_ADMIN,
    catalog=CATALOG,
    messages=(PAYMENTS_LISTED, NO_DOCUMENT, OVERDUE_LISTED),
    sensitive=SENSITIVE,
)

__all__ = ["CONNECTOR", "test_credentials"]
