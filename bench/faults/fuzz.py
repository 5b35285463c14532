"""Fuzz of ``/webhooks/<uid>`` at the socket level: requests no client library would send.

Cases (each on a fresh connection, authenticated or not at random): malformed chunking, bodies cut
short, a Content-Length that lies (too long, too short, negative, two of them), odd and huge
headers, garbage methods and request lines, NUL and invalid UTF-8 in bodies, and — mixed in —
well-formed deliveries that must be stored and run like any other.
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from collections.abc import Callable

import requests as http
from sqlalchemy import func, select

from app.db import get_session
from app.models import Event, WebhookDelivery

from .rawhttp import request_bytes, send_raw
from .scenarios import Result, check
from .stack import FaultStack, Sent

Case = Callable[[random.Random, str, dict[str, str], bytes], bytes]


def _chunks(rng: random.Random, path: str, auth: dict[str, str], body: bytes) -> bytes:
    bad = rng.choice([b"5\r\nhello\r\nzz\r\n", b"zz\r\n\r\n", b"5\r\nhelloXX0\r\n\r\n", b"5\r\nhel",
                      b"-1\r\n\r\n", b"ffffffffffffffffff\r\n", b"5;ext=\x00\r\nhello\r\n0\r\n\r\n",
                      f"{len(body) + 3:x}\r\n".encode() + body + b"\r\n0\r\n\r\n"])
    return request_bytes("POST", path, {**auth, "Transfer-Encoding": "chunked",
                                        "Content-Type": "application/json"}, bad)


def _truncated(rng: random.Random, path: str, auth: dict[str, str], body: bytes) -> bytes:
    cut = rng.randrange(0, max(1, len(body) - 1))
    return request_bytes("POST", path, {**auth, "Content-Length": str(len(body)),
                                        "Content-Type": "application/json"}, body[:cut])


def _wrong_length(rng: random.Random, path: str, auth: dict[str, str], body: bytes) -> bytes:
    length = rng.choice([str(len(body) // 2), "-5", "abc", "99999999999999999999", f"{len(body)}, {len(body)}"])
    headers = {**auth, "Content-Length": length, "Content-Type": "application/json"}
    if rng.random() < 0.3:
        headers["Transfer-Encoding"] = "chunked"  # both framings at once (request smuggling shape)
    return request_bytes("POST", path, headers, body)


def _odd_headers(rng: random.Random, path: str, auth: dict[str, str], body: bytes) -> bytes:
    headers = {**auth, "Content-Length": str(len(body))}
    headers.update(rng.choice([
        {"Content-Type": "application/json; charset=latin-9"},
        {"Content-Type": "text/plain\x01"},
        {"X-Forwarded-For": "1.2.3.4, \xff"},
        {"asaas-access-token": auth.get("asaas-access-token", "x") + " ", "Expect": "100-continue"},
        {"Content-Encoding": "gzip"},
        {"X-Request-Id": "../../etc/passwd"},
        {"Host": ""},
        {" Content-Type": "application/json"},
    ]))
    return request_bytes("POST", path, headers, body)


def _huge_headers(rng: random.Random, path: str, auth: dict[str, str], body: bytes) -> bytes:
    size = rng.choice([8 * 1024, 64 * 1024, 1024 * 1024])
    return request_bytes("POST", path, {**auth, "Content-Length": str(len(body)), "X-Big": "a" * size}, body)


def _garbage_method(rng: random.Random, path: str, auth: dict[str, str], body: bytes) -> bytes:
    if rng.random() < 0.5:
        method = rng.choice(["PUT", "DELETE", "PATCH", "FOO", "P\x00ST", "GET", "OPTIONS", "POST\tX"])
        return request_bytes(method, path, {**auth, "Content-Length": str(len(body))}, body)
    return rng.choice([b"\x16\x03\x01\x00\xa5\x01\x00\x00", b"POST\r\n\r\n", b"POST " + path.encode() + b"\r\n\r\n",
                       b"\r\n\r\n\r\n", b"POST /webhooks/%zz HTTP/1.1\r\nHost: x\r\n\r\n"])


def _bad_body(rng: random.Random, path: str, auth: dict[str, str], body: bytes) -> bytes:
    bad = rng.choice([body.replace(b'"', b"\x00", 1), b"\xff\xfe" + body, b"[" * 5000, body + b"\x00" * 10,
                      body[: len(body) // 2], b"", b'{"id": "\xed\xa0\x80"}'])
    return request_bytes("POST", path, {**auth, "Content-Length": str(len(bad)),
                                        "Content-Type": "application/json"}, bad)


CASES: dict[str, Case] = {"chunking": _chunks, "truncated": _truncated, "wrong_length": _wrong_length,
                          "odd_headers": _odd_headers, "huge_headers": _huge_headers,
                          "garbage_method": _garbage_method, "bad_body": _bad_body}


def fuzz(stack: FaultStack, *, count: int = 10_000, valid_share: float = 0.05, seed: int = 3) -> Result:
    """``count`` fuzzed requests, ``valid_share`` of them well-formed new deliveries."""
    rng = random.Random(seed)  # noqa: S311
    valid = stack.new_charges(max(1, round(count * valid_share)))
    pending = list(valid)
    path = f"/webhooks/{stack.uid}"
    sent, by_case = Sent(), Counter()
    unauthenticated = 0
    started = time.monotonic()
    for _ in range(count):
        if pending and rng.random() < valid_share * 1.5:
            envelope = pending.pop()
            body = json.dumps(envelope).encode()
            answer = send_raw("127.0.0.1", stack.port, request_bytes("POST", path, {
                "asaas-access-token": stack.token, "Content-Type": "application/json",
                "Content-Length": str(len(body))}, body))
            sent.record(answer.status, envelope["id"])
            by_case["valid", answer.status] += 1
            continue
        name = rng.choice(list(CASES))
        authenticated = rng.random() < 0.5
        auth = {"asaas-access-token": stack.token} if authenticated else \
            rng.choice([{}, {"asaas-access-token": "wrong-token-0123456789abcdef0123"}])
        unauthenticated += not authenticated
        envelope = rng.choice(valid)
        prefix = "evt_fuzz_" if authenticated else "evt_noauth_"
        body = json.dumps({**envelope, "id": f"{prefix}{rng.getrandbits(64):x}"}).encode()
        answer = send_raw("127.0.0.1", stack.port, CASES[name](rng, path, auth, body), timeout=15)
        sent.record(answer.status)
        by_case[name, answer.status] += 1
    for envelope in pending:  # the valid ones the dice skipped, so the count is exact
        stack.deliver(envelope, sent, http.Session(), time.monotonic() + 60)
    fuzz_seconds = time.monotonic() - started
    fuzz_events = _fuzz_rows(stack)
    drained = stack.wait_drained(len(valid), 600)
    # A fuzzed copy of a valid delivery under a new event id is the same business change: stored as
    # an event, absorbed by the run's change key (no second contract for a forged or odd re-send).
    result = check(stack, len(valid) + fuzz_events["events"], sent, drained, changes=len(valid), requests=count,
                   unauthenticated=unauthenticated, fuzz_seconds=round(fuzz_seconds, 1),
                   by_case={f"{n} {s}": c for (n, s), c in sorted(by_case.items(), key=str)},
                   fuzz_events=fuzz_events["events"], unauthenticated_events=fuzz_events["unauthenticated_events"],
                   rejections_logged=fuzz_events["rejections_logged"])
    if fuzz_events["unauthenticated_events"]:
        result["problems"].append(f"{fuzz_events['unauthenticated_events']} events stored without authentication")
    return result


def _fuzz_rows(stack: FaultStack) -> dict[str, int]:
    """Rows the fuzzed (not the valid) requests left: events (only an authenticated, well-formed body
    may make one, e.g. a body whose Content-Length was right after all) and delivery-log entries."""
    with stack.app.app_context():
        session = get_session()
        events = session.scalar(select(func.count()).select_from(Event).where(Event.dedupe_key.like("evt_fuzz_%")))
        intruders = session.scalar(select(func.count()).select_from(Event)
                                   .where(Event.dedupe_key.like("evt_noauth_%")))
        rejected = session.scalar(select(func.count()).select_from(WebhookDelivery))
    return {"events": int(events or 0), "unauthenticated_events": int(intruders or 0),
            "rejections_logged": int(rejected or 0)}
