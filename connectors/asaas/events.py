"""Every payment event in the Asaas webhook docs (docs.asaas.com/docs/payment-events), with a title.

One list serves the triggers (one each), the webhook registration (the events a config subscribes
to) and the catch-up (which of them a payment's state can tell). Titles are English msgids of the
connector's catalog.
"""

from __future__ import annotations

#: (event, title, description) in the order of the Asaas docs, then the split events (changelog 2024-10
#: and 2026-08).
PAYMENT_EVENTS: tuple[tuple[str, str, str], ...] = (
    ("PAYMENT_CREATED", "New payment created", "A payment (cobrança) was created in Asaas"),
    ("PAYMENT_AWAITING_RISK_ANALYSIS", "Payment awaiting risk analysis",
     "A card payment waits for Asaas's manual risk review"),
    ("PAYMENT_APPROVED_BY_RISK_ANALYSIS", "Payment approved by risk analysis",
     "A card payment was approved by the risk review"),
    ("PAYMENT_REPROVED_BY_RISK_ANALYSIS", "Payment rejected by risk analysis",
     "A card payment was rejected by the risk review"),
    ("PAYMENT_AUTHORIZED", "Card payment authorized", "A card payment was authorized and is still to be captured"),
    ("PAYMENT_UPDATED", "Payment updated", "A payment's due date or value changed"),
    ("PAYMENT_CONFIRMED", "Payment confirmed",
     "A payment was paid but the money is not available yet (e.g. card, Pix under hold)"),
    ("PAYMENT_RECEIVED", "Payment received", "A payment was received and the money is in the account"),
    ("PAYMENT_CREDIT_CARD_CAPTURE_REFUSED", "Card capture refused", "The capture of a card payment failed"),
    ("PAYMENT_ANTICIPATED", "Payment anticipated", "A payment was anticipated"),
    ("PAYMENT_OVERDUE", "Payment overdue", "A payment passed its due date unpaid"),
    ("PAYMENT_DELETED", "Payment deleted",
     "A payment was removed (also sent per payment when a subscription is removed)"),
    ("PAYMENT_RESTORED", "Payment restored", "A removed payment was restored"),
    ("PAYMENT_REFUNDED", "Payment refunded", "A payment was refunded"),
    ("PAYMENT_PARTIALLY_REFUNDED", "Payment partially refunded", "Part of a payment was refunded"),
    ("PAYMENT_REFUND_IN_PROGRESS", "Payment refund in progress", "A refund of a payment is being processed"),
    ("PAYMENT_RECEIVED_IN_CASH_UNDONE", "Cash receipt undone", "A payment marked as received in cash was undone"),
    ("PAYMENT_CHARGEBACK_REQUESTED", "Chargeback requested", "A chargeback of a card payment was received"),
    ("PAYMENT_CHARGEBACK_DISPUTE", "Chargeback in dispute", "A chargeback is in dispute"),
    ("PAYMENT_AWAITING_CHARGEBACK_REVERSAL", "Awaiting chargeback reversal",
     "A disputed chargeback awaits its reversal"),
    ("PAYMENT_DUNNING_RECEIVED", "Dunning received", "A dunning (negativação) of a payment was received"),
    ("PAYMENT_DUNNING_REQUESTED", "Dunning requested", "A dunning (negativação) of a payment was requested"),
    ("PAYMENT_BANK_SLIP_VIEWED", "Bank slip viewed", "The payer opened the payment's boleto"),
    ("PAYMENT_CHECKOUT_VIEWED", "Invoice viewed", "The payer opened the payment's invoice page"),
    ("PAYMENT_SPLIT_CANCELLED", "Split cancelled", "A split of a payment was cancelled"),
    ("PAYMENT_SPLIT_DIVERGENCE_BLOCK", "Split blocked by divergence",
     "A split of a payment was blocked because its value diverges"),
    ("PAYMENT_SPLIT_DIVERGENCE_BLOCK_FINISHED", "Split divergence block finished",
     "The divergence block of a payment's split ended"),
    ("PAYMENT_SPLIT_DONE", "Split settled", "A split of a payment was settled (one event per split)"),
)

EVENT_NAMES: tuple[str, ...] = tuple(name for name, _, _ in PAYMENT_EVENTS)
