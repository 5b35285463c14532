"""``POST /v3/payments/{id}`` in the Asaas double: update an existing payment.

As docs.asaas.com "Atualizar cobrança existente" describes it: only payments awaiting payment or
overdue (PENDING, OVERDUE) can be updated, and the customer cannot change. The body is checked as a
create's is (:func:`sandbox.asaas_state.payment_problems`: ``billingType``, ``value`` and
``dueDate`` required); ``description``, ``externalReference``, ``fine {value, type}``,
``interest {value}`` and ``discount`` are optional and replace what the payment had. The update
emits PAYMENT_UPDATED and answers the payment.

Assumed (the docs do not say): the refusal for another status is a 400 ``invalid_action`` carrying
the docs' sentence; a given ``customer`` is ignored rather than refused; an OVERDUE payment whose
due date moves to today or later is PENDING again, and ``netValue`` follows the new value.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from .asaas_state import AsaasState, error, net_value, payment_problems, today

UPDATABLE_STATUSES = ("PENDING", "OVERDUE")
_PLAIN_FIELDS = ("description", "externalReference")
_FEE_FIELDS = ("fine", "interest", "discount")


def update_payment(
    state: AsaasState, payment_id: str, body: dict[str, Any]
) -> tuple[dict[str, Any] | None, list[dict[str, str]]]:
    """The updated payment, or ``(None, errors)``; ``(None, [])`` when there is no such payment."""
    with state.lock:
        payment = state.payments.get(payment_id)
        if payment is None or payment["deleted"]:
            return None, []
        if payment["status"] not in UPDATABLE_STATUSES:
            return None, [error("invalid_action",
                                "Somente é possível atualizar cobranças aguardando pagamento ou vencidas.")]
        problems = payment_problems(body)
        if problems:
            return None, problems
        value = float(body["value"])
        changes: dict[str, Any] = {
            "billingType": body["billingType"], "value": value, "dueDate": body["dueDate"],
            "netValue": net_value(value, body["billingType"]),
        }
        changes.update({key: body[key] for key in _PLAIN_FIELDS if key in body})
        changes.update({key: {**payment[key], **body[key]} for key in _FEE_FIELDS if body.get(key) is not None})
        if payment["status"] == "OVERDUE" and date.fromisoformat(body["dueDate"]) >= today():
            changes["status"] = "PENDING"
        return state.change_payment(payment_id, "PAYMENT_UPDATED", **changes), []
