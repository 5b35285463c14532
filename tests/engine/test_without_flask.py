"""The engine runs in a plain Python process: no Flask, no Flask-Login, configuration passed in.

Each check runs in a fresh interpreter, so nothing the test suite imported can hide an import of
Flask: the engine, the runner, the executor and every connector are imported, and then a real run
(a schedule's event → an e-mail to a real SMTP server) is executed by the embedded executor on a
plain :class:`~app.database.Database`.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.smtp_server import SmtpServer

ROOT = Path(__file__).resolve().parents[2]

IMPORT_EVERYTHING = """
import importlib, json, pkgutil, sys
import app, app.engine, connectors
for package in (app.engine, connectors):
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        importlib.import_module(info.name)
import app.engine.runner, app.engine.executor, app.models, app.vault, app.database, connectors.registry
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in ("flask", "flask_login"))))
"""

RUN_ONE = """
import json, sys
from datetime import UTC, datetime
from app.database import Database
from app.engine import settings
from app.engine.executor import EmbeddedExecutor
from app.engine.recipes import save_recipe
from app.models import Base, Connection, Event, Run, Step
from app.vault import Vault, generate_key, install
from sqlalchemy import select

smtp_port, url = int(sys.argv[1]), sys.argv[2]
install(Vault(generate_key()))                                   # PONTE_VAULT_KEYS, passed in
settings.install(settings.EngineSettings(timezone="America/Manaus"))
database = Database(url)
Base.metadata.create_all(database.engine)
session = database.sessions()
mail = Connection(connector_key="email", name="email", settings={
    "host": "127.0.0.1", "port": smtp_port, "security": "none", "from_address": "ponte@example.com",
    "timeout_seconds": 5})
mail.set_credentials({})
session.add(mail)
session.commit()
result = save_recipe(session, {
    "key": "flaskless", "name": "Sem Flask", "trigger": {"event": "schedule.cron", "options": {"every": "1h"}},
    "steps": [{"key": "email", "action": "email.send_email", "connection": "email", "input": {
        "to": "financeiro@example.com", "subject": {"text": "Sem Flask: {{ time }}"},
        "text": {"text": "Fuso {{ timezone }}"}}}]}, source="file")
assert not result.errors, result.errors
fired = "2025-03-10T12:00:00+00:00"
session.add(Event(connection_id=None, recipe_id=result.recipe.id, source="schedule", dedupe_key=fired,
                  event_type="SCHEDULE_FIRED", payload={"fired_at": fired, "scheduled_for": "2025-03-10T08:00:00-04:00",
                  "timezone": "America/Manaus", "date": "2025-03-10", "time": "08:00", "schedule": "1h"}))
session.commit()
database.remove()
executed = EmbeddedExecutor(database, workers=1).run_until_idle()
session = database.sessions()
run = session.scalar(select(Run))
steps = [(s.key, s.status) for s in session.scalars(select(Step).order_by(Step.position))]
print(json.dumps({"executed": executed, "status": run.status, "error": run.error, "steps": steps,
                  "flask": sorted(m for m in sys.modules if m.split(".")[0] in ("flask", "flask_login"))}))
"""


def _python(script: str, *args: str) -> str:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(script), *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


def test_the_engine_the_runner_and_every_connector_import_without_flask() -> None:
    assert json.loads(_python(IMPORT_EVERYTHING)) == []


def test_a_plain_process_executes_a_run_with_no_flask_app(tmp_path: Path) -> None:
    with SmtpServer() as smtp:
        result = json.loads(_python(RUN_ONE, str(smtp.port), f"sqlite:///{tmp_path / 'worker.db'}"))
        assert result["flask"] == []
        assert result["executed"] == 1 and result["status"] == "succeeded", result["error"]
        assert result["steps"] == [["trigger", "succeeded"], ["email", "succeeded"]]
        [mail] = smtp.messages
        assert mail.message["Subject"] == "Sem Flask: 08:00"
        assert "Fuso America/Manaus" in (mail.text or "")
