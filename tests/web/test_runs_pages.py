"""Run history: filters, search inside the event payload, the filter verdict, replay."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.db import get_session
from app.models import Run


def _ids(page: bytes) -> set[str]:
    text = page.decode()
    return {part.split('"')[0] for part in text.split('name="run_id" value="')[1:]}


def test_list_filters_by_status_and_recipe(operator_client: FlaskClient, seeded: dict[str, int]) -> None:
    assert _ids(operator_client.get("/runs").data) == {str(seeded[s]) for s in ("failed", "filtered", "succeeded")}
    assert _ids(operator_client.get("/runs?status=failed").data) == {str(seeded["failed"])}
    assert _ids(operator_client.get(f"/runs?recipe={seeded['recipe']}&status=filtered").data) == {
        str(seeded["filtered"])}
    assert _ids(operator_client.get("/runs?recipe=999").data) == set()


def test_search_finds_a_run_by_payment_id(operator_client: FlaskClient, seeded: dict[str, int]) -> None:
    assert _ids(operator_client.get("/runs?q=pay_filtered001").data) == {str(seeded["filtered"])}
    assert _ids(operator_client.get("/runs?q=pay_").data) == {str(seeded[s]) for s in ("failed", "filtered",
                                                                                      "succeeded")}
    assert _ids(operator_client.get("/runs?q=100%25").data) == set()  # % is literal, not a wildcard


def test_date_range_filter(operator_client: FlaskClient, seeded: dict[str, int]) -> None:
    assert _ids(operator_client.get("/runs?from=2000-01-01&to=2000-01-02").data) == set()
    assert len(_ids(operator_client.get("/runs?from=2000-01-01").data)) == 3


def test_run_page_shows_the_filter_verdict(operator_client: FlaskClient, seeded: dict[str, int]) -> None:
    page = operator_client.get(f"/runs/{seeded['filtered']}").get_data(as_text=True)
    assert "Os filtros barraram este evento." in page
    assert "<code>payment.value</code> maior ou igual a <code>100,00</code>" in page
    assert "valor recebido: <code>50</code>" in page
    assert "greater_or_equal" not in page  # the engine's English explanation is not shown


def test_run_page_writes_conditions_in_the_page_language(operator_client: FlaskClient, seeded: dict[str, int],
                                                         app: Flask) -> None:
    with app.app_context():
        session = get_session()
        run = session.get(Run, seeded["filtered"])
        run.filter_result = {**run.filter_result, "groups": [{"passed": False, "conditions": [
            {"field": "$.payment.billingType", "op": "in", "expected": ["BOLETO", "PIX"], "actual": "PIX",
             "passed": True, "explanation": "$.payment.billingType in ['BOLETO', 'PIX'] passed: actual 'PIX'"},
            {"field": "$.payment.externalReference", "op": "not_exists", "expected": None, "actual": "ponte-1",
             "passed": False, "explanation": "x"}]}]}
        session.commit()
    page = operator_client.get(f"/runs/{seeded['filtered']}").get_data(as_text=True)
    assert "<code>payment.billingType</code> é um de <code>BOLETO; PIX</code>" in page
    assert "<code>payment.externalReference</code> não existe — valor recebido: <code>ponte-1</code>" in page
    assert "null" not in page and "passed: actual" not in page


def test_run_page_names_steps_and_error_kinds_in_words(operator_client: FlaskClient, seeded: dict[str, int],
                                                        app: Flask) -> None:
    with app.app_context():
        session = get_session()
        run = session.get(Run, seeded["failed"])
        run.steps[1].error_kind = "transient"
        session.commit()
    page = operator_client.get(f"/runs/{seeded['failed']}").get_data(as_text=True)
    assert "Asaas: Nova cobrança criada" in page and "ZapSign: Criar documento a partir de modelo" in page
    assert "(falha temporária)" in page and "(transient)" not in page


def test_run_page_shows_steps_with_secrets_redacted(operator_client: FlaskClient, seeded: dict[str, int]) -> None:
    page = operator_client.get(f"/runs/{seeded['failed']}").get_data(as_text=True)
    assert "ZapSign answered 503" in page
    assert "leak-me-please" not in page
    assert "Reexecutar do passo que falhou" in page


def test_replay_button_creates_a_replay_run(operator_client: FlaskClient, seeded: dict[str, int],
                                            app: Flask) -> None:
    response = operator_client.post(f"/runs/{seeded['failed']}/replay", data={"mode": "failed_step"})
    assert response.status_code == 302
    with app.app_context():
        replay = get_session().scalar(select(Run).where(Run.replay_of_id == seeded["failed"]))
        assert replay is not None and replay.status == "queued"
    assert response.location == f"/runs/{replay.id}"


def test_replay_of_a_succeeded_run_is_refused_with_a_message(operator_client: FlaskClient,
                                                              seeded: dict[str, int]) -> None:
    response = operator_client.post(f"/runs/{seeded['succeeded']}/replay", data={"mode": "failed_step"},
                                    follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Esta execução teve sucesso" in page  # in the page's language, not the engine's English
    assert "only failed, filtered or skipped runs replay" not in page


def test_bulk_replay(operator_client: FlaskClient, seeded: dict[str, int], app: Flask) -> None:
    response = operator_client.post("/runs/replay", data={
        "run_id": [str(seeded["failed"]), str(seeded["filtered"])], "mode": "trigger"})
    assert response.status_code == 302
    with app.app_context():
        replays = get_session().scalars(select(Run).where(Run.replay_of_id.is_not(None))).all()
        assert {r.replay_of_id for r in replays} == {seeded["failed"], seeded["filtered"]}


def test_dashboard_counts_and_failing_recipes(operator_client: FlaskClient, seeded: dict[str, int]) -> None:
    page = operator_client.get("/").get_data(as_text=True)
    assert "Cobrança → contrato" in page
    assert "1 falha em 24 h" in page


def test_a_run_whose_action_succeeded_offers_only_a_confirmed_forced_replay(
        operator_client: FlaskClient, seeded: dict[str, int], app: Flask) -> None:
    page = operator_client.get(f"/runs/{seeded['succeeded']}").get_data(as_text=True)
    assert 'name="force" value="1"' in page and "data-confirm=" in page and "contract" in page
    refused = operator_client.post(f"/runs/{seeded['succeeded']}/replay", data={"mode": "trigger"},
                                   follow_redirects=True)
    assert "force" in refused.get_data(as_text=True)
    forced = operator_client.post(f"/runs/{seeded['succeeded']}/replay", data={"mode": "trigger", "force": "1"})
    assert forced.status_code == 302
    with app.app_context():
        replay = get_session().scalar(select(Run).where(Run.replay_of_id == seeded["succeeded"]))
        assert replay is not None and replay.status == "queued"


def test_empty_history_says_whether_filters_hide_runs(operator_client: FlaskClient) -> None:
    assert "Nenhuma execução ainda" in operator_client.get("/runs").get_data(as_text=True)
    page = operator_client.get("/runs?status=failed").get_data(as_text=True)
    assert "Nenhuma execução com estes filtros." in page and "Ver todas as execuções" in page


def test_a_run_the_catch_up_recovered_is_labelled_in_both_languages(operator_client: FlaskClient,
                                                                    seeded: dict[str, int], app: Flask) -> None:
    from app.models import Event

    with app.app_context():
        session = get_session()
        run = session.get(Run, seeded["succeeded"])
        session.get(Event, run.event_id).source = "recovered"  # as app/catchup.py stores it
        session.commit()

    def labelled(page: str) -> set[str]:
        rows = page.split('name="run_id" value="')[1:]
        return {row.split('"')[0] for row in rows if "src-recovered" in row.split("</tr>")[0]}

    listed = operator_client.get("/runs").get_data(as_text=True)
    assert labelled(listed) == {str(seeded["succeeded"])}
    assert ">recuperado</span>" in listed and "a recuperação o encontrou no serviço" in listed
    page = operator_client.get(f"/runs/{seeded['succeeded']}").get_data(as_text=True)
    assert ">recuperado</span>" in page
    assert "src-recovered" not in operator_client.get(f"/runs/{seeded['failed']}").get_data(as_text=True)
    operator_client.post("/locale", data={"locale": "en"})
    listed = operator_client.get("/runs").get_data(as_text=True)
    assert labelled(listed) == {str(seeded["succeeded"])} and ">recovered</span>" in listed
    assert "the catch-up found it in the service" in listed
    assert ">recovered</span>" in operator_client.get(f"/runs/{seeded['succeeded']}").get_data(as_text=True)


def test_run_page_shows_a_nested_group_of_conditions_as_a_sentence(
    operator_client: FlaskClient, seeded: dict[str, int], app: Flask
) -> None:
    from app.engine.filters import compile_filters

    verdict = compile_filters([
        {"field": "$.payment.status", "op": "equals", "value": "PENDING"},
        {"any": [{"field": "$.payment.externalReference", "op": "is_empty"},
                 {"field": "$.payment.externalReference", "op": "not_starts_with", "value": "ponte-"}]},
    ]).evaluate({"payment": {"status": "PENDING", "externalReference": "ponte-9"}})
    with app.app_context():
        session = get_session()
        session.get(Run, seeded["filtered"]).filter_result = verdict.to_dict()
        session.commit()
    page = operator_client.get(f"/runs/{seeded['filtered']}").get_data(as_text=True)
    assert "✘ qualquer uma destas:" in page
    assert "<code>payment.externalReference</code> não começa com <code>ponte-</code>" in page
    assert "<code>payment.externalReference</code> está vazio — valor recebido: <code>ponte-9</code>" in page
