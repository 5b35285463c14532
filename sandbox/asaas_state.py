"""The in-memory state of the Asaas double: customers, payments, events, webhook deliveries, faults.

Kept apart from the Flask routes in :mod:`sandbox.asaas` so the behaviour (validation, ids,
amounts, the event envelope) reads in one place. Every mutation happens under ``lock``; webhook
configs, their queues and deliveries live in :mod:`sandbox.asaas_webhooks` (same lock).
"""

from __future__ import annotations

import copy
import re
import secrets
import string
import threading
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from validate_docbr import CNPJ, CPF

from .asaas_webhooks import WebhookQueues

EQUAL_FILTERS = ("customer", "billingType", "status", "subscription", "installment", "externalReference",
                 "paymentDate", "estimatedCreditDate", "pixQrCodeId", "anticipated", "anticipable")
RANGE_FILTERS = ("dateCreated", "paymentDate", "estimatedCreditDate", "dueDate")
BILLING_TYPES = ("UNDEFINED", "BOLETO", "CREDIT_CARD", "PIX")
_ALNUM = string.ascii_letters + string.digits
_LOWER = string.ascii_lowercase + string.digits
SAO_PAULO = ZoneInfo("America/Sao_Paulo")  # Asaas's dates and times are São Paulo's, without an offset


def today() -> date:
    return datetime.now(SAO_PAULO).date()


def _text(value: Any) -> str:
    """A field as a query string compares with it (booleans as ``true``/``false``)."""
    return str(value).lower() if isinstance(value, bool) else str(value if value is not None else "")


def new_id(prefix: str, length: int, alphabet: str = _ALNUM) -> str:
    return prefix + "".join(secrets.choice(alphabet) for _ in range(length))


def error(code: str, description: str) -> dict[str, str]:
    return {"code": code, "description": description}


def valid_document(raw: Any) -> str | None:
    """The normalized CPF/CNPJ when valid, else None (Asaas refuses invalid ones since 2024-08)."""
    text = re.sub(r"[^0-9A-Za-z]", "", str(raw or "")).upper()
    if len(text) == 11 and text.isdigit() and CPF().validate(text):
        return text
    if len(text) == 14 and CNPJ().validate(text):
        return text
    return None


def net_value(value: float, billing_type: str) -> float:
    """Value after a plausible Asaas fee (boleto/Pix R$ 0.99, card 2.99 % + R$ 0.49)."""
    fee = value * 0.0299 + 0.49 if billing_type == "CREDIT_CARD" else 0.99
    return round(max(value - fee, 0.0), 2)


def _amount(value: Any, *, positive: bool = False) -> bool:
    """A JSON number (not a boolean), above zero when ``positive``, else zero or more."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return value > 0 if positive else value >= 0


def payment_problems(body: dict[str, Any]) -> list[dict[str, str]]:
    """What creating (``POST /v3/payments``) and updating (``POST /v3/payments/{id}``) both check:
    billingType, value, dueDate, description and, when given, fine, interest and discount. The error
    codes for fine/interest/discount are assumed (the docs list the fields, not their error codes)."""
    errors = []
    if body.get("billingType") not in BILLING_TYPES:
        errors.append(error("invalid_billingType", "Forma de pagamento inválida: use "
                            + ", ".join(BILLING_TYPES) + "."))
    if not _amount(body.get("value"), positive=True):
        errors.append(error("invalid_value", "O valor da cobrança deve ser maior que zero."))
    try:
        date.fromisoformat(str(body.get("dueDate")))
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(body.get("dueDate"))):
            raise ValueError
    except ValueError:
        errors.append(error("invalid_dueDate", "A data de vencimento deve estar no formato AAAA-MM-DD."))
    if len(str(body.get("description") or "")) > 500:
        errors.append(error("invalid_description", "A descrição deve ter no máximo 500 caracteres."))
    for key, label in (("fine", "multa"), ("interest", "juros"), ("discount", "desconto")):
        given = body.get(key)
        if given is None:
            continue
        if (not isinstance(given, dict) or not _amount(given.get("value", 0))
                or given.get("type", "PERCENTAGE") not in ("FIXED", "PERCENTAGE")):
            errors.append(error(f"invalid_{key}", f"O valor de {label} deve ser um número maior ou igual a "
                                "zero, do tipo FIXED ou PERCENTAGE."))
    return errors


def page(items: list[dict[str, Any]], offset: int, limit: int) -> dict[str, Any]:
    """The Asaas list envelope."""
    chunk = items[offset: offset + limit]
    return {"object": "list", "hasMore": offset + len(chunk) < len(items), "totalCount": len(items),
            "limit": limit, "offset": offset, "data": chunk}


class AsaasState:
    """Everything the double remembers; reset with :meth:`reset`."""

    def __init__(self, *, webhook_target: str | None = None, webhook_token: str | None = None,
                 api_key: str = "") -> None:
        self.lock = threading.RLock()
        self.api_key = api_key
        self._initial_webhook = (webhook_target, webhook_token)
        self.hooks = WebhookQueues(self.lock)
        self.reset()

    @property
    def webhooks(self) -> list[dict[str, Any]]:
        return self.hooks.configs

    @property
    def deliveries(self) -> list[dict[str, Any]]:
        return self.hooks.deliveries

    def reset(self) -> None:
        """Forget everything, including deliveries still queued; an in-flight one is waited for, so its
        record never lands in the fresh state (a test's deliveries are its own)."""
        self.hooks.clear()
        with self.lock:
            self.customers: dict[str, dict[str, Any]] = {}
            self.payments: dict[str, dict[str, Any]] = {}
            self.subscriptions: dict[str, dict[str, Any]] = {}  # sandbox/asaas_subscriptions.py
            self.events: dict[str, dict[str, Any]] = {}
            self.requests: list[dict[str, Any]] = []
            self.faults: list[dict[str, Any]] = []
            self._event_seq = 7659763
            self._invoice_seq = 6898322
            target, token = self._initial_webhook
            if target:
                self.hooks.add({"url": target, "authToken": token, "enabled": True,
                                "sendType": "SEQUENTIALLY", "events": []}, generate=False)

    # -- customers -------------------------------------------------------------------------------

    def create_customer(self, body: dict[str, Any]) -> tuple[dict[str, Any] | None, list[dict[str, str]]]:
        errors = []
        if not str(body.get("name") or "").strip():
            errors.append(error("invalid_name", "O nome do cliente deve ser informado."))
        document = valid_document(body.get("cpfCnpj"))
        if not body.get("cpfCnpj"):
            errors.append(error("invalid_cpfCnpj", "O CPF/CNPJ do cliente deve ser informado."))
        elif document is None:
            errors.append(error("invalid_cpfCnpj", "O CPF/CNPJ informado é inválido."))
        email = body.get("email")
        if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", str(email)):
            errors.append(error("invalid_email", "O email informado é inválido."))
        if errors:
            return None, errors
        fields = ("email", "phone", "mobilePhone", "address", "addressNumber", "complement", "province",
                  "postalCode", "additionalEmails", "externalReference", "observations", "company")
        customer = {
            "object": "customer", "id": new_id("cus_", 12), "dateCreated": today().isoformat(),
            "name": str(body["name"]).strip(), **{f: body.get(f) for f in fields},
            "cpfCnpj": document, "personType": "FISICA" if len(document or "") == 11 else "JURIDICA",
            "city": None, "cityName": None, "state": None, "country": "Brasil",
            "notificationDisabled": bool(body.get("notificationDisabled", False)),
            "foreignCustomer": bool(body.get("foreignCustomer", False)), "deleted": False,
        }
        with self.lock:
            self.customers[customer["id"]] = customer  # duplicates allowed, as in Asaas
        return copy.deepcopy(customer), []

    def list_customers(self, filters: dict[str, str]) -> list[dict[str, Any]]:
        with self.lock:
            found = [c for c in self.customers.values() if not c["deleted"]]
        if filters.get("cpfCnpj"):
            wanted = re.sub(r"[^0-9A-Za-z]", "", filters["cpfCnpj"]).upper()
            found = [c for c in found if c["cpfCnpj"] == wanted]
        if filters.get("name"):
            found = [c for c in found if filters["name"].lower() in c["name"].lower()]
        for key in ("email", "externalReference"):
            if filters.get(key):
                found = [c for c in found if c.get(key) == filters[key]]
        return copy.deepcopy(list(reversed(found)))  # newest first

    # -- payments --------------------------------------------------------------------------------

    def create_payment(
        self, body: dict[str, Any], host: str, subscription: str | None = None
    ) -> tuple[dict[str, Any] | None, list[dict[str, str]]]:
        errors = []
        with self.lock:
            customer = self.customers.get(str(body.get("customer") or ""))
        if customer is None or customer["deleted"]:
            errors.append(error("invalid_customer", "Customer inválido ou não informado"))
        errors += payment_problems(body)
        if errors:
            return None, errors
        value = body["value"]
        with self.lock:
            self._invoice_seq += 1
            invoice_number = f"{self._invoice_seq:08d}"
        payment_id = new_id("pay_", 16, _LOWER)
        suffix = payment_id.removeprefix("pay_")
        slip = body["billingType"] in ("BOLETO", "UNDEFINED")
        payment = {
            "object": "payment", "id": payment_id, "dateCreated": today().isoformat(),
            "customer": body["customer"], "subscription": subscription, "installment": None, "paymentLink": None,
            "value": float(value), "netValue": net_value(float(value), body["billingType"]),
            "originalValue": None, "interestValue": None, "description": body.get("description"),
            "billingType": body["billingType"], "canBePaidAfterDueDate": True, "pixTransaction": None,
            "status": "PENDING", "dueDate": body["dueDate"], "originalDueDate": body["dueDate"],
            "paymentDate": None, "clientPaymentDate": None, "installmentNumber": None,
            "invoiceUrl": f"{host}/i/{suffix}", "invoiceNumber": invoice_number,
            "externalReference": body.get("externalReference"), "deleted": False, "anticipated": False,
            "anticipable": False, "creditDate": None, "estimatedCreditDate": None,
            "transactionReceiptUrl": None, "nossoNumero": invoice_number[::-1] if slip else None,
            "bankSlipUrl": f"{host}/b/pdf/{suffix}" if slip else None,
            "lastInvoiceViewedDate": None, "lastBankSlipViewedDate": None,
            "discount": {"value": 0, "limitDate": None, "dueDateLimitDays": 0, "type": "FIXED",
                         **(body.get("discount") or {})},
            "fine": {"value": 0, "type": "PERCENTAGE", **(body.get("fine") or {})},
            "interest": {"value": 0, "type": "PERCENTAGE", **(body.get("interest") or {})},
            "postalService": bool(body.get("postalService", False)),
            "daysAfterDueDateToRegistrationCancellation":
                body.get("daysAfterDueDateToRegistrationCancellation"),
            "custody": None, "refunds": None,
        }
        with self.lock:
            self.payments[payment_id] = payment
            self.emit("PAYMENT_CREATED", payment)
        return copy.deepcopy(payment), []

    def list_payments(self, filters: dict[str, str]) -> list[dict[str, Any]]:
        """``GET /v3/payments`` filters as the "Listar cobranças" reference lists them, newest first.

        Equality: customer, billingType, status, subscription, installment, externalReference,
        paymentDate, estimatedCreditDate, pixQrCodeId, anticipated, anticipable. Ranges (dates,
        inclusive): dateCreated, paymentDate, estimatedCreditDate, dueDate with ``[ge]``/``[le]``.
        """
        with self.lock:
            found = [p for p in self.payments.values() if not p["deleted"]]
        for key in EQUAL_FILTERS:
            if filters.get(key):
                wanted = filters[key].lower() if key in ("anticipated", "anticipable") else filters[key]
                found = [p for p in found if _text(p.get(key)) == wanted]
        for key in RANGE_FILTERS:
            low, high = filters.get(f"{key}[ge]"), filters.get(f"{key}[le]")
            if low:
                found = [p for p in found if p.get(key) and str(p[key])[:10] >= low[:10]]
            if high:
                found = [p for p in found if p.get(key) and str(p[key])[:10] <= high[:10]]
        return copy.deepcopy(list(reversed(found)))

    def change_payment(self, payment_id: str, event: str, **changes: Any) -> dict[str, Any] | None:
        """Apply ``changes`` to a payment and emit ``event``; None when the payment is unknown."""
        with self.lock:
            payment = self.payments.get(payment_id)
            if payment is None:
                return None
            payment.update(changes)
            self.emit(event, payment)
            return copy.deepcopy(payment)

    def pay(self, payment_id: str) -> dict[str, Any] | None:
        paid = today().isoformat()
        credit = (today() + timedelta(days=1)).isoformat()
        return self.change_payment(
            payment_id, "PAYMENT_RECEIVED", status="RECEIVED", paymentDate=paid, clientPaymentDate=paid,
            confirmedDate=paid, creditDate=credit, estimatedCreditDate=credit,
        )

    # -- events and webhook deliveries -----------------------------------------------------------

    def emit(self, event: str, payment: dict[str, Any], entity: str = "payment") -> dict[str, Any]:
        """Record an event (the envelope Asaas sends, the object under ``entity``) and queue it for
        every subscribed webhook."""
        with self.lock:
            self._event_seq += 1
            envelope = {
                "id": f"evt_{secrets.token_hex(16)}&{self._event_seq}",
                "event": event,
                "dateCreated": datetime.now(SAO_PAULO).strftime("%Y-%m-%d %H:%M:%S"),
                entity: copy.deepcopy(payment),
            }
            self.events[envelope["id"]] = envelope
            self.hooks.queue_event(envelope)
        return envelope

    def resend(self, event_id: str) -> dict[str, Any] | None:
        with self.lock:
            envelope = self.events.get(event_id)
            if envelope is not None:
                self.hooks.queue_event(envelope)
            return envelope

    def drain(self, timeout: float = 15.0) -> bool:
        """Wait until every due delivery was attempted (paused queues wait); False on timeout."""
        return self.hooks.drain(timeout)
