"""The one HTTP base every connector uses.

A connector's client sets only its base URL, auth headers and error-body parser; timeouts, retries
(backoff with jitter on 429, 5xx and connection errors), ``Retry-After`` / ``RateLimit-Reset`` and
the mapping of responses to :mod:`connectors.sdk.errors` live here, once.

Writes are careful: a POST that timed out or got a 5xx may have been applied, so it is not retried
in place; it raises ``TransientError(ambiguous=True)`` and the engine retries the step later, when
the action first looks for its own earlier result by idempotency key. A 429 or a refused connection
means nothing was applied, so those are retried in place for every method.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Callable, Mapping
from typing import Any

import requests

from .errors import ConfigError, PermanentError, RateLimitedError, TransientError

log = logging.getLogger("ponte.http")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ErrorParser = Callable[[requests.Response], str]


def default_error_parser(response: requests.Response) -> str:
    """The body's ``message``/``detail``/``error`` field when it is JSON, else a short text excerpt."""
    try:
        body = response.json()
    except ValueError:
        return (response.text or "").strip()[:300] or response.reason or f"HTTP {response.status_code}"
    if isinstance(body, dict):
        for key in ("message", "detail", "error", "description"):
            if isinstance(body.get(key), str) and body[key]:
                return body[key]
    return str(body)[:300]


def parse_wait(response: requests.Response) -> float | None:
    """Seconds the service asked us to wait: ``Retry-After`` (seconds or HTTP date), else ``RateLimit-Reset``."""
    value = response.headers.get("Retry-After")
    if value:
        value = value.strip()
        if value.isdigit():
            return float(value)
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        if parsed is not None:
            return max(0.0, parsed.timestamp() - time.time())
    reset = response.headers.get("RateLimit-Reset")
    if reset and reset.strip().isdigit():
        return float(reset.strip())
    return None


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
        max_wait: float = 30.0,
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
    ) -> Any:
        """Send one call; return the decoded JSON body (``{}`` when empty, ``None`` on an allowed 404)."""
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
            except requests.exceptions.ConnectTimeout as exc:
                self._retry_or_raise(attempt, None, TransientError(
                    f"{self.service} did not accept the connection in time",
                    internal_message=f"{where}: connect timeout: {exc.__class__.__name__}",
                ))
                continue
            except requests.exceptions.Timeout as exc:
                error = TransientError(
                    f"{self.service} did not answer in time",
                    internal_message=f"{where}: read timeout: {exc.__class__.__name__}",
                    ambiguous=not safe,
                )
                if not safe:
                    raise error from None
                self._retry_or_raise(attempt, None, error)
                continue
            except requests.exceptions.ConnectionError as exc:
                error = TransientError(
                    f"could not reach {self.service}",
                    internal_message=f"{where}: connection error: {exc.__class__.__name__}",
                    ambiguous=not safe,
                )
                if not safe:
                    raise error from None
                self._retry_or_raise(attempt, None, error)
                continue
            elapsed_ms = (time.monotonic() - started) * 1000
            log.debug("%s -> %s in %.0f ms", where, response.status_code, elapsed_ms)
            status = response.status_code
            if status < 400:
                return self._decode(response, where)
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

    def error_for(self, response: requests.Response, where: str, *, safe: bool) -> Exception:
        """The one place that maps an HTTP error response to the typed error tree."""
        status = response.status_code
        message = self.error_parser(response)
        internal = f"{where}: HTTP {status}: {message}"
        if status in (401, 403):
            return ConfigError(
                f"{self.service} refused the credentials (HTTP {status}): {message}",
                internal_message=internal, status_code=status,
            )
        if status == 402:
            return ConfigError(
                f"{self.service}: API plan required (HTTP 402): {message}",
                internal_message=internal, status_code=status,
            )
        if status == 429:
            return RateLimitedError(
                f"{self.service} is rate limiting us (HTTP 429)",
                internal_message=internal, status_code=status, retry_after=parse_wait(response),
            )
        if status >= 500 or status == 408:
            return TransientError(
                f"{self.service} had a temporary failure (HTTP {status})",
                internal_message=internal, status_code=status, ambiguous=not safe,
                retry_after=parse_wait(response),
            )
        return PermanentError(
            f"{self.service} refused the request (HTTP {status}): {message}",
            internal_message=internal, status_code=status,
        )

    def _decode(self, response: requests.Response, where: str) -> Any:
        if not response.content:
            return {}
        try:
            return response.json()
        except ValueError:
            raise TransientError(
                f"{self.service} answered with something that is not JSON",
                internal_message=f"{where}: undecodable body: {response.text[:200]!r}",
            ) from None
