"""MiniCRM: a connector that exists only under ``tests/``, to prove that a new connector is one folder
plus one registry line and appears, translated, everywhere a person can see it.

A tiny CRM held in memory: a webhook trigger (a deal was won), an action (create a follow-up task)
whose ``stage`` dropdown depends on the chosen ``pipeline`` (live options from a lookup), and a
``priority`` with fixed, labelled options. Its pt-BR lives in ``translations/`` like any connector's.
No line of ``app/`` names it.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

from babel.numbers import format_currency

from connectors.sdk import (
    Action,
    ConfigError,
    Connector,
    Context,
    InboundEvent,
    InboundRequest,
    Lookup,
    PermanentError,
    Trigger,
    WebhookAuthError,
    catalog_beside,
    constant_time_equals,
    dynamic,
    generate_token,
    normalise_locale,
    static,
)

CATALOG = catalog_beside(__file__)
PIPELINES = {"sales": "Sales", "renewals": "Renewals"}
STAGES = {"sales": {"first_call": "First call", "proposal": "Proposal sent"},
          "renewals": {"reminder": "Renewal reminder", "signed": "Renewal signed"}}
TASKS: list[dict[str, Any]] = []  # what the "service" holds: the tasks created, in order
_IDS = itertools.count(1)
UNKNOWN_STAGE = "stage %(stage)s is not in pipeline %(pipeline)s"
TASK_FOR = "task %(id)s"


class Webhook:
    """Deliveries carry the connection's secret in ``X-MiniCRM-Secret``; the body is one deal event."""

    secret_field = "webhook_secret"

    def generate_secret(self) -> str:
        return generate_token(32)

    def instructions(self, url: str, locale: str) -> str:
        return CATALOG.gettext("Paste %(url)s into MiniCRM → Settings → Webhooks.", locale) % {"url": url}

    def authenticate(self, request: InboundRequest, config: Mapping[str, Any]) -> None:
        if not constant_time_equals(request.header("x-minicrm-secret") or "", str(config.get("webhook_secret") or "")):
            raise WebhookAuthError("missing or wrong X-MiniCRM-Secret")

    def parse(self, body: Any) -> list[InboundEvent]:
        if not isinstance(body, dict) or not isinstance(body.get("deal"), dict) or not body.get("id"):
            raise ValueError("a MiniCRM delivery is {id, event, deal}")
        return [InboundEvent(dedupe_key=str(body["id"]), event_type=str(body.get("event") or ""), payload=body)]


def deal_summary(output: dict[str, Any], locale: str) -> str:
    """"R$ 1.234,56 · Ana Souza · deal_1": the value in the page's locale, the contact, the deal."""
    deal = output.get("deal") or {}
    value = deal.get("value")
    money = format_currency(value, "BRL", locale=normalise_locale(locale)) if isinstance(value, (int, float)) else None
    return " · ".join(str(x) for x in (money, (deal.get("contact") or {}).get("name"), deal.get("id")) if x)


def task_summary(output: dict[str, Any], locale: str) -> str:
    return " · ".join(str(x) for x in (output.get("title"), CATALOG.gettext(TASK_FOR, locale) % output) if x)


def pipelines(ctx: Context, params: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [{"value": key, "label": CATALOG.gettext(label, ctx.locale)} for key, label in PIPELINES.items()]


def stages(ctx: Context, params: Mapping[str, Any]) -> list[dict[str, Any]]:
    pipeline = str(params.get("pipeline") or "")
    if pipeline not in STAGES:
        raise ConfigError(CATALOG.gettext("Choose a pipeline first.", ctx.locale))
    return [{"value": key, "label": CATALOG.gettext(label, ctx.locale)} for key, label in STAGES[pipeline].items()]


def create_task(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    if data["stage"] not in STAGES.get(data["pipeline"], {}):
        raise PermanentError(UNKNOWN_STAGE % data)
    task = {"id": f"task_{next(_IDS)}", **{k: data.get(k) for k in ("pipeline", "stage", "priority", "title")}}
    TASKS.append(task)
    return task


DEAL = {"type": "object", "required": ["id", "title"], "properties": {
    "id": {"type": "string"}, "title": {"type": "string"}, "value": {"type": "number"},
    "contact": {"type": "object", "properties": {"name": {"type": "string"}, "email": {"type": "string"}}}}}
DEAL_WON = Trigger(
    key="deal_won",
    title="Deal won",
    description="A deal was marked as won in MiniCRM.",
    output_schema={"type": "object", "required": ["event", "deal"], "properties": {
        "id": {"type": "string"}, "event": {"type": "string"}, "deal": DEAL}},
    sample={"id": "evt_1", "event": "deal.won", "deal": {"id": "deal_1", "title": "Plano anual", "value": 1234.56,
                                                         "contact": {"name": "Ana Souza", "email": "ana@example.com"}}},
    event_types=("deal.won",),
    summary=deal_summary,
)
CREATE_TASK = Action(
    key="create_task",
    title="Create follow-up task",
    description="Create a task in a pipeline stage of MiniCRM.",
    input_schema={"type": "object", "required": ["pipeline", "stage", "title"], "additionalProperties": False,
                  "properties": {
                      "pipeline": {"type": "string", "title": "Pipeline", "description": "Where the task goes."},
                      "stage": {"type": "string", "title": "Stage", "description": "A stage of the chosen pipeline."},
                      "priority": {"type": "string", "enum": ["low", "normal", "high"], "default": "normal",
                                   "title": "Priority", "description": "How soon someone should act."},
                      "title": {"type": "string", "minLength": 1, "title": "Task title",
                                "description": "What the person should do."}}},
    output_schema={"type": "object", "required": ["id"], "properties": {
        "id": {"type": "string"}, "pipeline": {"type": "string"}, "stage": {"type": "string"},
        "priority": {"type": ["string", "null"]}, "title": {"type": "string"}}},
    sample={"id": "task_1", "pipeline": "sales", "stage": "proposal", "priority": "high", "title": "Call Ana"},
    run=create_task,
    idempotency="In memory: a test double; a retry creates another task.",
    choices={"pipeline": dynamic("pipelines"), "stage": dynamic("stages", "pipeline"),
             "priority": static(("low", "Low"), ("normal", "Normal"), ("high", "Urgent"))},
    summary=task_summary,
)
CONNECTOR = Connector(
    key="minicrm",
    title="MiniCRM",
    description="A tiny CRM: won deals in, follow-up tasks out.",
    auth_schema={"type": "object", "required": ["api_key"], "additionalProperties": False, "properties": {
        "api_key": {"type": "string", "minLength": 4, "writeOnly": True, "title": "API key",
                    "description": "MiniCRM → Settings → API."},
        "webhook_secret": {"type": "string", "minLength": 16, "writeOnly": True, "title": "Webhook secret",
                           "description": "Generated by Ponte; MiniCRM sends it in X-MiniCRM-Secret."}}},
    test_credentials=lambda ctx: "MiniCRM answered.",
    triggers=(DEAL_WON,),
    actions=(CREATE_TASK,),
    lookups=(Lookup(key="pipelines", title="Pipelines", run=pipelines),
             Lookup(key="stages", title="Stages of a pipeline", run=stages,
                    params_schema={"type": "object", "required": ["pipeline"],
                                   "properties": {"pipeline": {"type": "string"}}})),
    webhook=Webhook(),
    catalog=CATALOG,
    messages=(*PIPELINES.values(), *(label for s in STAGES.values() for label in s.values()), UNKNOWN_STAGE,
              TASK_FOR, "Choose a pipeline first.", "Paste %(url)s into MiniCRM → Settings → Webhooks."),
)
