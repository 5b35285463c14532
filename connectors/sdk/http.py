"""The one HTTP base every connector uses.

A connector's client sets only its base URL, auth headers and error-body parser; timeouts, retries
(backoff with jitter on 429, 5xx and connection errors), ``Retry-After`` / ``RateLimit-Reset`` and
the mapping of responses to :mod:`connectors.sdk.errors` live here, once.

Writes are careful: a POST that timed out, got a 5xx, lost its connection or got an answer we cannot
read may have been applied, so it is not retried in place; it raises ``TransientError(ambiguous=True)``
and the engine retries the step later, when the action first looks for its own earlier result by
idempotency key. A 429 or a connect timeout means nothing was applied, so those are retried in place
for every method. A request that cannot even be built (bad base URL or credential, input that is
not JSON) is never sent: a config or permanent error.

Services' answers are decoded with :func:`~connectors.sdk.strictjson.parse_json` (no NaN, no absurd
nesting), and their wait headers are read leniently: what cannot be read is ignored, never raised.
"""

from __future__ import annotations

import email.utils
import logging
import random
import re
import time
from collections.abc import Callable, Mapping
from datetime import UTC
from typing import Any

import requests

from .errors import ConfigError, ConnectorError, PermanentError, RateLimitedError, TransientError
from .strictjson import parse_json

log = logging.getLogger("ponte.http")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_SERVICE_WAIT = 24 * 3600.0  # a longer Retry-After counts as a day (and keeps dates in range)
# The longest wait slept inside a call. A longer one (a 429's Retry-After of 30 s) is raised instead,
# and the engine schedules the step again in the database: a thread never sleeps on one service.
MAX_INLINE_WAIT = 2.0
ErrorParser = Callable[[requests.Response], str]
_SECONDS = re.compile(r"[0-9]+(\.[0-9]+)?")
# Raised while building the request, so nothing was sent: the connection's settings are wrong.
_UNSENDABLE = (
    requests.exceptions.MissingSchema, requests.exceptions.InvalidSchema,
    requests.exceptions.InvalidURL, requests.exceptions.InvalidHeader,
)


def response_json(response: requests.Response) -> Any:
    """The body decoded with :func:`parse_json`; ``ValueError`` when it is not usable JSON."""
    return parse_json(response.content if response.encoding is None else response.text)


def default_error_parser(response: requests.Response) -> str:
    """The body's ``message``/``detail``/``error`` field when it is JSON, else a short text excerpt."""
    try:
        body = response_json(response)
    except ValueError:
        return (response.text or "").strip()[:300] or response.reason or f"HTTP {response.status_code}"
    if isinstance(body, dict):
        for key in ("message", "detail", "error", "description"):
            if isinstance(body.get(key), str) and body[key]:
                return str(body[key])
    return str(body)[:300]


def parse_wait(response: requests.Response) -> float | None:
    """Seconds the service asked us to wait: ``Retry-After`` (seconds or HTTP date), else ``RateLimit-Reset``.

    Headers in the wild are sloppy ("1.5", "soon", a date without zone): decimal seconds are taken,
    a date without zone is GMT as HTTP says, and anything else is ignored (normal backoff applies).
    """
    wait = _retry_after(response.headers.get("Retry-After", ""))
    if wait is None:
        wait = _seconds(response.headers.get("RateLimit-Reset", ""))
    return None if wait is None else min(wait, MAX_SERVICE_WAIT)


def _seconds(value: str) -> float | None:
    text = value.strip()
    return float(text) if _SECONDS.fullmatch(text) else None


def _retry_after(value: str) -> float | None:
    seconds = _seconds(value)
    if seconds is not None or not value.strip():
        return seconds
    try:
        when = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # "-0000" or no zone at all: HTTP dates are always GMT
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - time.time())


class HttpClient:
    """A requests session with Ponte's timeouts, retry policy and error mapping."""

    def __init__(
        self,
        base_url: str,
        *,
        service: str,
        headers: Mapping[str, str] | None = None,
        error_parser: ErrorParser = default_error_parser,
        timeout: tuple[float, float] = (5.0, 20.0),
        max_retries: int = 3,
        backoff: float = 0.5,
        max_wait: float = MAX_INLINE_WAIT,
        sleep: Callable[[float], None] | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.service = service
        self.error_parser = error_parser
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_wait = max_wait
        self.sleep = sleep or time.sleep
        self.session = session or requests.Session()
        self.session.headers.update(headers or {})

    def url(self, path: str) -> str:
        return path if path.startswith("http") else f"{self.base_url}/{path.lstrip('/')}"

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.request("POST", path, **kwargs)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        allow_404: bool = False,
        expect: type | tuple[type, ...] | None = None,
    ) -> Any:
        """Send one call; return the decoded JSON body (``{}`` when empty, ``None`` on an allowed 404).

        ``expect`` (e.g. ``dict``) is the JSON type the caller needs; another one is a TransientError.
        """
        method = method.upper()
        safe = method in SAFE_METHODS
        where = f"{self.service} {method} {path.split('?')[0]}"
        attempt = 0
        while True:
            attempt += 1
            started = time.monotonic()
            try:
                response = self.session.request(
                    method, self.url(path), params=params, json=json, timeout=self.timeout
                )
            except requests.exceptions.RequestException as exc:
                failure = self.error_for_exception(exc, where, safe=safe)
                if not isinstance(failure, TransientError) or failure.ambiguous:
                    raise failure from None
                self._retry_or_raise(attempt, None, failure)
                continue
            elapsed_ms = (time.monotonic() - started) * 1000
            log.debug("%s -> %s in %.0f ms", where, response.status_code, elapsed_ms)
            status = response.status_code
            if status < 400:
                return self._decode(response, where, safe=safe, expect=expect)
            if status == 404 and allow_404:
                return None
            error = self.error_for(response, where, safe=safe)
            if isinstance(error, RateLimitedError) or (isinstance(error, TransientError) and safe):
                self._retry_or_raise(attempt, error.retry_after, error)
                continue
            raise error

    def _retry_or_raise(self, attempt: int, wait: float | None, error: TransientError) -> None:
        """Sleep and return to retry, or raise ``error`` when retries or the wait cap are exhausted."""
        if attempt > self.max_retries:
            raise error
        if wait is None:
            wait = self.backoff * (2 ** (attempt - 1))
            wait = wait / 2 + random.uniform(0, wait / 2)  # noqa: S311 - jitter, not crypto
        if wait > self.max_wait:
            raise error  # the engine schedules a later attempt instead of blocking a worker
        self.sleep(wait)

    def error_for_exception(self, exc: requests.RequestException, where: str, *, safe: bool) -> ConnectorError:
        """The one place that maps a call that got no usable response to the typed error tree.

        Only a connect timeout proves the request never left; after that (read timeout, reset, a body
        cut short or undecodable, a redirect loop) a write may have been applied: ambiguous for POST.
        """
        name = exc.__class__.__name__
        if isinstance(exc, requests.exceptions.ConnectTimeout):
            return TransientError(f"{self.service} did not accept the connection in time",
                                  internal_message=f"{where}: connect timeout: {name}", reason="timeout")
        if isinstance(exc, requests.exceptions.InvalidJSONError):
            return PermanentError(
                f"the request to {self.service} could not be sent: its input is not valid JSON "
                "(NaN or Infinity?)", internal_message=f"{where}: {name}: {exc}",
            )
        if isinstance(exc, _UNSENDABLE):
            return ConfigError(
                f"the request to {self.service} could not be sent ({name}); check the connection's "
                "base URL and credentials", internal_message=f"{where}: {name}", reason="settings",
            )
        reason = "unreachable"
        if isinstance(exc, requests.exceptions.Timeout):
            message, what, reason = f"{self.service} did not answer in time", "read timeout", "timeout"
        elif isinstance(exc, requests.exceptions.ConnectionError):
            message, what = f"could not reach {self.service}", "connection error"
        elif isinstance(exc, requests.exceptions.ChunkedEncodingError):
            message, what = f"the connection to {self.service} broke while its answer arrived", "body cut short"
        elif isinstance(exc, requests.exceptions.ContentDecodingError):
            message, what = f"{self.service} sent an answer that could not be decompressed", "undecodable body"
        else:
            message, what = f"the call to {self.service} failed", "request failed"
        return TransientError(message, internal_message=f"{where}: {what}: {name}", ambiguous=not safe,
                              reason=reason)

    def error_for(self, response: requests.Response, where: str, *, safe: bool) -> Exception:
        """The one place that maps an HTTP error response to the typed error tree."""
        status = response.status_code
        message = self.error_parser(response)
        internal = f"{where}: HTTP {status}: {message}"
        if status in (401, 403):
            return ConfigError(
                f"{self.service} refused the credentials (HTTP {status}): {message}",
                internal_message=internal, status_code=status,
                reason="unauthorized" if status == 401 else "forbidden",
            )
        if status == 402:
            return ConfigError(
                f"{self.service}: API plan required (HTTP 402): {message}",
                internal_message=internal, status_code=status, reason="plan",
            )
        if status == 429:
            return RateLimitedError(
                f"{self.service} is rate limiting us (HTTP 429)",
                internal_message=internal, status_code=status, retry_after=parse_wait(response),
                reason="rate_limited",
            )
        if status >= 500 or status == 408:
            return TransientError(
                f"{self.service} had a temporary failure (HTTP {status})",
                internal_message=internal, status_code=status, ambiguous=not safe,
                retry_after=parse_wait(response), reason="service_error",
            )
        return PermanentError(
            f"{self.service} refused the request (HTTP {status}): {message}",
            internal_message=internal, status_code=status, reason="rejected",
        )

    def _decode(
        self, response: requests.Response, where: str, *, safe: bool, expect: type | tuple[type, ...] | None
    ) -> Any:
        """A 2xx body as JSON. Unreadable after a write means the write happened: ambiguous."""
        if not response.content:
            body: Any = {}
        else:
            try:
                body = response_json(response)
            except ValueError as exc:
                raise TransientError(
                    f"{self.service} answered with something that is not JSON ({_short(exc)})",
                    internal_message=f"{where}: undecodable body ({_short(exc)}): {response.text[:200]!r}",
                    status_code=response.status_code, ambiguous=not safe,
                ) from None
        if expect is not None and not isinstance(body, expect):
            raise TransientError(
                f"{self.service} answered with an unexpected {_json_type(body)}",
                internal_message=f"{where}: unexpected body: {response.text[:200]!r}",
                status_code=response.status_code, ambiguous=not safe,
            )
        return body


def _short(exc: Exception) -> str:
    return str(exc)[:120]


def _json_type(value: Any) -> str:
    """The JSON name of a decoded value's type, for messages."""
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")
