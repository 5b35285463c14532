"""The webhook tests' Asaas connection, with a webhook token that meets Asaas's rules."""

from __future__ import annotations

import pytest
from flask import Flask

from app.connections import create_connection
from app.db import get_session
from app.models import Connection

TOKEN = "Ab3xK9mQz7LpW2vR8nT5yU4hJ6gF1dSa"  # meets Asaas's token rules


@pytest.fixture
def asaas(app: Flask) -> Connection:
    with app.app_context():
        session = get_session()
        connection = create_connection(session, connector_key="asaas", name="asaas", values={
            "api_key": "$aact_hmlg_000", "environment": "sandbox", "webhook_token": TOKEN})
        session.commit()
        return connection
