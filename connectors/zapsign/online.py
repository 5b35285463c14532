"""``create_document_from_template``'s online check: the template a step fills, asked of ZapSign.

A mapping names a template token and the variables it fills. Nothing offline can tell whether that
template exists in *this* account (sandbox and production tokens differ) or whether ``{{EMAIL}}``
is one of its placeholders: a mismatch used to show up as failed runs, or as a contract with a
blank, in production. ``GET /templates/{token}/`` answers both: ``inputs[].variable`` lists the
placeholders (``"{{NOME COMPLETO}}"``, with braces) and ``required`` marks those the form must fill.

Assumptions where ZapSign's reference is silent: variable names compare exactly after the braces
and surrounding blanks are removed (ZapSign replaces ``{{NAME}}`` literally); an ``active: false``
template cannot make documents; any ``template_type`` other than ``docx`` cannot be filled
("create from template" does not work for PDF templates, per ZapSign's docs).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from connectors.sdk import RUNTIME, Context, Problem
from connectors.sdk.base import JSON

from .client import client_for, environment


def variable_name(raw: Any) -> str:
    """``"{{ CPF }}"`` and ``"CPF"`` both become ``"CPF"``: how mappings and templates are compared."""
    name = str(raw).strip()
    if name.startswith("{{") and name.endswith("}}"):
        name = name[2:-2].strip()
    return name


def _where(ctx: Context) -> str:
    return "the local double" if ctx.get("base_url") else f"ZapSign {environment(ctx.config)}"


def check_template(ctx: Context, data: JSON) -> list[Problem]:
    """Problems with the template a step fills; nothing to say when the template comes from the event."""
    token = data.get("template_id")
    if token is RUNTIME or not isinstance(token, str) or not token.strip():
        return []
    template = client_for(ctx).get(f"/templates/{quote(token.strip(), safe='')}/", allow_404=True, expect=dict)
    if template is None:
        return [(("template_id",), f"ZapSign template {token!r} does not exist in this account "
                                   f"({_where(ctx)}): use the token of one of your templates (ZapSign → "
                                   "Modelos, or the recipe wizard's template list)")]
    title = template.get("name") or token
    problems: list[Problem] = []
    if template.get("active") is False:
        problems.append((("template_id",), f"ZapSign template {title!r} is inactive: activate it in ZapSign"))
    kind = template.get("template_type")
    if isinstance(kind, str) and kind.lower() != "docx":
        problems.append((("template_id",), f"ZapSign template {title!r} is a {kind} template; documents can "
                                           "only be created from DOCX templates"))
    inputs = [i for i in template.get("inputs") or [] if isinstance(i, dict) and i.get("variable")]
    known = [variable_name(i["variable"]) for i in inputs]
    variables = data.get("variables")
    if variables is RUNTIME:
        return problems  # the whole set of variables comes from the event: only a run can tell
    mapped = {variable_name(name): name for name in (variables or {})} if isinstance(variables, dict) else {}
    listed = ", ".join(known) or "(none)"
    for name, written in mapped.items():
        if name not in known:
            problems.append((("variables", written), f"variable {name!r} is not in ZapSign template {title!r}; "
                                                     f"its variables: {listed}"))
    for item in inputs:
        name = variable_name(item["variable"])
        if item.get("required") and name not in mapped:
            problems.append((("variables",) if isinstance(variables, dict) else ("template_id",),
                             f"ZapSign template {title!r} requires variable {name!r}, which this step does not "
                             "fill"))
    return problems
