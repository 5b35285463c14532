"""Reading numbers and text from requests without surprises.

``str.isdigit`` is true for "²" and "١٢", which ``int`` then refuses or reads unexpectedly, and a
number of 30 digits passes it only to overflow the database (SQLite raises OverflowError,
PostgreSQL "integer out of range"). PostgreSQL refuses NUL characters in text. Both used to turn
a bad query string into a 500; these helpers and the app-wide guards in :func:`init_app` turn them
into "not found" or a 400 with a reason.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from flask import Flask, request
from sqlalchemy.exc import DataError
from werkzeug.exceptions import BadRequest
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


def init_app(app: Flask) -> None:
    """Before any route is registered: bounded ``int`` converter, NUL guard, DataError as a 400."""
    app.url_map.converters["int"] = BoundedIntConverter

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
