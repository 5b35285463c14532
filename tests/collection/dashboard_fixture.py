"""A dozen Asaas payments and the reminders Ponte sent for them, on 2025-03-20 (São Paulo), with the
figures worked out by hand (the sums are in the comments of tests/collection/test_dashboard.py)."""

from __future__ import annotations

from datetime import date

from app.collection.dashboard import Reminder

TODAY = date(2025, 3, 20)


def _p(pid: str, status: str, value: float, due: str, paid: str | None = None) -> dict:
    return {"object": "payment", "id": pid, "customer": f"cus_{pid[-2:]}", "status": status, "value": value,
            "dueDate": due, "paymentDate": paid, "clientPaymentDate": paid, "deleted": False,
            "description": f"Mensalidade {pid}"}


PAYMENTS = [
    _p("pay_01", "PENDING", 100.10, "2025-03-25"),            # open
    _p("pay_02", "PENDING", 250.00, "2025-03-20"),            # open: due today
    _p("pay_03", "OVERDUE", 99.99, "2025-03-19"),             # 1 day   → 1-15
    _p("pay_04", "OVERDUE", 1234.56, "2025-03-05"),           # 15 days → 1-15
    _p("pay_05", "OVERDUE", 0.01, "2025-03-04"),              # 16 days → 16-30
    _p("pay_06", "PENDING", 10.10, "2025-02-18"),             # 30 days → 16-30 (not flipped yet)
    _p("pay_07", "OVERDUE", 333.33, "2025-02-17"),            # 31 days → 31-60
    _p("pay_08", "OVERDUE", 2.675, "2025-01-19"),             # 60 days → 31-60; R$ 2,68 (half-up)
    _p("pay_09", "OVERDUE", 500.00, "2025-01-18"),            # 61 days → over 60
    _p("pay_10", "RECEIVED", 200.00, "2025-03-01", "2025-03-03"),   # 2 days late
    _p("pay_11", "RECEIVED", 150.00, "2025-03-10", "2025-03-08"),   # early: 0
    _p("pay_12", "CONFIRMED", 80.00, "2025-02-28", "2025-03-12"),   # 12 days late
    _p("pay_13", "REFUNDED", 50.00, "2025-03-01", "2025-03-02"),    # neither open nor paid
    _p("pay_14", "RECEIVED_IN_CASH", 40.00, "2025-03-15", "2025-03-18"),  # 3 days late
    {**_p("pay_15", "PENDING", 999.00, "2025-03-25"), "deleted": True},  # removed: ignored
]

REMINDERS = [
    Reminder("pay_10", -5, date(2025, 2, 24), customer_name="Bruno"),
    Reminder("pay_10", 0, date(2025, 3, 1), customer_name="Bruno"),
    Reminder("pay_11", -5, date(2025, 3, 5)),
    Reminder("pay_12", 1, date(2025, 3, 1)),
    Reminder("pay_12", 7, date(2025, 3, 7)),
    Reminder("pay_04", 0, date(2025, 3, 5), customer_name="Ana Souza"),
    Reminder("pay_04", 1, date(2025, 3, 6), customer_name="Ana Souza"),
    Reminder("pay_04", 7, date(2025, 3, 12), customer_name="Ana Souza"),
    Reminder("pay_03", 0, date(2025, 3, 19)),
    Reminder("pay_03", 1, date(2025, 3, 20)),
    Reminder("pay_07", 7, date(2025, 2, 24)),
    Reminder("pay_14", 0, date(2025, 3, 15)),
    Reminder("pay_99", 0, date(2025, 3, 1)),                  # a payment no longer listed
    Reminder("pay_09", 7, date(2025, 1, 25), status="failed", customer_name="Carla Dias"),
]
