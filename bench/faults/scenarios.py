"""The battery's scenarios. Each drives a :class:`~bench.faults.stack.FaultStack` through real HTTP
and returns its figures plus ``problems``: every broken promise, in words (empty when all held).

The promises, the same for each scenario: runs = unique events; documents at the ZapSign double
= runs, never two for one run; nothing left queued or running; no 500 answered.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import Any

from .stack import FaultStack, Sent

Result = dict[str, Any]


def check(stack: FaultStack, unique: int, sent: Sent, drain_seconds: float, *, changes: int | None = None,
          **figures: Any) -> Result:
    """The battery's verdict. ``unique`` events must be stored; ``changes`` (default: ``unique``) is how
    many business changes they carry, and so how many runs there must be: the same PAYMENT_CREATED
    under two event ids is one change (``<recipe>:change:<key>``), one run, one contract."""
    verdict = stack.verdict()
    problems = []
    expected_runs = unique if changes is None else changes
    if drain_seconds < 0:
        problems.append(f"not drained: {verdict['unfinished']} events/runs still open")
    if verdict["events"] != unique:
        problems.append(f"{verdict['events']} events stored for {unique} unique events")
    if verdict["runs"] != expected_runs:
        problems.append(f"{verdict['runs']} runs for {expected_runs} business changes ({unique} unique events)")
    if verdict["documents"] != verdict["runs"]:
        problems.append(f"{verdict['documents']} documents at ZapSign for {verdict['runs']} runs")
    if verdict["runs_with_two_documents"]:
        problems.append(f"{verdict['runs_with_two_documents']} runs made more than one document")
    if verdict["run_statuses"].get("failed"):
        problems.append(f"{verdict['run_statuses']['failed']} runs failed for good")
    if sent.errors_500:
        problems.append(f"{sent.errors_500} answers of 500")
    lost = stack.answered_200_but_missing(sent.stored)
    if lost:
        problems.append(f"{len(lost)} deliveries answered 200 but not stored, e.g. {sorted(lost)[:3]}")
    return {"unique_events": unique, **verdict, "suspects": stack.suspects() if problems else [],
            "answers": {str(k): v for k, v in sent.statuses.items()},
            "answers_5xx": sent.errors_5xx, "answers_500": sent.errors_500,
            "drain_seconds": round(drain_seconds, 1), **figures, "problems": problems}


def with_duplicates(envelopes: list[dict[str, Any]], total: int, seed: int = 11) -> list[dict[str, Any]]:
    """``total`` deliveries: every envelope once, the rest re-sends of random ones, shuffled."""
    rng = random.Random(seed)  # noqa: S311
    deliveries = list(envelopes) + [rng.choice(envelopes) for _ in range(total - len(envelopes))]
    rng.shuffle(deliveries)
    return deliveries


def duplicate_storm(stack: FaultStack, *, deliveries: int = 2000, duplicates: float = 0.25,
                    senders: int = 16, drain_timeout: float = 900) -> Result:
    unique = round(deliveries * (1 - duplicates))
    envelopes = stack.new_charges(unique)
    started = time.monotonic()
    sent = stack.send_all(with_duplicates(envelopes, deliveries), senders)
    send_seconds = time.monotonic() - started
    drained = stack.wait_drained(unique, drain_timeout)
    return check(stack, unique, sent, drained, deliveries=deliveries, senders=senders,
                 send_seconds=round(send_seconds, 1))


def crash(stack: FaultStack, *, events: int = 1000, senders: int = 8, worker_kills: int = 3,
          web_kills: int = 1, send_seconds: float = 60, drain_timeout: float = 900) -> Result:
    """SIGKILL of a worker (``worker_kills`` times) and of the web server while the load is sent
    (paced over ``send_seconds``); each comes back a second later."""
    envelopes = stack.new_charges(events)
    deliveries = with_duplicates(envelopes, round(events * 1.1))
    sent = Sent()
    pace = send_seconds * senders / len(deliveries)
    load = threading.Thread(target=stack.send_all, args=(deliveries, senders, sent),
                            kwargs={"pace": pace}, daemon=True)
    load.start()
    kills: list[str] = []
    plan: list[tuple[str, Callable[[], None], Callable[[], Any]]] = (
        [("worker", stack.kill_worker, stack.start_worker)] * worker_kills
        + [("web", stack.kill_web, stack.start_web)] * web_kills)
    random.Random(5).shuffle(plan)  # noqa: S311
    for what, kill, restart in plan:
        time.sleep(send_seconds / (len(plan) + 1))
        kill()
        kills.append(f"{what} at {stack.verdict()['runs']} runs")
        time.sleep(1.0)
        restart()
    load.join()
    drained = stack.wait_drained(events, drain_timeout)
    return check(stack, events, sent, drained, deliveries=len(deliveries), kills=kills,
                 refused_while_down=sent.statuses[None])


def faulty_destinations(stack: FaultStack, *, events: int = 500, rate: float = 0.3, senders: int = 8,
                        slow_seconds: float = 21.0, weights: dict[str, float] | None = None,
                        list_cache_seconds: float | None = None, drain_timeout: float = 1800) -> Result:
    """A share ``rate`` of every call to both doubles fails (503, 429, lost after the effect, slow),
    and ZapSign's document list lags like its ~60 s cache (scaled as Ponte's waits are, by
    RETRY_DELAY_SCALE, unless ``list_cache_seconds`` says otherwise)."""
    cache = stack.retry_scale * 60 if list_cache_seconds is None else list_cache_seconds
    stack.list_cache(cache)
    stack.chaos(rate=rate, retry_after=1, slow_seconds=slow_seconds, seed=7,
                **({"weights": weights} if weights else {}))
    envelopes = stack.new_charges(events)
    sent = stack.send_all(envelopes, senders)
    drained = stack.wait_drained(events, drain_timeout)
    report = stack.chaos_report()
    stack.chaos(rate=0)
    return check(stack, events, sent, drained, rate=rate, list_cache_seconds=cache,
                 injected={name: r["injected"] for name, r in report.items()},
                 calls={name: r["calls"] for name, r in report.items()})


def database_outage(stack: FaultStack, proxy: Any, *, events: int = 600, senders: int = 8,
                    outage_seconds: float = 20.0, send_seconds: float = 60.0, drain_timeout: float = 900) -> Result:
    """The database refuses connections and cuts open ones for ``outage_seconds``, a third of the way
    into a load paced over ``send_seconds`` (so webhooks and workers both meet the outage)."""
    envelopes = stack.new_charges(events)
    sent = Sent()
    load = threading.Thread(target=stack.send_all, args=(envelopes, senders, sent),
                            kwargs={"pace": send_seconds * senders / events}, daemon=True)
    load.start()
    time.sleep(send_seconds / 3)
    proxy.cut()
    time.sleep(outage_seconds)
    proxy.restore()
    load.join()
    drained = stack.wait_drained(events, drain_timeout)
    return check(stack, events, sent, drained, outage_seconds=outage_seconds,
                 answers_503=sent.statuses[503], no_answer=sent.statuses[None])
