"""Live option lists for the recipe wizard: the account's templates and one template's variables."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.sdk import Context, Lookup, PermanentError, catalog_beside
from connectors.sdk.base import JSON

from .client import client_for

CATALOG = catalog_beside(__file__)
CHOOSE_TEMPLATE = "Choose a ZapSign template first."
MAX_TEMPLATE_PAGES = 50  # 1,000 templates at ZapSign's 20 per page; a guard against a looping ``next``


def templates(ctx: Context, params: Mapping[str, Any]) -> list[JSON]:
    """Every template (following ``next`` through all pages), active ones unless asked otherwise."""
    client = client_for(ctx)
    include_inactive = bool(params.get("include_inactive"))
    options: list[JSON] = []
    path: str | None = "/templates/"
    query: JSON | None = {"page": 1}
    for _ in range(MAX_TEMPLATE_PAGES):
        if path is None:
            break
        body = client.get(path, params=query)
        results = body.get("results", []) if isinstance(body, dict) else body or []
        for template in results:
            if not isinstance(template, dict) or not template.get("token"):
                continue
            active = template.get("active", True) is not False
            if active or include_inactive:
                label = template.get("name") or template["token"]
                options.append({"value": template["token"], "label": label, "active": active})
        # ``next`` is an absolute URL carrying its own ``page``; the SDK sends it as is.
        following = body.get("next") if isinstance(body, dict) else None
        path, query = (following, None) if isinstance(following, str) and following else (None, None)
    return options


def template_variables(ctx: Context, params: Mapping[str, Any]) -> list[JSON]:
    """A template's ``inputs[]`` as options; ``value`` is the variable without braces."""
    template_id = str(params.get("template_id") or "").strip()
    if not template_id:
        raise PermanentError(CATALOG.gettext(CHOOSE_TEMPLATE, ctx.locale))
    body = client_for(ctx).get(f"/templates/{template_id}/", expect=dict)
    inputs = sorted(
        (i for i in body.get("inputs") or [] if isinstance(i, dict) and i.get("variable")),
        key=lambda i: i.get("order") or 0,
    )
    out = []
    for item in inputs:
        name = str(item["variable"]).strip()
        if name.startswith("{{") and name.endswith("}}"):
            name = name[2:-2].strip()
        out.append({
            "value": name,
            "label": item.get("label") or name,
            "required": bool(item.get("required")),
            "input_type": item.get("input_type") or "input",
            "help_text": item.get("help_text") or "",
        })
    return out


LOOKUPS = (
    Lookup(
        key="templates",
        title="ZapSign templates",
        run=templates,
        params_schema={
            "type": "object",
            "properties": {"include_inactive": {"type": "boolean", "default": False}},
            "additionalProperties": False,
        },
    ),
    Lookup(
        key="template_variables",
        title="Variables of a ZapSign template",
        run=template_variables,
        params_schema={
            "type": "object",
            "required": ["template_id"],
            "properties": {"template_id": {"type": "string", "minLength": 1}},
            "additionalProperties": False,
        },
    ),
)
