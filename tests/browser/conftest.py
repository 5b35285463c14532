"""Browser fixtures: Ponte, the Asaas and ZapSign doubles on loopback ports, and Chromium.

Everything is module-scoped so the suite starts one browser and one set of servers (well under
90 s). Screenshots go to ``test-artifacts/screenshots/`` at the repository root.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("PONTE_CHROMIUM", "/usr/bin/chromium")
MISSING = None if os.path.exists(CHROMIUM) else f"{CHROMIUM} is not installed (apt-get install -y chromium)"
if MISSING and os.environ.get("CI", "").lower() in ("1", "true", "yes"):
    # In CI a browser test never skips: a chromium that could not be installed fails the run
    # (a skip there would hide the whole browser suite behind a warning).
    raise RuntimeError(f"{MISSING} and CI=true: the browser tests cannot run")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Outside CI, a machine without chromium skips the browser tests (and says why)."""
    if MISSING:
        here = Path(__file__).parent
        for item in items:
            if here in Path(item.path).parents:
                item.add_marker(pytest.mark.skip(reason=f"{MISSING}: browser tests skipped"))


from flask import Flask  # noqa: E402
from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402

from app.auth import create_user  # noqa: E402
from app.db import get_db, get_session  # noqa: E402
from app.factory import create_app  # noqa: E402
from app.models import Base  # noqa: E402
from app.vault import generate_key  # noqa: E402
from sandbox import asaas as asaas_double  # noqa: E402
from sandbox import zapsign as zapsign_double  # noqa: E402
from sandbox.server import RunningServer, serve_in_thread  # noqa: E402

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
ADMIN = ("admin@ponte.test", "admin-password-123")
OPERATOR = ("operador@ponte.test", "operator-password-123")


@dataclass
class Stack:
    app: Flask
    ponte: RunningServer
    asaas: RunningServer
    zapsign: RunningServer

    def shot(self, page: Page, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    folder = tmp_path_factory.mktemp("ponte")
    app = create_app({
        "TESTING": True, "WTF_CSRF_ENABLED": True, "DATABASE_URL": f"sqlite:///{folder / 'ponte.db'}",
        "SECRET_KEY": "browser-secret", "PONTE_VAULT_KEYS": generate_key(), "INSTANCE_PATH": str(folder),
        "RETRY_DELAY_SCALE": 0.001,  # the ZapSign action's 65 s "wait for the list cache" becomes 65 ms
    })
    Base.metadata.create_all(get_db(app).engine)
    with app.app_context():
        session = get_session()
        create_user(session, email=ADMIN[0], name="Ana Admin", role="admin", password=ADMIN[1])
        create_user(session, email=OPERATOR[0], name="Otávio Operador", role="operator", password=OPERATOR[1])
        session.commit()
    ponte = serve_in_thread(app)
    app.config["PUBLIC_BASE_URL"] = ponte.url
    asaas = serve_in_thread(asaas_double.create_app())
    zapsign = serve_in_thread(zapsign_double.create_app())
    yield Stack(app, ponte, asaas, zapsign)
    for server in (ponte, asaas, zapsign):
        server.stop()
    get_db(app).dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield chromium
        chromium.close()


def login(browser: Browser, stack: Stack, who: tuple[str, str], **context: Any) -> Page:
    page = browser.new_context(**{"viewport": {"width": 1280, "height": 900}, **context}).new_page()
    page.set_default_timeout(10_000)
    page.goto(stack.ponte.url + "/")
    page.fill("#email", who[0])
    page.fill("#password", who[1])
    page.click("button[type=submit].primary")
    page.wait_for_url(stack.ponte.url + "/")
    return page
