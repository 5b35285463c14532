"""The demo stack: Ponte wired to the local Asaas and ZapSign doubles and a local mailbox, with the
seed recipes.

``make demo`` runs :func:`main`: the two doubles and the mailbox (sandbox/mailbox.py: SMTP plus a
page listing what arrived) on loopback ports, Ponte on its own port (its embedded executor and
scheduler started, retry waits shortened, the webhook health watch every 15 s), demo connections
named ``asaas``, ``zapsign`` and ``email`` pointing at them, Ponte's webhooks registered in each
double by Ponte itself (the normal registration path), and the recipe files applied. The
end-to-end tests build the same stack with :func:`wire_demo`.
"""

from __future__ import annotations

import argparse
import logging
import time
from dataclasses import dataclass
from typing import Any

from flask import Flask
from sqlalchemy import select

from app.connections import create_connection
from app.db import get_session
from app.engine.recipes import SyncReport, sync_files
from app.models import Connection
from app.webhook_setup import register, save_state
from sandbox import asaas as asaas_double
from sandbox import mailbox as mailbox_double
from sandbox import zapsign as zapsign_double
from sandbox.server import RunningServer, serve_in_thread

log = logging.getLogger("ponte.demo")


@dataclass
class Doubles:
    asaas: RunningServer
    zapsign: RunningServer
    mailbox: mailbox_double.RunningMailbox

    def stop(self) -> None:
        self.asaas.stop()
        self.zapsign.stop()
        self.mailbox.stop()


def start_doubles(asaas_port: int = 0, zapsign_port: int = 0, mailbox_smtp_port: int = 0,
                  mailbox_port: int = 0) -> Doubles:
    return Doubles(
        asaas=serve_in_thread(asaas_double.create_app(), asaas_port),
        zapsign=serve_in_thread(zapsign_double.create_app(), zapsign_port),
        mailbox=mailbox_double.start_mailbox(mailbox_smtp_port, mailbox_port),
    )


def _connection(session: Any, name: str, connector_key: str, values: dict[str, Any]) -> Connection:
    existing = session.scalar(select(Connection).where(Connection.name == name))
    if existing is not None:
        return existing
    connection = create_connection(session, connector_key=connector_key, name=name, values=values)
    session.commit()
    return connection


def wire_demo(app: Flask, doubles: Doubles, ponte_url: str, *, apply_recipes: bool = True) -> SyncReport | None:
    """Create the demo connections, let Ponte register its own webhooks in the doubles, apply the recipes.

    The registration is the one the connection page's button and ``flask connections register-webhook``
    make (app/webhook_setup.py): Ponte calls ``POST /v3/webhooks`` at the Asaas double and
    ``POST /user/company/webhook/`` at the ZapSign double with its URL and the connection's secret.
    ``ponte_url`` is where the doubles reach Ponte, so it becomes ``PUBLIC_BASE_URL``: the health
    watch then keeps those registrations as they are instead of "correcting" them.
    """
    app.config["PUBLIC_BASE_URL"] = ponte_url
    with app.app_context():
        session = get_session()
        asaas = _connection(session, "asaas", "asaas", {
            "api_key": asaas_double.DEFAULT_API_KEY, "environment": "sandbox",
            "base_url": f"{doubles.asaas.url}/v3",
        })
        zapsign = _connection(session, "zapsign", "zapsign", {
            "api_token": zapsign_double.SANDBOX_TOKEN, "environment": "sandbox",
            "base_url": f"{doubles.zapsign.url}/api/v1",
        })
        _connection(session, "email", "email", {
            "host": "127.0.0.1", "port": doubles.mailbox.smtp_port, "security": "none",
            "from_address": DEMO_FROM, "from_name": "Financeiro (demo)", "timeout_seconds": 10,
        })
        for connection in (asaas, zapsign):
            # The doubles start empty every time: what an earlier demo registered (kept in the demo
            # database) no longer exists there, so it is forgotten rather than trusted as "unchanged".
            save_state(session, connection, "registration", {})
            outcome = register(session, connection, app.config)
            session.commit()
            if outcome.status != "registered":
                raise RuntimeError(f"the {connection.name} double refused Ponte's webhook: {outcome.message}")
        report = sync_files(session, app.config["RECIPES_DIR"], app.config["MAPPINGS_DIR"]) if apply_recipes else None
    return report


DEMO_FROM = "financeiro@demo.ponte.local"
DEMO_EMAIL = "demo@ponte.local"
DEMO_PASSWORD = "ponte-demo"  # noqa: S105 - the offline demo's published login


def _demo_user(app: Flask) -> None:
    from app.auth import create_user
    from app.models import User

    with app.app_context():
        session = get_session()
        if session.scalar(select(User).where(User.email == DEMO_EMAIL)) is None:
            create_user(session, email=DEMO_EMAIL, name="Demo", role="admin", password=DEMO_PASSWORD)
            session.commit()


def main(argv: list[str] | None = None) -> None:
    """``python -m sandbox.demo``: doubles on 8101/8102, Ponte on 5000, everything wired."""
    parser = argparse.ArgumentParser(description="Ponte demo with local Asaas and ZapSign doubles")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--asaas-port", type=int, default=8101)
    parser.add_argument("--zapsign-port", type=int, default=8102)
    parser.add_argument("--mailbox-port", type=int, default=8103)
    parser.add_argument("--mailbox-smtp-port", type=int, default=8125)
    args = parser.parse_args(argv)

    from app.factory import create_app, start_background_services

    doubles = start_doubles(args.asaas_port, args.zapsign_port, args.mailbox_smtp_port, args.mailbox_port)
    app = create_app({
        "PONTE_ENV": "development", "TESTING": False, "EMBEDDED_WORKER": False,
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{args.port}", "RETRY_DELAY_SCALE": 0.05,
        "APPLY_RECIPE_FILES_ON_START": False, "SCHEDULER_POLL_SECONDS": 30, "WEBHOOK_HEALTH_SECONDS": 15,
        "DEMO_ASAAS_URL": doubles.asaas.url, "DEMO_ZAPSIGN_URL": doubles.zapsign.url,
    })
    _demo_user(app)  # first, so the Asaas webhook config names its e-mail for failure notices
    report = wire_demo(app, doubles, app.config["PUBLIC_BASE_URL"])
    for problem in report.errors if report else []:
        log.warning("recipe not applied: %s", problem)
    start_background_services(app)
    ponte = serve_in_thread(app, args.port)
    print(f"Ponte demo: {ponte.url}  (Asaas double {doubles.asaas.url}, ZapSign double {doubles.zapsign.url})")
    print(f"Emails sent by the recipes: {doubles.mailbox.url}")
    print(f"Log in as {DEMO_EMAIL} / {DEMO_PASSWORD}")
    print(f"Simulate a charge: curl -X POST {doubles.asaas.url}/_sandbox/payments "
          "-H 'Content-Type: application/json' -d '{}'")
    print(f"Simulate an outage: curl -X POST {doubles.asaas.url}/_sandbox/outage "
          "-H 'Content-Type: application/json' -d '{\"failures\": 15}'")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        ponte.stop()
        doubles.stop()


if __name__ == "__main__":
    main()
