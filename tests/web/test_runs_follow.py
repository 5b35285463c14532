"""Runs a person can follow: a live page that updates itself, every attempt, recovered failures,
and a replay refusal that offers the forced replay naming its effect."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.db import get_session
from app.models import Run, Step, utcnow


def test_a_live_run_page_refreshes_itself_and_a_final_one_does_not(
    operator_client: FlaskClient, seeded: dict[str, int], app: Flask
) -> None:
    with app.app_context():
        session = get_session()
        run = Run(recipe_id=seeded["recipe"], recipe_version=1, status="queued", attempt=0, created_at=utcnow())
        session.add(run)
        session.commit()
        live_id = run.id
    live = operator_client.get(f"/runs/{live_id}").get_data(as_text=True)
    assert 'hx-trigger="every 2s"' in live and f'hx-get="/runs/{live_id}"' in live and 'hx-select="#run-live"' in live
    assert "esta página se atualiza sozinha" in live
    final = operator_client.get(f"/runs/{seeded['succeeded']}").get_data(as_text=True)
    assert 'id="run-live"' in final and "hx-trigger" not in final.split('id="run-live"')[1].split(">")[0]


def test_every_attempt_of_a_step_is_listed(operator_client: FlaskClient, seeded: dict[str, int], app: Flask) -> None:
    with app.app_context():
        session = get_session()
        step = session.scalar(select(Step).where(Step.run_id == seeded["failed"], Step.position == 1))
        step.attempt = 2
        step.history = [
            {"attempt": 1, "status": "retrying", "error": "ZapSign answered 500", "error_kind": "transient",
             "started_at": "2025-03-10T13:00:00+00:00", "finished_at": "2025-03-10T13:00:01+00:00", "duration_ms": 812},
            {"attempt": 2, "status": "failed", "error": "ZapSign answered 503", "error_kind": "transient",
             "started_at": "2025-03-10T13:05:00+00:00", "finished_at": "2025-03-10T13:05:01+00:00", "duration_ms": 640}]
        session.commit()
    page = operator_client.get(f"/runs/{seeded['failed']}").get_data(as_text=True)
    table = page.split('id="attempts-1"')[1].split("</table>")[0]
    assert "Todas as tentativas deste passo" in table
    assert "ZapSign answered 500" in table and "812 ms" in table and "10/03/2025 10:00:00" in table
    assert table.count("<tr>") == 3  # the header and both attempts


def test_a_failure_fixed_by_a_replay_is_recovered_and_leaves_the_failure_counts(
    operator_client: FlaskClient, seeded: dict[str, int], app: Flask
) -> None:
    before = operator_client.get("/").get_data(as_text=True)
    assert "1 falha em 24 h" in before
    with app.app_context():
        session = get_session()
        retry = Run(recipe_id=seeded["recipe"], recipe_version=1, status="failed", attempt=1,
                    replay_of_id=seeded["failed"], created_at=utcnow())
        session.add(retry)
        session.flush()
        fixed = Run(recipe_id=seeded["recipe"], recipe_version=1, status="succeeded", attempt=1,
                    replay_of_id=retry.id, created_at=utcnow(), finished_at=utcnow())
        session.add(fixed)
        session.commit()
        fixed_id = fixed.id
    page = operator_client.get(f"/runs/{seeded['failed']}").get_data(as_text=True)
    assert f"Recuperada: a reexecução #{fixed_id} teve sucesso" in page and f'href="/runs/{fixed_id}"' in page
    after = operator_client.get("/").get_data(as_text=True)
    assert "Nenhuma falha." in after  # both failures of that chain were fixed by its last replay
    counts = after.split('class="counts"')[1].split("</table>")[0]
    day = counts.split("Últimas 24 horas")[1].split("</tr>")[0]
    assert "recuperada" in counts
    cells = day.split('status=failed&amp;period=24h">')  # the failed column, then the recovered one
    assert [c.split("<")[0] for c in cells[1:]] == ["0", "2"]  # the chain's two failures are recovered


def test_a_refused_replay_offers_the_forced_one_naming_what_it_repeats(
    operator_client: FlaskClient, seeded: dict[str, int]
) -> None:
    answer = operator_client.post(f"/runs/{seeded['succeeded']}/replay", data={"mode": "trigger"},
                                  follow_redirects=True)
    page = answer.get_data(as_text=True)
    assert "Esta execução teve sucesso" in page and "use force" not in page
    form = page.split('id="force-replay"')[1].split("</section>")[0]
    assert "Forçar a reexecução pode repetir contract" in form and 'name="force" value="1"' in form
    assert "data-confirm=" in form
    forced = operator_client.post(f"/runs/{seeded['succeeded']}/replay", data={"mode": "trigger", "force": "1"})
    assert forced.status_code == 302 and forced.location != f"/runs/{seeded['succeeded']}"


def test_the_engines_stored_errors_read_in_the_users_language(
    operator_client: FlaskClient, seeded: dict[str, int], app: Flask
) -> None:
    with app.app_context():
        session = get_session()
        run = session.get(Run, seeded["failed"])
        run.error = ("gave up after 6 attempts: contract: signer_name: required, but $.customer.name has no value "
                     "in this event; variables.CPF: $.customer.cpfCnpj has no value in this event; give the field "
                     'a default (default: "" if a blank is fine)')
        session.commit()
    page = operator_client.get(f"/runs/{seeded['failed']}").get_data(as_text=True)
    assert ("desistiu após 6 tentativas: contract: signer_name: obrigatório, mas $.customer.name não tem valor "
            "neste evento; variables.CPF: $.customer.cpfCnpj não tem valor neste evento") in page
    assert "gave up after" not in page
    operator_client.post("/locale", data={"locale": "en"})
    assert "gave up after 6 attempts" in operator_client.get(f"/runs/{seeded['failed']}").get_data(as_text=True)
