"""Reading numbers and text from requests without surprises.

``str.isdigit`` is true for "²" and "١٢", which ``int`` then refuses or reads unexpectedly, and a
number of 30 digits passes it only to overflow the database (SQLite raises OverflowError,
PostgreSQL "integer out of range"). PostgreSQL refuses NUL characters in text. Both used to turn
a bad query string into a 500; these helpers and the app-wide guards in :func:`init_app` turn them
into "not found" or a 400 with a reason.

A request body the server cannot decode (a malformed chunk, a body cut short) makes gunicorn's
reader raise its own parse errors in the middle of the view, which Flask turned into a 500:
:class:`GuardedInput` wraps ``wsgi.input`` so any such failure is a 400 wherever the body is read.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from flask import Flask, request
from sqlalchemy.exc import DataError
from werkzeug.exceptions import BadRequest, HTTPException
from werkzeug.routing import IntegerConverter

log = logging.getLogger("ponte.inputs")

MAX_ID = 2**31 - 1  # PostgreSQL INTEGER, the type of every id column
_INT = re.compile(r"-?[0-9]{1,18}")


def parse_int(text: Any, default: int | None = None, *, minimum: int | None = None,
              maximum: int = MAX_ID) -> int | None:
    """``text`` as an int when it is plain ASCII digits (optionally "-") within bounds, else ``default``."""
    if not isinstance(text, str) or not _INT.fullmatch(text.strip()):
        return default
    value = int(text.strip())
    if value > maximum or (minimum is not None and value < minimum):
        return default
    return value


class BoundedIntConverter(IntegerConverter):
    """``<int:...>`` in routes: ids above the column's range are "not found", not a database error."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:  # noqa: A002 - werkzeug's name
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def has_nul(values: Any) -> bool:
    return any("\x00" in value for value in values if isinstance(value, str))


BODY_UNREADABLE = ("the request body could not be read (malformed chunked encoding, a truncated body "
                   "or a wrong Content-Length)")


class UnreadableBody(BadRequest):
    """The server could not decode the body: the client's transport is at fault, never a 500."""

    description = BODY_UNREADABLE


class GuardedInput:
    """``wsgi.input`` whose read errors (gunicorn's ``InvalidChunkSize``, ``ChunkMissingTerminator``,
    werkzeug's ``OSError`` on a bad chunk header, a reset connection) become :class:`UnreadableBody`.

    The errors are caught broadly on purpose: they come from whichever server runs Ponte, and
    whatever the server's reason, a body it cannot read is the request's fault.
    """

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def _guarded(self, method: str, *args: Any) -> Any:
        try:
            return getattr(self._stream, method)(*args)
        except HTTPException:
            raise
        except Exception as exc:  # noqa: BLE001 - see the class docstring
            log.info("request body unreadable: %s", type(exc).__name__)  # its text may quote the body
            raise UnreadableBody() from None

    def read(self, *args: Any) -> bytes:
        return self._guarded("read", *args)

    def readline(self, *args: Any) -> bytes:
        return self._guarded("readline", *args)

    def readlines(self, *args: Any) -> list[bytes]:
        return self._guarded("readlines", *args)

    def __iter__(self) -> Any:
        return iter(self.readline, b"")

    def close(self) -> None:
        close = getattr(self._stream, "close", None)
        if close is not None:
            close()


def guard_body_reads(wsgi_app: Any) -> Any:
    """WSGI middleware: every read of the request body goes through :class:`GuardedInput`."""

    def guarded(environ: dict[str, Any], start_response: Any) -> Any:
        stream = environ.get("wsgi.input")
        if stream is not None and not isinstance(stream, GuardedInput):
            environ["wsgi.input"] = GuardedInput(stream)
        return wsgi_app(environ, start_response)

    return guarded


def init_app(app: Flask) -> None:
    """Before any route is registered: bounded ``int`` converter, NUL guard, DataError as a 400,
    body reads that fail as a 400."""
    app.url_map.converters["int"] = BoundedIntConverter
    app.wsgi_app = guard_body_reads(app.wsgi_app)  # type: ignore[method-assign]

    @app.before_request
    def _refuse_nul() -> None:
        form = request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data")
        if "\x00" in request.path or has_nul(request.args.values()) or (
                form and not request.path.startswith("/webhooks/") and has_nul(request.form.values())):
            raise BadRequest("the request contains a NUL character, which Ponte does not accept")

    @app.errorhandler(DataError)
    def _data_error(exc: DataError) -> Any:
        # A value the database refuses (too long, out of range): the request's fault, said plainly.
        from app.db import get_session

        get_session().rollback()
        log.warning("database refused a value on %s %s: %s", request.method, request.path, exc.orig)
        return app.handle_http_exception(BadRequest(
            "a value in the request is not acceptable (too long, out of range or with invalid characters)"))
