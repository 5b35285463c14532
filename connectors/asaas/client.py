"""The Asaas API client: base URL per environment, auth headers, error bodies, pagination.

Everything else (timeouts, retries, ``Retry-After`` / ``RateLimit-Reset``, the error tree) is the
SDK's :class:`~connectors.sdk.HttpClient`. Asaas quirks handled here:

* ``User-Agent`` is mandatory for accounts created since 2024-06-13, so every call sends one.
* A GET with a body is refused with 403 by CloudFront; we never pass ``json=`` on a GET.
* Error bodies are ``{"errors": [{"code", "description"}]}``.
* Lists are ``{"object": "list", "hasMore", "totalCount", "limit", "offset", "data"}``, limit ≤ 100.
* Every answer Ponte reads is an object; anything else (a proxy's page, a list) is a TransientError.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote

import requests

from connectors.sdk import ConfigError, Context, HttpClient, TransientError, default_error_parser, response_json

SERVICE = "Asaas"
USER_AGENT = "Ponte/1.0 (+self-hosted iPaaS)"
BASE_URLS = {
    "production": "https://api.asaas.com/v3",
    "sandbox": "https://api-sandbox.asaas.com/v3",
}
PAGE_LIMIT = 100
# Filters written ``dueDate_ge`` in Ponte's schemas become ``dueDate[ge]`` on the wire.
_RANGE_SUFFIXES = {"_ge": "[ge]", "_le": "[le]"}

AUTH_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["api_key"],
    "properties": {
        "api_key": {
            "type": "string",
            "title": "API key",
            "description": "Asaas → Integrações → Chave de API. Production keys start with $aact_prod_, "
            "sandbox keys with $aact_hmlg_.",
            "minLength": 1,
            "writeOnly": True,
        },
        "environment": {
            "type": "string",
            "title": "Environment",
            "description": "sandbox: sandbox.asaas.com (test money); production: api.asaas.com (real charges).",
            "enum": ["sandbox", "production"],
            "default": "sandbox",
        },
        "base_url": {
            "type": "string",
            "title": "Base URL override",
            "description": "Only for the local sandbox double, e.g. http://127.0.0.1:8101/v3.",
            "format": "uri",
        },
        "webhook_token": {
            "type": "string",
            "title": "Webhook token",
            "description": "Sent by Asaas in the asaas-access-token header (\"Token de autenticação\").",
            "minLength": 32,
            "maxLength": 255,
            "pattern": "^\\S+$",
            "writeOnly": True,
        },
    },
}


def base_url(config: Mapping[str, Any]) -> str:
    """The ``base_url`` override when set, else the URL of the configured environment."""
    override = (config.get("base_url") or "").strip()
    if override:
        return override.rstrip("/")
    environment = config.get("environment") or "sandbox"
    if environment not in BASE_URLS:
        raise ConfigError(f"unknown Asaas environment {environment!r}; use 'sandbox' or 'production'")
    return BASE_URLS[environment]


def parse_error(response: requests.Response) -> str:
    """Join the ``errors[].description`` of an Asaas error body, each with its code."""
    try:
        body = response_json(response)
    except ValueError:
        return default_error_parser(response)
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list) or not errors:
        return default_error_parser(response)
    parts = []
    for item in errors:
        if not isinstance(item, dict):
            continue
        description = str(item.get("description") or "").strip()
        code = str(item.get("code") or "").strip()
        parts.append(f"{description} ({code})" if description and code else description or code)
    return "; ".join(p for p in parts if p) or default_error_parser(response)


def client_for(ctx: Context, **overrides: Any) -> AsaasClient:
    """An HttpClient for the connection in ``ctx`` (its key, environment and the engine's sleep)."""
    api_key = ctx.get("api_key")
    if not api_key:
        raise ConfigError("the Asaas connection has no API key")
    return AsaasClient(
        base_url(ctx.config),
        service=SERVICE,
        headers={
            "access_token": api_key,
            "User-Agent": USER_AGENT,
            "Content-Type": "application/json",
            "Accept": "application/json",
        },
        error_parser=parse_error,
        sleep=ctx.sleep,
        **overrides,
    )


class AsaasClient(HttpClient):
    """HttpClient plus the few paths Ponte uses, with ids quoted into the path."""

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """As HttpClient's, but an answer that is not a JSON object is a TransientError."""
        kwargs.setdefault("expect", dict)
        return super().request(method, path, **kwargs)

    def customer(self, customer_id: str) -> dict[str, Any] | None:
        """``GET /customers/{id}``; ``None`` when Asaas answers 404."""
        found: dict[str, Any] | None = self.get(f"/customers/{quote(customer_id, safe='')}", allow_404=True)
        return found

    def payment(self, payment_id: str) -> dict[str, Any] | None:
        """``GET /payments/{id}``; ``None`` when Asaas answers 404."""
        found: dict[str, Any] | None = self.get(f"/payments/{quote(payment_id, safe='')}", allow_404=True)
        return found


def list_query(filters: Mapping[str, Any]) -> dict[str, Any]:
    """Drop empty filters and turn ``dueDate_ge`` into ``dueDate[ge]`` (requests encodes brackets)."""
    query: dict[str, Any] = {}
    for key, value in filters.items():
        if value is None or value == "":
            continue
        for suffix, bracket in _RANGE_SUFFIXES.items():
            if key.endswith(suffix):
                key = key[: -len(suffix)] + bracket
                break
        query[key] = str(value).lower() if isinstance(value, bool) else value
    return query


def page_items(page: Any, path: str) -> list[dict[str, Any]]:
    """The ``data`` of one list page; a TransientError unless it is a list of objects."""
    data = page.get("data") if isinstance(page, dict) else page
    if data is None:
        return []
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise TransientError(
            f"{SERVICE} answered with an unexpected list from {path}",
            internal_message=f"{SERVICE} GET {path}: data is not a list of objects: {str(data)[:200]!r}",
        )
    return data


def iter_pages(client: HttpClient, path: str, filters: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Every item of an Asaas list, 100 per call, following ``hasMore``."""
    offset = int(filters.get("offset") or 0)
    query = list_query({k: v for k, v in filters.items() if k not in ("offset", "limit")})
    while True:
        page = client.get(path, params={**query, "offset": offset, "limit": PAGE_LIMIT})
        data = page_items(page, path)
        yield from data
        if not page.get("hasMore") or not data:
            return
        offset += len(data)


def iter_payments(client: HttpClient, filters: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Every payment matching ``filters`` (e.g. ``{"status": "OVERDUE", "dueDate_le": "2025-03-10"}``).

    Used by the collection rule; mind the 25k requests / 12 h quota: filter narrowly.
    """
    return iter_pages(client, "/payments", filters)


def key_environment_mismatch(config: Mapping[str, Any]) -> str | None:
    """A hint when the key's prefix names the other environment (keys since 2024 carry one)."""
    if config.get("base_url"):
        return None
    key = str(config.get("api_key") or "")
    environment = config.get("environment") or "sandbox"
    if key.startswith("$aact_prod_") and environment == "sandbox":
        return "this is a production key but the connection points at the sandbox"
    if key.startswith("$aact_hmlg_") and environment == "production":
        return "this is a sandbox key but the connection points at production"
    return None
