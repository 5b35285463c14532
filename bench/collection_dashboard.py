"""How long the collection dashboard's figures take to compute from N payments and reminders
(``app.collection.dashboard.compute``: pure Python, integer cents), run by hand:

    python -m bench.collection_dashboard --payments 20000 --rounds 5

Prints min / median / max milliseconds per computation. The Asaas reads (one call per 100 payments)
are not included: they dominate, and the page caches them.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import date, timedelta

from app.collection.dashboard import Reminder, charge_from_payment, compute

STATUSES = ("PENDING", "OVERDUE", "RECEIVED", "CONFIRMED", "RECEIVED_IN_CASH", "REFUNDED")


def fixture(n: int, today: date) -> tuple[list, list]:
    rng = random.Random(42)
    charges, reminders = [], []
    for i in range(n):
        due = today + timedelta(days=rng.randint(-120, 30))
        status = rng.choice(STATUSES)
        paid = (due + timedelta(days=rng.randint(-5, 40))).isoformat() if status in STATUSES[2:5] else None
        charge = charge_from_payment({"id": f"pay_{i}", "status": status, "value": round(rng.uniform(1, 5000), 2),
                                      "dueDate": due.isoformat(), "paymentDate": paid})
        charges.append(charge)
        for offset in (-5, 0, 1, 7):
            if due + timedelta(days=offset) <= today and rng.random() < 0.8:
                reminders.append(Reminder(f"pay_{i}", offset, due + timedelta(days=offset)))
    return charges, reminders


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--payments", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    today = date(2025, 3, 20)
    charges, reminders = fixture(args.payments, today)
    times = []
    for _ in range(args.rounds):
        start = time.perf_counter()
        compute(charges, reminders, today, last_step=7, paid_since=today - timedelta(days=90))
        times.append((time.perf_counter() - start) * 1000)
    print(f"{args.payments} payments, {len(reminders)} reminders: min {min(times):.1f} ms, "
          f"median {statistics.median(times):.1f} ms, max {max(times):.1f} ms")


if __name__ == "__main__":
    main()
