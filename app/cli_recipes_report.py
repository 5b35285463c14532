"""How ``recipes validate``, ``plan`` and ``apply`` print their reports (text; JSON rows)."""

from __future__ import annotations

from typing import Any

import click
from flask import current_app

from app.engine.loader import LoadError
from app.engine.online import OnlineReport
from app.engine.plan import Change, Plan


def problem_rows(errors: list[LoadError], check: str) -> list[dict[str, Any]]:
    return [{"file": e.file, "line": e.line, "message": e.message, "text": str(e), "check": check} for e in errors]


def print_online(report: OnlineReport, *, prefix: str = "") -> None:
    for answer in report.connections:
        state = "ok" if answer.ok else ("unreachable" if not answer.reachable else "refused")
        click.echo(f"{prefix}online: connection {answer.name!r} {state}: {answer.message}")
    for error in report.problems:
        click.echo(f"{prefix}{error}")
    for error in report.unreachable:
        click.echo(f"{prefix}{error} (not checked: the service could not be asked)")


def print_plan(plan: Plan, *, diffs: bool = True) -> None:
    for change in plan.changes:
        click.echo(describe(change))
        if diffs and change.diff:
            click.echo("\n".join(f"    {line}" for line in change.diff.splitlines()))
        for error in change.errors:
            click.echo(f"    {error}")
        if change.switch:
            click.echo(f"    {change.switch.text()}")
        for duplicate in change.duplicates:
            click.echo(f"    duplicate: active {duplicate.key!r} ({duplicate.name}) runs the same "
                       f"{', '.join(duplicate.actions)} on the same trigger and accounts")
    named = {str(e) for c in plan.changes for e in c.errors}
    for problem in (e for e in plan.errors if str(e) not in named):
        click.echo(f"invalid    {problem}")
    counts = ", ".join(f"{plan.count(a)} {label}" for a, label in (
        ("create", "to create"), ("update", "to update"), ("unchanged", "unchanged"),
        ("disable", "to disable"), ("invalid", "invalid")))
    waiting = plan.count("waiting")
    click.echo(f"plan: {counts}" + (f", {waiting} waiting for a connection" if waiting else ""))


def describe(change: Change) -> str:
    version = f" v{change.version}" if change.version else ""
    needs = ", ".join(repr(n) for n in change.waiting_for)
    detail = {
        "create": f"({change.file})",
        "update": f"v{change.version} -> v{(change.version or 0) + 1} ({change.file})",
        "unchanged": f"{version.strip()} ({change.file})" + (", becomes managed by this file" if change.adopt else ""),
        "invalid": f"({change.file})",
        "disable": f"{version.strip()} (its file {change.file} was removed; would disable, runs keep it)",
        "waiting": f"({change.file}) needs connection(s) {needs}: not applied until they exist",
    }[change.action]
    return f"{change.action:<10} {change.key}  {detail}"


def waiting_line(plan: Plan) -> str | None:
    """One line saying which recipes wait for which connections, and what happens next."""
    waiting = [c for c in plan.changes if c.action == "waiting"]
    if not waiting:
        return None
    needed = sorted({n for c in waiting for n in c.waiting_for})
    then = ("each is applied as soon as its connections exist" if current_app.config.get("APPLY_RECIPE_FILES_ON_START")
            else "create them, then run recipes apply again")
    return (f"waiting: {', '.join(c.key for c in waiting)} need connection(s) {', '.join(map(repr, needed))}; "
            f"{then} (flask --app wsgi connections create ...)")
