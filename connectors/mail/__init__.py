"""The email connector (key ``email``): send mail through the user's own SMTP server.

The package is ``connectors.mail`` so it never shadows the standard library's ``email``.
"""

from __future__ import annotations

from connectors.sdk import Connector, load_json

from .actions import SEND_EMAIL
from .notices import CATALOG, REFUSED, notify
from .smtp import test_credentials

CONNECTOR = Connector(
    key="email",
    title="Email (SMTP)",
    description="Send emails through your own SMTP server (Gmail, Microsoft 365, Amazon SES, a relay).",
    auth_schema=load_json(__file__, "auth.json"),
    test_credentials=test_credentials,
    actions=(SEND_EMAIL,),
    catalog=CATALOG,
    messages=(REFUSED,),
    notify=notify,
)

__all__ = ["CONNECTOR", "notify"]
