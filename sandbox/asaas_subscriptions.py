"""Subscriptions (assinaturas) in the Asaas double: ``/v3/subscriptions`` and what they generate.

As documented (docs.asaas.com "criando-uma-assinatura", "atualizar-assinatura-existente",
"subscription-events"): creating a subscription generates its first payment, due on ``nextDueDate``,
with ``payment.subscription`` set, announced by PAYMENT_CREATED like any payment; the subscription
itself is announced by SUBSCRIPTION_CREATED / _UPDATED / _INACTIVATED / _DELETED under the
``subscription`` key, whose dates the docs' example writes as DD/MM/YYYY. Deleting a subscription
removes its pending payments (one PAYMENT_DELETED each, "duvidas-frequentes-webhooks").

Assumed where the docs are silent: a payment of a subscription carries the subscription's
``externalReference``; the create answer shows ``nextDueDate`` as sent (the first payment's), and
the subscription's ``nextDueDate`` then moves one cycle on; a removed subscription stays readable
with ``deleted: true``, and deleting it again is a 404.

Test controls (no auth): ``POST /_sandbox/subscriptions/<id>/next`` generates the next payment (a
cycle passed); ``POST /_sandbox/subscriptions/<id>/inactivate``; ``GET /_sandbox/subscriptions``.
"""

from __future__ import annotations

import calendar
import copy
import re
from datetime import date, timedelta
from typing import Any

from flask import Flask, jsonify, request

from .asaas_controls import errors_response, host, json_body, not_found, paging
from .asaas_state import BILLING_TYPES, AsaasState, error, new_id, page

CYCLES = {"WEEKLY": (0, 7), "BIWEEKLY": (0, 14), "MONTHLY": (1, 0), "QUARTERLY": (3, 0),
          "SEMIANNUALLY": (6, 0), "YEARLY": (12, 0)}
_FIELDS = ("description", "externalReference", "endDate", "maxPayments", "discount", "interest", "fine")


def next_date(day: date, cycle: str) -> date:
    """``day`` one cycle later; a month with fewer days keeps its last day (31/01 → 28/02)."""
    months, days = CYCLES[cycle]
    if days:
        return day + timedelta(days=days)
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _as_webhook(subscription: dict[str, Any]) -> dict[str, Any]:
    """The subscription as the SUBSCRIPTION_* example shows it: dates as DD/MM/YYYY."""
    shown = copy.deepcopy(subscription)
    for key in ("dateCreated", "nextDueDate", "endDate"):
        if isinstance(shown.get(key), str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", shown[key]):
            shown[key] = date.fromisoformat(shown[key]).strftime("%d/%m/%Y")
    return shown


def _problems(state: AsaasState, body: dict[str, Any], *, creating: bool) -> list[dict[str, str]]:
    errors = []
    if creating:
        customer = state.customers.get(str(body.get("customer") or ""))
        if customer is None or customer["deleted"]:
            errors.append(error("invalid_customer", "Customer inválido ou não informado"))
    if (creating or "billingType" in body) and body.get("billingType") not in BILLING_TYPES:
        errors.append(error("invalid_billingType", "Forma de pagamento inválida."))
    value = body.get("value")
    if (creating or "value" in body) and (isinstance(value, bool) or not isinstance(value, int | float) or value <= 0):
        errors.append(error("invalid_value", "O valor da assinatura deve ser maior que zero."))
    if (creating or "cycle" in body) and body.get("cycle") not in CYCLES:
        errors.append(error("invalid_cycle", "Periodicidade inválida: use " + ", ".join(CYCLES) + "."))
    due = str(body.get("nextDueDate") or "")
    if (creating or "nextDueDate" in body) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", due):
        errors.append(error("invalid_nextDueDate", "O vencimento deve estar no formato AAAA-MM-DD."))
    return errors


def generate_payment(state: AsaasState, subscription: dict[str, Any], base: str) -> dict[str, Any] | None:
    """The subscription's payment due on its ``nextDueDate`` (PAYMENT_CREATED), then one cycle on."""
    body = {"customer": subscription["customer"], "billingType": subscription["billingType"],
            "value": subscription["value"], "dueDate": subscription["nextDueDate"],
            "description": subscription.get("description"),
            "externalReference": subscription.get("externalReference")}
    payment, _ = state.create_payment(body, base, subscription=subscription["id"])
    due = date.fromisoformat(subscription["nextDueDate"])
    subscription["nextDueDate"] = next_date(due, subscription["cycle"]).isoformat()
    return payment


def register_subscriptions(app: Flask, state: AsaasState) -> None:
    """The ``/v3/subscriptions`` API and its ``/_sandbox/`` controls."""

    def live(subscription_id: str) -> dict[str, Any] | None:
        found = state.subscriptions.get(subscription_id)
        return found if found is not None and not found["deleted"] else None

    @app.post("/v3/subscriptions")
    def create_subscription() -> Any:
        body = json_body()
        with state.lock:
            errors = _problems(state, body, creating=True)
            if errors:
                return errors_response(400, *errors)
            subscription = {
                "object": "subscription", "id": new_id("sub_", 16, "abcdefghijklmnopqrstuvwxyz0123456789"),
                "dateCreated": date.today().isoformat(), "customer": body["customer"], "paymentLink": None,
                "value": float(body["value"]), "nextDueDate": body["nextDueDate"], "cycle": body["cycle"],
                "billingType": body["billingType"], "deleted": False, "status": "ACTIVE",
                "sendPaymentByPostalService": False, "split": None, **{k: body.get(k) for k in _FIELDS},
            }
            state.subscriptions[subscription["id"]] = subscription
            answer = copy.deepcopy(subscription)
            state.emit("SUBSCRIPTION_CREATED", _as_webhook(subscription), entity="subscription")
            generate_payment(state, subscription, host())
        return jsonify(answer)

    @app.get("/v3/subscriptions")
    def list_subscriptions() -> Any:
        offset, limit = paging()
        with state.lock:
            found = [s for s in state.subscriptions.values()
                     if not s["deleted"] or request.args.get("includeDeleted") == "true"]
        for key in ("customer", "externalReference", "status", "billingType"):
            if request.args.get(key):
                found = [s for s in found if s.get(key) == request.args[key]]
        return jsonify(page(copy.deepcopy(list(reversed(found))), offset, limit))

    @app.get("/v3/subscriptions/<subscription_id>")
    def get_subscription(subscription_id: str) -> Any:
        with state.lock:
            found = state.subscriptions.get(subscription_id)
            return jsonify(found) if found else not_found("Assinatura")

    @app.get("/v3/subscriptions/<subscription_id>/payments")
    def subscription_payments(subscription_id: str) -> Any:
        offset, limit = paging()
        with state.lock:
            found = [p for p in state.payments.values() if p["subscription"] == subscription_id and not p["deleted"]]
        return jsonify(page(copy.deepcopy(found), offset, limit))

    @app.post("/v3/subscriptions/<subscription_id>")
    def update_subscription(subscription_id: str) -> Any:
        body = json_body()
        with state.lock:
            subscription = live(subscription_id)
            if subscription is None:
                return not_found("Assinatura")
            errors = _problems(state, body, creating=False)
            if errors:
                return errors_response(400, *errors)
            changes = {k: body[k] for k in ("value", "nextDueDate", "cycle", "billingType", "description",
                                             "status", "endDate", "maxPayments") if k in body}
            subscription.update(changes)
            if body.get("updatePendingPayments"):
                for payment in list(state.payments.values()):
                    if payment["subscription"] == subscription_id and payment["status"] == "PENDING":
                        state.change_payment(payment["id"], "PAYMENT_UPDATED", value=subscription["value"],
                                             billingType=subscription["billingType"])
            state.emit("SUBSCRIPTION_UPDATED", _as_webhook(subscription), entity="subscription")
            return jsonify(copy.deepcopy(subscription))

    @app.delete("/v3/subscriptions/<subscription_id>")
    def delete_subscription(subscription_id: str) -> Any:
        with state.lock:
            subscription = live(subscription_id)
            if subscription is None:
                return not_found("Assinatura")
            subscription.update(deleted=True, status="INACTIVE")
            for payment in list(state.payments.values()):
                if payment["subscription"] == subscription_id and payment["status"] in ("PENDING", "OVERDUE"):
                    state.change_payment(payment["id"], "PAYMENT_DELETED", deleted=True)
            state.emit("SUBSCRIPTION_DELETED", _as_webhook(subscription), entity="subscription")
        return jsonify({"deleted": True, "id": subscription_id})

    @app.post("/_sandbox/subscriptions/<subscription_id>/next")
    def next_payment(subscription_id: str) -> Any:
        with state.lock:
            subscription = live(subscription_id)
            if subscription is None or subscription["status"] != "ACTIVE":
                return not_found("Assinatura ativa")
            return jsonify(generate_payment(state, subscription, host()))

    @app.post("/_sandbox/subscriptions/<subscription_id>/inactivate")
    def inactivate(subscription_id: str) -> Any:
        with state.lock:
            subscription = live(subscription_id)
            if subscription is None:
                return not_found("Assinatura")
            subscription["status"] = "INACTIVE"
            state.emit("SUBSCRIPTION_INACTIVATED", _as_webhook(subscription), entity="subscription")
            return jsonify(copy.deepcopy(subscription))

    @app.get("/_sandbox/subscriptions")
    def dump_subscriptions() -> Any:
        with state.lock:
            return jsonify(list(state.subscriptions.values()))
