"""The built-in schedule (key ``schedule``): recipes that start at set times, not on an event.

There is no account behind it, so it ``needs_connection=False``: a recipe names no
``trigger.connection`` for ``schedule.cron``.
"""

from __future__ import annotations

from connectors.sdk import Connector, Context, catalog_beside

from .triggers import CRON


def test_credentials(ctx: Context) -> str:
    """Nothing to test: the schedule has no account."""
    return "the schedule needs no account"


CONNECTOR = Connector(
    key="schedule",
    title="Schedule",
    description="Start a recipe at set times: a cron expression or an interval, in a time zone. Built in; "
    "no account or connection.",
    auth_schema={"type": "object", "additionalProperties": False, "properties": {}},
    test_credentials=test_credentials,
    triggers=(CRON,),
    needs_connection=False,
    catalog=catalog_beside(__file__),
)

__all__ = ["CONNECTOR"]
