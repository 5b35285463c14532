"""The collection dashboard's figures, computed from plain data: Asaas payments and the reminders
Ponte sent. Pure functions (no database, no HTTP) so a hand-computed fixture can pin every figure.

Money is integer cents from the first line to the last (``to_cents`` reads Asaas's JSON numbers
through their text, half-up): sums never drift by a float's last digit. Days are São Paulo days,
the days Asaas's due dates are written in.

Definitions (the page and ``docs/collection-rule.md`` say the same):

- **open** (a vencer): PENDING and due today or later; **overdue** (vencidas): OVERDUE, or PENDING
  with a due date already past (Asaas flips the status overnight; the day counts, not the flag).
- **aging**: overdue payments by days past the due date, 1-15, 16-30, 31-60, over 60.
- **reminders per step**: reminders sent (runs that succeeded) by the rule's day (D-5, D0, D+7...).
- **recovery rate**: of the payments that got a reminder, those paid within N days after one of
  them. A payment whose last reminder is younger than N days and is not paid yet is left out (it
  may still be recovered); one paid is counted as soon as it is.
- **average days to payment**: over payments received in the period, days from the due date to
  the payment date; paid on or before the due date counts as 0 (early payers do not hide late ones).
- **needs a person**: overdue payments past the rule's last step (no reminder is left to send) or
  whose last reminder failed for good.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from app.engine.coerce import CoerceError, to_cents

PAID_STATUSES = frozenset({"RECEIVED", "CONFIRMED", "RECEIVED_IN_CASH"})
OPEN_STATUSES = frozenset({"PENDING", "OVERDUE"})
#: (first day, last day or None for "and more") of each aging bucket.
BUCKETS: tuple[tuple[int, int | None], ...] = ((1, 15), (16, 30), (31, 60), (61, None))
DEFAULT_RECOVERY_DAYS = 7


@dataclass(frozen=True)
class Charge:
    """One Asaas payment as the dashboard needs it (``cents`` is the value in whole cents)."""

    id: str
    customer: str
    cents: int
    due: date
    status: str
    paid: date | None = None
    description: str = ""


@dataclass(frozen=True)
class Reminder:
    """One reminder run of a collection rule: its payment, the rule's day, the São Paulo day it was
    for, and whether it was sent (``succeeded``) or failed for good (``failed``)."""

    payment_id: str
    offset: int
    day: date
    status: str = "succeeded"
    customer_name: str = ""


@dataclass(frozen=True)
class Bucket:
    first: int
    last: int | None
    count: int
    cents: int


@dataclass(frozen=True)
class Attention:
    """A charge a person should look at, and why (``past_last_step`` or ``reminder_failed``)."""

    charge: Charge
    days_overdue: int
    reason: str
    customer_name: str = ""


@dataclass(frozen=True)
class Figures:
    today: date
    open_count: int
    open_cents: int
    overdue_count: int
    overdue_cents: int
    buckets: tuple[Bucket, ...]
    sent_per_step: tuple[tuple[int, int], ...]
    reminded: int
    recovered: int
    recovery_days: int
    paid_count: int
    average_days_to_pay: Decimal | None
    attention: tuple[Attention, ...] = field(default_factory=tuple)

    @property
    def recovery_rate(self) -> Decimal | None:
        """Percent with one decimal (``Decimal("66.7")``), None when no reminded payment counts yet."""
        if not self.reminded:
            return None
        return (Decimal(100 * self.recovered) / self.reminded).quantize(Decimal("0.1"), ROUND_HALF_UP)

    @property
    def total_open_cents(self) -> int:
        return self.open_cents + self.overdue_cents


def parse_day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def charge_from_payment(payment: Mapping[str, Any]) -> Charge | None:
    """An Asaas payment object → a Charge; None for one removed or without a usable value/due date.

    The payment day is ``paymentDate`` (Asaas's list filter works on it), else ``clientPaymentDate``.
    """
    due = parse_day(payment.get("dueDate"))
    if payment.get("deleted") or due is None or not payment.get("id"):
        return None
    try:
        cents = int(to_cents(payment.get("value")) * 100)
    except CoerceError:
        return None
    return Charge(id=str(payment["id"]), customer=str(payment.get("customer") or ""), cents=cents, due=due,
                  status=str(payment.get("status") or ""),
                  paid=parse_day(payment.get("paymentDate")) or parse_day(payment.get("clientPaymentDate")),
                  description=str(payment.get("description") or ""))


def is_overdue(charge: Charge, today: date) -> bool:
    return charge.status == "OVERDUE" or (charge.status == "PENDING" and charge.due < today)


def bucket_of(days: int) -> int:
    """The index in :data:`BUCKETS` for a payment ``days`` past its due date (``days`` ≥ 1)."""
    for index, (_first, last) in enumerate(BUCKETS):
        if last is None or days <= last:
            return index
    return len(BUCKETS) - 1


def compute(charges: Iterable[Charge], reminders: Iterable[Reminder], today: date, *,
            recovery_days: int = DEFAULT_RECOVERY_DAYS, last_step: int | None = None,
            paid_since: date | None = None) -> Figures:
    """Every figure of the dashboard. ``last_step`` is the rule's last day (None: nobody is "past
    the last step"); ``paid_since`` bounds the payments averaged (default: all given)."""
    charges = list(charges)
    reminders = list(reminders)
    by_id = {c.id: c for c in charges}
    open_cents = open_count = overdue_cents = overdue_count = 0
    sums = [[0, 0] for _ in BUCKETS]
    for charge in charges:
        if charge.status not in OPEN_STATUSES:
            continue
        if is_overdue(charge, today):
            overdue_count += 1
            overdue_cents += charge.cents
            slot = sums[bucket_of(max(1, (today - charge.due).days))]
            slot[0] += 1
            slot[1] += charge.cents
        else:
            open_count += 1
            open_cents += charge.cents
    buckets = tuple(Bucket(first, last, count, cents) for (first, last), (count, cents) in zip(BUCKETS, sums,
                                                                                                strict=True))
    sent = [r for r in reminders if r.status == "succeeded"]
    per_step: dict[int, int] = {}
    for item in sent:
        per_step[item.offset] = per_step.get(item.offset, 0) + 1
    reminded, recovered = _recovery(sent, by_id, today, recovery_days)
    paid = [c for c in charges if c.status in PAID_STATUSES and c.paid is not None
            and (paid_since is None or c.paid >= paid_since)]
    average = None
    if paid:
        late_days = sum(max(0, (c.paid - c.due).days) for c in paid if c.paid is not None)
        average = (Decimal(late_days) / len(paid)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return Figures(today=today, open_count=open_count, open_cents=open_cents, overdue_count=overdue_count,
                   overdue_cents=overdue_cents, buckets=buckets, sent_per_step=tuple(sorted(per_step.items())),
                   reminded=reminded, recovered=recovered, recovery_days=recovery_days, paid_count=len(paid),
                   average_days_to_pay=average, attention=_attention(charges, reminders, today, last_step))


def _recovery(sent: list[Reminder], by_id: Mapping[str, Charge], today: date, days: int) -> tuple[int, int]:
    """(payments that count, payments recovered) for the recovery rate (see the module docstring)."""
    days_by_payment: dict[str, list[date]] = {}
    for item in sent:
        days_by_payment.setdefault(item.payment_id, []).append(item.day)
    reminded = recovered = 0
    for payment_id, reminder_days in days_by_payment.items():
        charge = by_id.get(payment_id)
        if charge is None:  # no longer listed (removed, or paid before the period read): unknown
            continue
        paid = charge.paid if charge.status in PAID_STATUSES else None
        if paid is not None and any(day <= paid <= day + timedelta(days=days) for day in reminder_days):
            reminded += 1
            recovered += 1
        elif max(reminder_days) + timedelta(days=days) < today:
            reminded += 1  # its window is over: not recovered by the reminders
    return reminded, recovered


def _attention(charges: list[Charge], reminders: list[Reminder], today: date,
               last_step: int | None) -> tuple[Attention, ...]:
    last: dict[str, Reminder] = {}
    names: dict[str, str] = {}
    for item in sorted(reminders, key=lambda r: (r.day, r.offset)):
        last[item.payment_id] = item
        if item.customer_name:
            names[item.payment_id] = item.customer_name
    found = []
    for charge in charges:
        if charge.status not in OPEN_STATUSES or not is_overdue(charge, today):
            continue
        days = (today - charge.due).days
        latest = last.get(charge.id)
        if latest is not None and latest.status == "failed":
            reason = "reminder_failed"
        elif last_step is not None and days > last_step:
            reason = "past_last_step"
        else:
            continue
        found.append(Attention(charge, days, reason, names.get(charge.id, "")))
    return tuple(sorted(found, key=lambda a: (-a.days_overdue, -a.charge.cents, a.charge.id)))
