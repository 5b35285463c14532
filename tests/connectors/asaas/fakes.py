"""Shared constants and builders for the Asaas connector tests."""

from __future__ import annotations

from typing import Any

BASE = "https://api-sandbox.asaas.com/v3"
KEY = "$aact_hmlg_000MzkwODA2MWY2OGM3MWRlMDU2NWM3MzJlNzZmNGZhZGY6OjQ2"
TOKEN = "Wq7rTzK0pLm4Xv9bNc2hYd6sFa8jRe1uGt5kQw3Zx"


def page_of(items: list[dict[str, Any]], *, has_more: bool = False, offset: int = 0, total: int | None = None,
            limit: int = 10) -> dict[str, Any]:
    return {"object": "list", "hasMore": has_more, "totalCount": len(items) if total is None else total,
            "limit": limit, "offset": offset, "data": items}
