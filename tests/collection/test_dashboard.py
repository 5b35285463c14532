"""The dashboard's figures against a hand-computed fixture (tests/collection/dashboard_fixture.py)."""

from __future__ import annotations

from decimal import Decimal

from app.collection.dashboard import Charge, charge_from_payment, compute
from tests.collection.dashboard_fixture import PAYMENTS, REMINDERS, TODAY


def _figures(**options):
    charges = [c for c in (charge_from_payment(p) for p in PAYMENTS) if c is not None]
    return compute(charges, REMINDERS, TODAY, **options)


def test_open_and_overdue_totals_are_exact_to_the_cent() -> None:
    figures = _figures()
    # open: 100,10 + 250,00
    assert (figures.open_count, figures.open_cents) == (2, 35010)
    # overdue: 99,99 + 1234,56 + 0,01 + 10,10 + 333,33 + 2,68 + 500,00
    assert (figures.overdue_count, figures.overdue_cents) == (7, 218067)
    assert figures.total_open_cents == 253077


def test_aging_buckets_split_on_the_days_past_due() -> None:
    buckets = [(b.first, b.last, b.count, b.cents) for b in _figures().buckets]
    assert buckets == [
        (1, 15, 2, 133455),     # pay_03 (1 day) 99,99 + pay_04 (15 days) 1234,56
        (16, 30, 2, 1011),      # pay_05 (16) 0,01 + pay_06 (30, still PENDING) 10,10
        (31, 60, 2, 33601),     # pay_07 (31) 333,33 + pay_08 (60) 2,68
        (61, None, 1, 50000),   # pay_09 (61) 500,00
    ]


def test_reminders_sent_per_step_count_only_the_sent_ones() -> None:
    # the failed D+7 of pay_09 is not counted; pay_99 (no longer listed) is: it was sent
    assert _figures().sent_per_step == ((-5, 2), (0, 5), (1, 3), (7, 3))


def test_recovery_rate_counts_payments_paid_within_n_days_of_a_reminder() -> None:
    figures = _figures()
    # recovered: pay_10, pay_11, pay_12 (7 days after its D+7), pay_14; not: pay_04, pay_07;
    # pay_03's window is still open (left out), pay_99 is unknown
    assert (figures.reminded, figures.recovered) == (6, 4)
    assert figures.recovery_rate == Decimal("66.7")
    # with 3 days, pay_12 (paid 5 days after its last reminder) is no longer recovered
    shorter = _figures(recovery_days=3)
    assert (shorter.reminded, shorter.recovered) == (6, 3)
    assert shorter.recovery_rate == Decimal("50.0")


def test_average_days_to_payment_counts_early_payers_as_zero() -> None:
    figures = _figures()
    # pay_10: 2, pay_11: 0 (early), pay_12: 12, pay_14: 3 → 17 / 4 = 4,25 → 4,3
    assert figures.paid_count == 4
    assert figures.average_days_to_pay == Decimal("4.3")
    assert _figures(paid_since=TODAY.replace(day=10)).average_days_to_pay == Decimal("7.5")  # pay_12, pay_14


def test_charges_that_need_a_person() -> None:
    attention = [(a.charge.id, a.days_overdue, a.reason, a.customer_name)
                 for a in _figures(last_step=7).attention]
    assert attention == [
        ("pay_09", 61, "reminder_failed", "Carla Dias"),
        ("pay_08", 60, "past_last_step", ""),
        ("pay_07", 31, "past_last_step", ""),
        ("pay_06", 30, "past_last_step", ""),
        ("pay_05", 16, "past_last_step", ""),
        ("pay_04", 15, "past_last_step", "Ana Souza"),
    ]
    assert [a.charge.id for a in _figures(last_step=None).attention] == ["pay_09"]


def test_nothing_to_count_gives_no_rate_and_no_average() -> None:
    figures = compute([], [], TODAY)
    assert figures.recovery_rate is None and figures.average_days_to_pay is None
    assert figures.total_open_cents == 0 and all(b.count == 0 for b in figures.buckets)


def test_payments_read_through_their_text_and_removed_ones_dropped() -> None:
    charge = charge_from_payment({"id": "pay_x", "status": "PENDING", "value": 2.675, "dueDate": "2025-03-01"})
    assert charge == Charge(id="pay_x", customer="", cents=268, due=TODAY.replace(day=1), status="PENDING")
    assert charge_from_payment({"id": "pay_y", "value": 1, "dueDate": "2025-03-01", "deleted": True}) is None
    assert charge_from_payment({"id": "pay_z", "value": "abc", "dueDate": "2025-03-01"}) is None
    assert charge_from_payment({"id": "pay_w", "value": 1, "dueDate": "amanhã"}) is None
