"""The Asaas payment fields a person filters on, labelled, with how to compare them and their fixed values.

The statuses and billing types are the values Asaas documents for a payment (``status``,
``billingType`` of PaymentGetResponseDTO; the payment schema's ``billingType`` enum); the
"create payment" action offers the billing types a charge can be created with, a webhook can
carry the others (debit card, transfer, deposit) too. Labels are English msgids of the catalog.
"""

from __future__ import annotations

from connectors.sdk import OutputField, static

PAYMENT_STATUSES = static(
    ("PENDING", "Pending"), ("CONFIRMED", "Confirmed (money not available yet)"), ("RECEIVED", "Received"),
    ("RECEIVED_IN_CASH", "Received in cash"), ("OVERDUE", "Overdue"), ("REFUND_REQUESTED", "Refund requested"),
    ("REFUND_IN_PROGRESS", "Refund in progress"), ("REFUNDED", "Refunded"),
    ("CHARGEBACK_REQUESTED", "Chargeback requested"), ("CHARGEBACK_DISPUTE", "Chargeback in dispute"),
    ("AWAITING_CHARGEBACK_REVERSAL", "Awaiting chargeback reversal"), ("DUNNING_REQUESTED", "Dunning requested"),
    ("DUNNING_RECEIVED", "Dunning received"), ("AWAITING_RISK_ANALYSIS", "Awaiting risk analysis"))
BILLING_TYPES = static(("UNDEFINED", "Let the payer choose"), ("BOLETO", "Bank slip (boleto)"), ("PIX", "Pix"),
                       ("CREDIT_CARD", "Credit card"))
#: Every billing type a payment can carry (BILLING_TYPES: those a new charge can be created with).
PAYMENT_BILLING_TYPES = static(*((o.value, o.label) for o in BILLING_TYPES.options),
                               ("DEBIT_CARD", "Debit card"), ("TRANSFER", "Bank transfer"),
                               ("DEPOSIT", "Bank deposit"))
PERSON_TYPES = static(("FISICA", "Individual (CPF)"), ("JURIDICA", "Company (CNPJ)"))

#: The payment triggers' output, ``{dotted path: OutputField}``, in the order the filter screen lists them.
PAYMENT_EVENT_FIELDS: dict[str, OutputField] = {
    "payment.status": OutputField("Payment status", "enum", PAYMENT_STATUSES),
    "payment.billingType": OutputField("Billing type", "enum", PAYMENT_BILLING_TYPES),
    "payment.value": OutputField("Payment value", "money"),
    "payment.netValue": OutputField("Net value (after Asaas fees)", "money"),
    "payment.dueDate": OutputField("Due date", "date"),
    "payment.originalDueDate": OutputField("Original due date", "date"),
    "payment.dateCreated": OutputField("Payment created on", "date"),
    "payment.paymentDate": OutputField("Paid on", "date"),
    "payment.description": OutputField("Payment description", "string"),
    "payment.externalReference": OutputField("Payment external reference", "string"),
    "payment.id": OutputField("Payment id", "string"),
    "payment.invoiceNumber": OutputField("Invoice number", "string"),
    "payment.installmentNumber": OutputField("Installment number", "number"),
    "payment.deleted": OutputField("Payment removed", "boolean"),
    "customer.name": OutputField("Customer name", "string"),
    "customer.email": OutputField("Customer e-mail", "string"),
    "customer.cpfCnpj": OutputField("Customer CPF/CNPJ", "string"),
    "customer.personType": OutputField("Person type", "enum", PERSON_TYPES),
    "customer.mobilePhone": OutputField("Customer mobile phone", "string"),
    "customer.cityName": OutputField("Customer city", "string"),
    "customer.state": OutputField("Customer state", "string"),
    "customer.externalReference": OutputField("Customer external reference", "string"),
    "event": OutputField("Asaas event", "string"),
    "event_date": OutputField("Event date", "date"),
}
