"""ZapSign's part of the HTTP layer: base URL per environment, Bearer auth, error-body parser.

Everything else (timeouts, retries on 429/5xx, ``Retry-After``, the mapping to typed errors) is the
SDK's :class:`~connectors.sdk.HttpClient`. ZapSign allows 500 requests per minute per token or IP in
fixed one-minute windows and answers 429 beyond that; the SDK waits and retries.
"""

from __future__ import annotations

from typing import Any

import requests

from connectors.sdk import ConfigError, Context, HttpClient, response_json

SERVICE = "ZapSign"
BASE_URLS = {
    "sandbox": "https://sandbox.api.zapsign.com.br/api/v1",
    "production": "https://api.zapsign.com.br/api/v1",
}
APP_URLS = {
    "sandbox": "https://sandbox.app.zapsign.com.br",
    "production": "https://app.zapsign.com.br",
}

# Appended to the body's message: the status alone says what the user has to fix.
STATUS_HINTS = {
    402: "the ZapSign API plan is required to use the API in production; subscribe to it, "
    "or use the sandbox environment",
    403: "the API token belongs to the other ZapSign environment; check that the connection's "
    "environment (sandbox or production) matches where the token was created",
}


def body_message(response: requests.Response) -> str:
    """The message in one of ZapSign's error shapes: ``{"detail"}``, ``{"message"}``, ``{"error"}``.

    DRF field errors (``{"signer_name": ["Este campo é obrigatório."]}``) become
    ``signer_name: Este campo é obrigatório.``; anything else, a short excerpt of the body.
    """
    try:
        body = response_json(response)
    except ValueError:
        return (response.text or "").strip()[:300] or response.reason or f"HTTP {response.status_code}"
    if isinstance(body, dict):
        for key in ("detail", "message", "error"):
            if isinstance(body.get(key), str) and body[key]:
                return str(body[key])
        parts = []
        for key, value in body.items():
            text = "; ".join(map(str, value)) if isinstance(value, list) else str(value)
            parts.append(f"{key}: {text}")
        if parts:
            return " | ".join(parts)[:300]
    if isinstance(body, list) and body:
        return "; ".join(map(str, body))[:300]
    return str(body)[:300] or f"HTTP {response.status_code}"


def parse_error(response: requests.Response) -> str:
    """The error-body parser given to the HttpClient: the body's message plus a hint by status."""
    message = body_message(response)
    hint = STATUS_HINTS.get(response.status_code)
    return f"{message} ({hint})" if hint else message


def environment(config: Any) -> str:
    env = config.get("environment") or "sandbox"
    if env not in BASE_URLS:
        raise ConfigError(f"unknown ZapSign environment {env!r}; use 'sandbox' or 'production'")
    return str(env)


def base_url(config: Any) -> str:
    """The API root: the ``base_url`` override (the local double) or the environment's URL."""
    override = (config.get("base_url") or "").strip()
    return override.rstrip("/") if override else BASE_URLS[environment(config)]


def sign_url(config: Any, signer_token: str) -> str:
    """The signing link ZapSign builds for a signer, for list results that do not carry it."""
    return f"{APP_URLS[environment(config)]}/verificar/{signer_token}"


def client_for(ctx: Context) -> HttpClient:
    """An HttpClient for the connection in ``ctx``; raises ConfigError when the token is missing."""
    token = (ctx.get("api_token") or "").strip()
    if not token:
        raise ConfigError("the ZapSign connection has no API token")
    return HttpClient(
        base_url(ctx.config),
        service=SERVICE,
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json",
                 "User-Agent": "Ponte (+zapsign connector)"},
        error_parser=parse_error,
        sleep=ctx.sleep,
    )


def check_credentials(ctx: Context) -> str:
    """One cheap authenticated call (the first page of templates); returns a line for the user."""
    try:
        body = client_for(ctx).get("/templates/", params={"page": 1})
    except ConfigError as exc:
        if exc.status_code == 403:  # ZapSign's documented 403: a token from the other environment
            exc.reason = "environment"
        raise
    count = body.get("count") if isinstance(body, dict) else None
    where = "local double" if ctx.get("base_url") else environment(ctx.config)
    found = f"; {count} template(s) found" if isinstance(count, int) else ""
    return f"Connected to ZapSign ({where}){found}"
