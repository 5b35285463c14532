"""How the sample payment looks when each payment event is sent, so every trigger's sample reads like
its event (a chargeback sample is a card payment in CHARGEBACK_REQUESTED, not a pending boleto).

Statuses come from the payment's documented ``status`` list (PENDING, RECEIVED, CONFIRMED, OVERDUE,
REFUNDED, REFUND_IN_PROGRESS, CHARGEBACK_*, DUNNING_*, AWAITING_RISK_ANALYSIS, AUTHORIZED) and the
split statuses of the Split docs (PENDING, DONE, CANCELLED, BLOCKED_BY_VALUE_DIVERGENCE).
Assumed where the docs name the event but not the payment's state after it: a payment approved by
the risk review is CONFIRMED, one rejected by it or whose card capture was refused is back to
PENDING, an anticipated payment is CONFIRMED with ``anticipated: true``, a cash receipt undone is
PENDING again. ``additionalInfo.splitId`` is documented for PAYMENT_SPLIT_DONE (changelog
"Novo evento de webhook para liquidação de splits"); the other split events are assumed to carry it
too.
"""

from __future__ import annotations

from typing import Any

_PAID = {"paymentDate": "2025-03-06", "clientPaymentDate": "2025-03-06", "confirmedDate": "2025-03-06"}
_CARD = {"billingType": "CREDIT_CARD", "bankSlipUrl": None, "nossoNumero": None,
         "creditCard": {"creditCardNumber": "8829", "creditCardBrand": "MASTERCARD"}}
_SPLIT_ID = "064a4957-1eee-4d06-9c96-deaf8a17534d"


def _split(status: str) -> dict[str, Any]:
    return {"status": "RECEIVED", **_PAID, "creditDate": "2025-03-06",
            "split": [{"id": _SPLIT_ID, "walletId": "48548710-9baa-4ec1-a11f-9010193527c6",
                       "fixedValue": 45.0, "status": status}]}


PAYMENT_CHANGES: dict[str, dict[str, Any]] = {
    "PAYMENT_AWAITING_RISK_ANALYSIS": {**_CARD, "status": "AWAITING_RISK_ANALYSIS"},
    "PAYMENT_APPROVED_BY_RISK_ANALYSIS": {**_CARD, "status": "CONFIRMED", "confirmedDate": "2025-03-06"},
    "PAYMENT_REPROVED_BY_RISK_ANALYSIS": {**_CARD, "status": "PENDING"},
    "PAYMENT_AUTHORIZED": {**_CARD, "status": "AUTHORIZED"},
    "PAYMENT_UPDATED": {"value": 480.0, "netValue": 479.01, "dueDate": "2025-03-15"},
    "PAYMENT_CONFIRMED": {"status": "CONFIRMED", "confirmedDate": "2025-03-06"},
    "PAYMENT_RECEIVED": {"status": "RECEIVED", **_PAID, "creditDate": "2025-03-06"},
    "PAYMENT_CREDIT_CARD_CAPTURE_REFUSED": {**_CARD, "status": "PENDING"},
    "PAYMENT_ANTICIPATED": {**_CARD, "status": "CONFIRMED", "confirmedDate": "2025-03-06", "anticipated": True},
    "PAYMENT_OVERDUE": {"status": "OVERDUE"},
    "PAYMENT_DELETED": {"deleted": True},
    "PAYMENT_RESTORED": {"deleted": False, "status": "PENDING"},
    "PAYMENT_REFUNDED": {"status": "REFUNDED", **_PAID},
    "PAYMENT_PARTIALLY_REFUNDED": {
        "status": "RECEIVED", **_PAID,
        "refunds": [{"dateCreated": "2025-03-08 10:12:40", "status": "DONE", "value": 150.0,
                     "description": "Estorno parcial: serviço não prestado"}],
    },
    "PAYMENT_REFUND_IN_PROGRESS": {"status": "REFUND_IN_PROGRESS", **_PAID},
    "PAYMENT_RECEIVED_IN_CASH_UNDONE": {"status": "PENDING", "paymentDate": None, "clientPaymentDate": None},
    "PAYMENT_CHARGEBACK_REQUESTED": {**_CARD, "status": "CHARGEBACK_REQUESTED", **_PAID,
                                     "chargeback": {"status": "REQUESTED", "reason": "PROCESS_ERROR"}},
    "PAYMENT_CHARGEBACK_DISPUTE": {**_CARD, "status": "CHARGEBACK_DISPUTE", **_PAID,
                                   "chargeback": {"status": "IN_DISPUTE", "reason": "PROCESS_ERROR"}},
    "PAYMENT_AWAITING_CHARGEBACK_REVERSAL": {**_CARD, "status": "AWAITING_CHARGEBACK_REVERSAL", **_PAID,
                                             "chargeback": {"status": "DISPUTE_WON", "reason": "PROCESS_ERROR"}},
    "PAYMENT_DUNNING_REQUESTED": {"status": "DUNNING_REQUESTED"},
    "PAYMENT_DUNNING_RECEIVED": {"status": "DUNNING_RECEIVED", **_PAID},
    "PAYMENT_BANK_SLIP_VIEWED": {"lastBankSlipViewedDate": "2025-03-01 10:15:02"},
    "PAYMENT_CHECKOUT_VIEWED": {"lastInvoiceViewedDate": "2025-03-01 10:14:37"},
    "PAYMENT_SPLIT_CANCELLED": _split("CANCELLED"),
    "PAYMENT_SPLIT_DIVERGENCE_BLOCK": _split("BLOCKED_BY_VALUE_DIVERGENCE"),
    "PAYMENT_SPLIT_DIVERGENCE_BLOCK_FINISHED": _split("PENDING"),
    "PAYMENT_SPLIT_DONE": _split("DONE"),
}

#: Events whose envelope names the split they are about (``additionalInfo.splitId``).
SPLIT_EVENTS = frozenset(e for e in PAYMENT_CHANGES if e.startswith("PAYMENT_SPLIT_"))


def sample_for(sample: dict[str, Any], event: str) -> dict[str, Any]:
    """The shared sample (a trigger output) with the payment as it looks when ``event`` is sent."""
    payment = {**sample["payment"], **PAYMENT_CHANGES.get(event, {})}
    out = {**sample, "event": event, "payment": payment}
    if event in SPLIT_EVENTS:
        out["additional_info"] = {"splitId": _SPLIT_ID}
    return out
