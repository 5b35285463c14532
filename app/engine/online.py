"""Recipes checked against the live accounts: what ``recipes validate --online`` and ``plan`` ask.

The offline checks prove a recipe is well formed; they cannot know whether the ZapSign template a
mapping fills exists in this account, or whether the Asaas key answers in the environment the
connection names. So, for every loaded recipe, each connection it uses is tested once (the
connector's ``test_credentials``: Asaas answers with the key's environment), and each step whose
action has a ``check_online`` hook is asked about its input as known at load time (constants as
written, fields read from the event as ``RUNTIME``). The engine names no connector: what to ask is
the connector's business. Problems come back as ``file:line`` like the offline ones: a mapping
file's line for a mapping, the recipe's for an inline input or a connection.

A service that cannot be reached (a TransientError: timeout, 5xx, 429) is reported apart from a
definite answer: ``plan`` warns about it, ``validate --online`` fails on both.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.engine.expressions import ConstExpr, Expr, ListExpr, ObjectExpr
from app.engine.loader import LoadError, LoadResult
from app.engine.spec import RecipeSpec
from app.models import Connection
from app.vault import REDACTOR
from connectors.sdk import RUNTIME, Context, TransientError

log = logging.getLogger("ponte.online")


def static_input(expr: Expr) -> Any:
    """A step's input as known before any event: constants as written, everything else RUNTIME."""
    if isinstance(expr, ConstExpr):
        return copy.deepcopy(expr.value)
    if isinstance(expr, ObjectExpr):
        return {name: static_input(child) for name, child in expr.fields}
    if isinstance(expr, ListExpr):
        return [static_input(item) for item in expr.items]
    return RUNTIME


@dataclass(frozen=True)
class ConnectionAnswer:
    """What a connection's service said when tested: ``reachable`` is False for a timeout or a 5xx."""

    name: str
    ok: bool
    message: str
    reachable: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "reachable": self.reachable, "message": self.message}


@dataclass
class OnlineReport:
    """Definite problems, problems of services that could not be asked, and each connection's answer."""

    problems: list[LoadError] = field(default_factory=list)
    unreachable: list[LoadError] = field(default_factory=list)
    connections: list[ConnectionAnswer] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        def rows(errors: list[LoadError]) -> list[dict[str, Any]]:
            return [{"file": e.file, "line": e.line, "message": e.message, "text": str(e)} for e in errors]

        return {"problems": rows(self.problems), "unreachable": rows(self.unreachable),
                "connections": [c.to_dict() for c in self.connections]}


def _no_wait(seconds: float) -> None:
    """Retries of a check are not worth minutes: the admin is waiting at the terminal."""


def _message(exc: Exception) -> str:
    return REDACTOR.text(str(getattr(exc, "user_message", None) or f"{type(exc).__name__}: {exc}"))


class _Checker:
    def __init__(self, session: Session, loaded: LoadResult, registry: Any) -> None:
        self.loaded, self.registry = loaded, registry
        self.rows = {c.name: c for c in session.scalars(select(Connection))}
        self.answers: dict[str, ConnectionAnswer] = {}
        self.contexts: dict[str, Context] = {}
        self.report = OnlineReport()
        self.asked: set[tuple[str, str, tuple[str | int, ...]]] = set()

    def add(self, file: str, path: tuple[str | int, ...], message: str, *, reachable: bool = True) -> None:
        document = self.loaded.documents.get(file)
        error = LoadError(file, document.line_for(path) if document else None, message)
        target = self.report.problems if reachable else self.report.unreachable
        if error not in target:
            target.append(error)

    def connection(self, name: str) -> ConnectionAnswer:
        """Test a connection once (``test_credentials``), keeping its context for the steps."""
        if name in self.answers:
            return self.answers[name]
        row = self.rows.get(name)
        if row is None:
            answer = ConnectionAnswer(name, False, f"connection {name!r} does not exist")
        else:
            try:
                connector = self.registry.get_connector(row.connector_key)
                ctx = Context(config=row.config(), connection_name=name, sleep=_no_wait,
                              logger=logging.getLogger("ponte.connector"))
                message = connector.test_credentials(ctx) or "ok"
                self.contexts[name] = ctx
                answer = ConnectionAnswer(name, True, REDACTOR.text(str(message)))
            except TransientError as exc:
                answer = ConnectionAnswer(name, False, _message(exc), reachable=False)
            except Exception as exc:  # noqa: BLE001 - any failure (vault, refusal, bug) is the answer shown
                answer = ConnectionAnswer(name, False, _message(exc))
        self.answers[name] = answer
        self.report.connections.append(answer)
        return answer

    def recipe(self, spec: RecipeSpec) -> None:
        uses: list[tuple[str, tuple[str | int, ...]]] = (
            [(spec.trigger.connection, ("trigger", "connection"))] if spec.trigger.connection else [])
        uses += [(step.connection, ("steps", i, "connection")) for i, step in enumerate(spec.steps)]
        for name, path in uses:
            answer = self.connection(name)
            if not answer.ok:
                self.add(spec.source, path, f"connection {name!r}: {answer.message}", reachable=answer.reachable)
        for i, step in enumerate(spec.steps):
            _, action = self.registry.get_action(step.action)
            hook = getattr(action, "check_online", None)
            ctx = self.contexts.get(step.connection)
            if hook is None or ctx is None:
                continue
            mapping = self.loaded.mappings.get(step.mapping_key) if step.mapping_key else None
            file, prefix = (mapping.source, ("fields",)) if mapping else (spec.source, ("steps", i, "input"))
            if (step.connection, file, prefix) in self.asked:
                continue  # one mapping used by several recipes with the same account: asked once
            self.asked.add((step.connection, file, prefix))
            try:
                problems = hook(ctx, static_input(step.mapping.root))
            except TransientError as exc:
                self.add(spec.source, ("steps", i, "connection"),
                         f"{step.action}: could not ask the service: {_message(exc)}", reachable=False)
                continue
            except Exception as exc:  # noqa: BLE001 - a refusal (401, 404 of the account) is a problem
                self.add(spec.source, ("steps", i, "connection"), f"{step.action}: {_message(exc)}")
                continue
            for path, message in problems:
                self.add(file, (*prefix, *path), f"{REDACTOR.text(message)} (asked connection {step.connection!r})")


def check_online(session: Session, loaded: LoadResult, *, files: set[str] | None = None,
                 registry: Any = None) -> OnlineReport:
    """Ask the services about every loaded recipe (only those from ``files`` when given)."""
    if registry is None:
        from connectors import registry as default_registry

        registry = default_registry
    checker = _Checker(session, loaded, registry)
    for spec in sorted(loaded.recipes.values(), key=lambda s: s.source):
        if files is None or spec.source in files:
            checker.recipe(spec)
    report = checker.report
    report.problems.sort(key=lambda e: (e.file, e.line or 0))
    report.unreachable.sort(key=lambda e: (e.file, e.line or 0))
    return report
