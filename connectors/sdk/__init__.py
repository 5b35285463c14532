"""The connector SDK: the contract between Ponte's engine and each connector."""

from .base import (
    RUNTIME,
    Action,
    Connector,
    Context,
    InboundEvent,
    InboundRequest,
    Lookup,
    Problem,
    Trigger,
    WebhookSpec,
    describe,
    load_json,
    with_labels,
)
from .choices import Choices, Notice, Option, OutputField, Timetable, dynamic, static
from .errors import (
    ConfigError,
    ConnectorError,
    DeferredError,
    PermanentError,
    RateLimitedError,
    SkipError,
    TransientError,
    WebhookAuthError,
)
from .http import HttpClient, default_error_parser, response_json
from .i18n import N_, Catalog, catalog_beside, normalise_locale
from .strictjson import parse_json
from .webhooks import (
    DEFAULT_MAX_BODY_BYTES,
    constant_time_equals,
    generate_token,
    mask_sensitive,
    require_secret,
)

__all__ = [
    "Catalog", "Choices", "N_", "Notice", "Option", "OutputField", "Timetable", "catalog_beside", "dynamic",
    "normalise_locale", "static",
    "Action", "ConfigError", "Connector", "ConnectorError", "Context", "DEFAULT_MAX_BODY_BYTES", "DeferredError",
    "HttpClient", "InboundEvent", "InboundRequest", "Lookup", "PermanentError", "Problem", "RUNTIME",
    "RateLimitedError",
    "SkipError", "TransientError", "Trigger", "WebhookAuthError", "WebhookSpec", "constant_time_equals",
    "default_error_parser", "describe", "generate_token", "load_json", "mask_sensitive", "parse_json", "require_secret",
    "response_json", "with_labels",
]
