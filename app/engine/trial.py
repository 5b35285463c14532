"""A real test step, like Zapier's: a chosen real event (or the trigger's sample) through a recipe's
steps, each action really called once, before the recipe is saved or switched on.

What is tested is a recipe document (the wizard's draft) and one trigger output. The sample comes
from the ``events`` table: the last events this trigger fires on for its connection, each turned
into the trigger output as a run would (``Trigger.output``: the Asaas payment is enriched with its
customer, which reads the service).

Sending is the runner's action call in miniature (mapping, "no silent nulls" check, the step's
:class:`~connectors.sdk.Context`, ``Action.run``) without a ``runs`` row: a test is not production
work, so it must not appear in the run list, count in the dashboard's failures or fire failure
alerts. It is recorded in the audit log instead (``automation.test_sent``), one row per test key,
which is also its claim:

- the key (``ponte-test-<digest>``) is a digest of the draft, the sample and every step's mapped
  input, so a double click or a resubmitted form is the same test; each step's idempotency key is
  ``<key>-<position>`` ("ponte-" so the seed recipes' filters treat what it creates as Ponte's own and
  do not start the other automation from it);
- a database lease (:func:`app.engine.locks.exclusive`) named after the key serialises the sends, so
  the second click waits for the first and then shows its result instead of calling again;
- the row is committed with ``status: sending`` before any call: a send that died half-way is taken
  up as attempt 2 with ``previous_attempt_at`` set, so the actions look for their earlier result
  (ZapSign by ``external_id``, Asaas by ``externalReference``) before writing again, exactly as a
  retried run does; steps that succeeded are never called again.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.engine import clock, locks, stepio
from app.engine.fence import RunSettings
from app.engine.mapping import MappingError, check_required
from app.engine.spec import RecipeSpec
from app.models import AuditEvent, Connection, Event, Step, utcnow
from app.vault import REDACTOR
from connectors import registry
from connectors.sdk import ConnectorError, Context, DeferredError, RateLimitedError

log = logging.getLogger("ponte.engine.trial")

AUDIT_ACTION = "automation.test_sent"
SAMPLE = "sample"
SCAN_LIMIT = 200  # recent events of the connection looked at to find the trigger's last few
NO_EFFECT = (DeferredError, RateLimitedError)  # the action or the service says nothing was written
LOCK_WAIT_SECONDS = 60.0  # a second click waits this long for the first send to finish


@dataclass
class StepOutcome:
    """One step of a send: ``status`` succeeded | failed | not_run; ``error`` in the engine's or the
    service's words (``kind`` as the runner stores it)."""

    key: str
    action: str
    status: str
    output: Any = None
    error: str = ""
    kind: str = ""
    may_have_written: bool = False  # failed after the call went out (not deferred, not rate limited)


@dataclass
class SendResult:
    """Every step's outcome; ``repeated`` when this key had already been sent (nothing was called)."""

    key: str
    steps: list[StepOutcome] = field(default_factory=list)
    repeated: bool = False
    attempt: int = 1

    @property
    def ok(self) -> bool:
        return bool(self.steps) and all(s.status == "succeeded" for s in self.steps)


def recent_events(session: Session, event_key: str, connection: Connection | None,
                  options: Mapping[str, Any] | None = None, limit: int = 5) -> list[Event]:
    """The last ``limit`` stored events of ``connection`` that ``event_key`` fires on, newest first."""
    if connection is None:
        return []
    try:
        _, trigger = registry.get_trigger(event_key)
    except LookupError:
        return []
    rows = session.scalars(select(Event).where(Event.connection_id == connection.id)
                           .order_by(Event.id.desc()).limit(SCAN_LIMIT))
    found: list[Event] = []
    for event in rows:
        try:
            fires = trigger.fires_on(event.event_type, event.payload or {}, options or {})
        except Exception:  # noqa: BLE001 - an odd stored payload is simply not offered
            fires = False
        if fires:
            found.append(event)
            if len(found) >= limit:
                break
    return found


def event_output(event: Event, event_key: str, connection: Connection | None,
                 options: Mapping[str, Any] | None = None, *, locale: str = "pt_BR") -> dict[str, Any]:
    """The trigger output a run would compute from ``event`` (it may read the service: the Asaas
    customer); connector errors go up with their ``user_message``."""
    _, trigger = registry.get_trigger(event_key)
    ctx = Context(config=connection.config() if connection is not None else {},
                  logger=logging.getLogger(f"ponte.connector.{event_key.partition('.')[0]}"),
                  connection_name=connection.name if connection is not None else "", locale=locale,
                  timezone=clock.zone_name())
    return dict(trigger.output(ctx, dict(event.payload or {}), options or {}))


def test_key(draft_id: str, sample: str, inputs: list[Any]) -> str:
    """The same draft, sample and mapped inputs make the same key (a double click is one test)."""
    blob = json.dumps([draft_id, sample, inputs], sort_keys=True, ensure_ascii=False, default=str)
    return "ponte-test-" + hashlib.sha256(blob.encode()).hexdigest()[:16]


def previous_send(session: Session, key: str) -> AuditEvent | None:
    return session.scalar(select(AuditEvent).where(AuditEvent.action == AUDIT_ACTION, AuditEvent.subject == key)
                          .order_by(AuditEvent.id.desc()).limit(1))


def send(session: Session, spec: RecipeSpec, output: Mapping[str, Any], key: str, *, actor: str = "",
         sample: str = SAMPLE, settings: RunSettings | None = None) -> SendResult:
    """Run every step of ``spec`` for real on ``output``, once per ``key`` (see the module docstring)."""
    settings = settings or RunSettings()
    bind: Any = session.get_bind()  # an Engine: the app's sessions are bound to one
    with locks.exclusive(bind, f"test:{key}", wait_seconds=LOCK_WAIT_SECONDS):
        session.expire_all()  # what the first click wrote while this one waited for the lease
        row = previous_send(session, key)
        before: dict[str, Any] = dict(row.detail or {}) if row is not None else {}
        if before.get("status") == "done":
            return _result(key, before, repeated=True)
        attempt = int(before.get("attempt") or 0) + 1
        now = utcnow()
        first = _parse(before.get("first_attempt_at")) or now
        # When an earlier attempt may last have written: a send that died mid-way, up to now.
        previous = now if before.get("status") == "sending" else _parse(before.get("possible_effect_at"))
        done = {s["key"]: s for s in before.get("steps") or [] if s.get("status") == "succeeded"}
        if row is None:
            row = AuditEvent(action=AUDIT_ACTION, actor=actor[:255], subject=key, detail={})
            session.add(row)
        row.detail = {**before, "status": "sending", "attempt": attempt, "sample": sample,
                      "first_attempt_at": first.isoformat(), "attempt_started_at": now.isoformat()}
        session.commit()  # the claim is on record before anything is called
        claim = row

        def record(outcomes: list[StepOutcome], status: str = "sending") -> None:
            """Each step's outcome is committed as it happens: a crash keeps what already succeeded."""
            wrote = any(o.may_have_written for o in outcomes)
            effect = utcnow().isoformat() if wrote else (previous.isoformat() if previous else None)
            claim.detail = {**claim.detail, "status": status, "possible_effect_at": effect,
                            "steps": [{"key": o.key, "action": o.action, "status": o.status, "error": o.error,
                                       "kind": o.kind, "output": stepio.for_storage(o.output, o.action)}
                                      for o in outcomes]}
            session.commit()

        outcomes = _run_steps(session, spec, output, key, attempt, first, previous, done, settings, record)
        record(outcomes, "done" if all(o.status == "succeeded" for o in outcomes) else "failed")
        return SendResult(key, outcomes, attempt=attempt)


def _run_steps(session: Session, spec: RecipeSpec, output: Mapping[str, Any], key: str, attempt: int,
               first: datetime, previous: datetime | None, done: dict[str, dict[str, Any]],
               settings: RunSettings, record: Callable[[list[StepOutcome]], None]) -> list[StepOutcome]:
    """The steps in order; the first failure stops the rest (they read its output)."""
    doc: dict[str, Any] = {**output, "steps": {}}
    outcomes: list[StepOutcome] = []
    failed = False
    for position, step_spec in enumerate(spec.steps, start=1):
        if failed:
            outcomes.append(StepOutcome(step_spec.key, step_spec.action, "not_run"))
            continue
        if step_spec.key in done:
            # Succeeded in an earlier attempt of this test: its stored output stands (never called twice).
            kept = done[step_spec.key].get("output")
            doc["steps"][step_spec.key] = kept
            outcomes.append(StepOutcome(step_spec.key, step_spec.action, "succeeded", kept))
            continue
        outcome = _run_step(session, step_spec, position, doc, key, attempt, first, previous, settings)
        outcomes.append(outcome)
        record(outcomes)
        doc["steps"][step_spec.key] = outcome.output
        failed = outcome.status != "succeeded"
    return outcomes


def _run_step(session: Session, step_spec: Any, position: int, doc: dict[str, Any], key: str, attempt: int,
              first: datetime, previous: datetime | None, settings: RunSettings) -> StepOutcome:
    _, action = registry.get_action(step_spec.action)
    try:
        mapped = step_spec.mapping.apply(doc)
        problems = check_required(mapped, action.input_schema, mapped.missing)
    except MappingError as exc:
        return StepOutcome(step_spec.key, step_spec.action, "failed", error=REDACTOR.text(str(exc)),
                           kind="mapping")
    if problems:
        return StepOutcome(step_spec.key, step_spec.action, "failed", kind="mapping",
                           error="; ".join(str(p) for p in problems))
    connection = session.scalar(select(Connection).where(Connection.name == step_spec.connection))
    if connection is None:
        return StepOutcome(step_spec.key, step_spec.action, "failed", kind="config",
                           error=f"connection {step_spec.connection!r} does not exist")
    # The runner's Step, never added to the session: it only carries what the Context is made from.
    step = Step(position=position, key=step_spec.key, action_key=step_spec.action, attempt=attempt,
                idempotency_key=f"{key}-{position}", possible_effect_at=previous if attempt > 1 else None)
    ctx = stepio.context(connection, step, settings, first, session.get_bind())
    try:
        result = action.run(ctx, mapped.value)
    except ConnectorError as exc:
        log.warning("test %s step %s failed (%s): %s", key, step_spec.key, exc.kind,
                    REDACTOR.text(exc.internal_message))
        return StepOutcome(step_spec.key, step_spec.action, "failed", error=REDACTOR.text(exc.user_message),
                           kind=exc.kind, may_have_written=not isinstance(exc, NO_EFFECT))
    except Exception as exc:  # noqa: BLE001 - a connector bug is shown as a failed test, not a 500
        log.exception("test %s step %s raised an unexpected error", key, step_spec.key)
        return StepOutcome(step_spec.key, step_spec.action, "failed", kind="internal",
                           error=REDACTOR.text(f"internal error in {step_spec.action}: "
                                                      f"{exc.__class__.__name__}"), may_have_written=True)
    return StepOutcome(step_spec.key, step_spec.action, "succeeded", result)


def _result(key: str, detail: Mapping[str, Any], *, repeated: bool) -> SendResult:
    steps = [StepOutcome(s.get("key", ""), s.get("action", ""), s.get("status", ""), s.get("output"),
                         s.get("error") or "", s.get("kind") or "") for s in detail.get("steps") or []]
    return SendResult(key, steps, repeated=repeated, attempt=int(detail.get("attempt") or 1))


def _parse(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
