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
)
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
from .strictjson import parse_json
from .webhooks import DEFAULT_MAX_BODY_BYTES, constant_time_equals, generate_token, require_secret

__all__ = [
    "Action", "ConfigError", "Connector", "ConnectorError", "Context", "DEFAULT_MAX_BODY_BYTES", "DeferredError",
    "HttpClient", "InboundEvent", "InboundRequest", "Lookup", "PermanentError", "Problem", "RUNTIME",
    "RateLimitedError",
    "SkipError", "TransientError", "Trigger", "WebhookAuthError", "WebhookSpec", "constant_time_equals",
    "default_error_parser", "describe", "generate_token", "load_json", "parse_json", "require_secret",
    "response_json",
]
