"""``recipes validate --online`` and ``plan``: recipes checked against the live accounts, as file:line."""

from __future__ import annotations

import json

import responses

from tests.cli.conftest import MAPPING, RECIPE, Project, add_connections

ASAAS = "http://asaas.test"
ZAPSIGN = "http://127.0.0.1:9/api/v1"  # the zapsign connection of add_connections
TEMPLATE = {"token": "tpl-1", "name": "Contrato", "template_type": "docx", "active": True, "inputs": [
    {"variable": "{{NOME COMPLETO}}", "required": True, "order": 1},
    {"variable": "{{VALOR}}", "required": True, "order": 2},
]}
INLINE = """\
    input:
      template_id: "missing-tpl"
      signer_name: {path: "$.customer.name"}
      variables:
        VALOR: {path: "$.payment.value", format: [brl]}
"""
WRONG = MAPPING + '    EMAIL: {path: "$.customer.email"}\n'  # line 9; "variables:" is line 7


def _services(mock: responses.RequestsMock, *, asaas_status: int = 200) -> None:
    mock.get(f"{ASAAS}/v3/customers", status=asaas_status,
             json={"object": "list", "totalCount": 3, "data": []} if asaas_status == 200 else
             {"errors": [{"code": "invalid_access_token", "description": "A chave de API fornecida é inválida"}]})
    mock.get(f"{ZAPSIGN}/templates/", json={"count": 1, "next": None, "results": [TEMPLATE]})
    mock.get(f"{ZAPSIGN}/templates/tpl-1/", json=TEMPLATE)


def test_validate_online_names_each_wrong_variable_and_each_unfilled_required_one_by_line(project: Project) -> None:
    add_connections(project.app, asaas_url=ASAAS)
    project.write("mappings/charge_doc.yaml", WRONG)
    assert project.cli("recipes", "validate").exit_code == 0  # offline, nothing can tell
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        _services(mock)
        result = project.cli("recipes", "validate", "--online")
    assert result.exit_code == 1
    assert ("mappings/charge_doc.yaml:9: variable 'EMAIL' is not in ZapSign template 'Contrato'; its variables: "
            "NOME COMPLETO, VALOR (asked connection 'zapsign')") in result.output
    assert ("mappings/charge_doc.yaml:7: ZapSign template 'Contrato' requires variable 'NOME COMPLETO', which "
            "this step does not fill") in result.output
    assert "online: connection 'asaas' ok: Connected to Asaas (custom URL); the account has 3 customer(s)." \
        in result.output
    assert "Error: 2 problem(s) in 1 file(s)" in result.output


def test_validate_online_passes_when_the_template_agrees(project: Project) -> None:
    add_connections(project.app, asaas_url=ASAAS)
    project.write("mappings/charge_doc.yaml", MAPPING + '    "NOME COMPLETO": {path: "$.customer.name"}\n')
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        _services(mock)
        result = project.cli("recipes", "validate", "--online", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["ok"] and data["problems"] == []
    assert {s["name"]: s["ok"] for s in data["services"]} == {"asaas": True, "zapsign": True}


def test_a_refused_asaas_key_is_reported_at_the_connection_line_of_each_recipe(project: Project) -> None:
    add_connections(project.app, asaas_url=ASAAS)
    project.write("mappings/charge_doc.yaml", MAPPING + '    "NOME COMPLETO": {path: "$.customer.name"}\n')
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        _services(mock, asaas_status=401)
        result = project.cli("recipes", "validate", "--online")
    assert result.exit_code == 1
    assert "recipes/charge_to_doc.yaml:4: connection 'asaas': Asaas refused the API key" in result.output
    assert "recipes/signed_to_email.yaml:9: connection 'asaas': Asaas refused the API key" in result.output


def test_inline_step_input_problems_point_at_the_recipe_file(project: Project) -> None:
    add_connections(project.app, asaas_url=ASAAS)
    recipe = project.recipes / "charge_to_doc.yaml"
    recipe.write_text(RECIPE.replace("    mapping: charge_doc\n", INLINE), encoding="utf-8")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        _services(mock)
        mock.get(f"{ZAPSIGN}/templates/missing-tpl/", status=404, json={"detail": "Não encontrado."})
        result = project.cli("recipes", "validate", "--online", str(recipe))
    assert result.exit_code == 1, result.output
    line = next(n for n, text in enumerate(recipe.read_text().splitlines(), 1) if "template_id" in text)
    assert f"recipes/charge_to_doc.yaml:{line}: ZapSign template 'missing-tpl' does not exist in this account " \
           "(the local double)" in result.output


def test_plan_runs_the_online_check_and_refuses_on_a_definite_problem_but_only_warns_when_unreachable(
        project: Project) -> None:
    add_connections(project.app, asaas_url=ASAAS)
    project.write("mappings/charge_doc.yaml", WRONG)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        _services(mock)
        result = project.cli("recipes", "plan")
    assert result.exit_code == 1
    assert "mappings/charge_doc.yaml:9: variable 'EMAIL' is not in ZapSign template" in result.output
    assert "problem(s) with the live accounts" in result.output
    with responses.RequestsMock() as mock:  # --offline: not one call
        assert project.cli("recipes", "plan", "--offline").exit_code == 0
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(f"{ASAAS}/v3/customers", status=503, json={})
        mock.get(f"{ZAPSIGN}/templates/", status=503, json={})
        down = project.cli("recipes", "plan")
        assert down.exit_code == 0, down.output
        assert "(not checked: the service could not be asked)" in down.output
        assert project.cli("recipes", "validate", "--online").exit_code == 1
