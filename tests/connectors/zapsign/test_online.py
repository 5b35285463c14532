"""``create_document_from_template.check_online``: the template a step fills, asked of ZapSign."""

from __future__ import annotations

from typing import Any

import pytest
import responses

from connectors.sdk import RUNTIME, ConfigError, Context
from connectors.zapsign.actions import CREATE_DOCUMENT_FROM_TEMPLATE
from connectors.zapsign.online import check_template
from sandbox.zapsign_data import SERVICE_CONTRACT_ID, seed_templates

API = "https://sandbox.api.zapsign.com.br/api/v1"
CTX = Context(config={"api_token": "zs-token", "environment": "sandbox"}, sleep=lambda s: None)


def _template(**changes: Any) -> dict[str, Any]:
    template = {"token": "tpl-1", "name": "Contrato", "template_type": "docx", "active": True, "inputs": [
        {"variable": "{{NOME COMPLETO}}", "required": True, "order": 1},
        {"variable": "{{CPF}}", "required": True, "order": 2},
        {"variable": "{{OBS}}", "required": False, "order": 3},
    ]}
    return {**template, **changes}


@responses.activate
def test_a_matching_step_has_no_problem_and_the_token_is_asked_with_bearer_auth() -> None:
    responses.get(f"{API}/templates/tpl-1/", json=_template())
    data = {"template_id": "tpl-1", "signer_name": RUNTIME, "variables": {"NOME COMPLETO": RUNTIME, "{{CPF}}": RUNTIME}}
    assert check_template(CTX, data) == []
    assert responses.calls[0].request.headers["Authorization"] == "Bearer zs-token"
    assert CREATE_DOCUMENT_FROM_TEMPLATE.check_online is check_template


@responses.activate
def test_a_variable_the_template_lacks_and_a_required_one_left_out_are_named_with_their_paths() -> None:
    responses.get(f"{API}/templates/tpl-1/", json=_template())
    problems = check_template(CTX, {"template_id": "tpl-1", "variables": {"NOME COMPLETO": RUNTIME, "EMAIL": RUNTIME}})
    assert problems == [
        (("variables", "EMAIL"), "variable 'EMAIL' is not in ZapSign template 'Contrato'; its variables: "
                                 "NOME COMPLETO, CPF, OBS"),
        (("variables",), "ZapSign template 'Contrato' requires variable 'CPF', which this step does not fill"),
    ]


@responses.activate
def test_a_template_missing_from_the_account_is_a_problem_at_template_id() -> None:
    responses.get(f"{API}/templates/nope/", status=404, json={"detail": "Não encontrado."})
    [(path, message)] = check_template(CTX, {"template_id": "nope", "variables": {}})
    assert path == ("template_id",)
    assert "'nope' does not exist in this account (ZapSign sandbox)" in message


@responses.activate
def test_an_inactive_or_pdf_template_cannot_make_documents() -> None:
    responses.get(f"{API}/templates/tpl-1/", json=_template(active=False, template_type="pdf"))
    messages = [m for _, m in check_template(CTX, {"template_id": "tpl-1", "variables": {
        "NOME COMPLETO": 1, "CPF": 2}})]
    assert messages == ["ZapSign template 'Contrato' is inactive: activate it in ZapSign",
                        "ZapSign template 'Contrato' is a pdf template; documents can only be created from DOCX "
                        "templates"]


def test_a_template_or_variables_read_from_the_event_are_not_asked() -> None:
    with responses.RequestsMock():  # any call would fail: none is made
        assert check_template(CTX, {"template_id": RUNTIME, "variables": {"X": RUNTIME}}) == []
    with responses.RequestsMock() as mock:
        mock.get(f"{API}/templates/tpl-1/", json=_template())
        assert check_template(CTX, {"template_id": "tpl-1", "variables": RUNTIME}) == []


@responses.activate
def test_a_refused_token_raises_for_the_engine_to_report() -> None:
    responses.get(f"{API}/templates/tpl-1/", status=401, json={"detail": "Token inválido"})
    with pytest.raises(ConfigError):
        check_template(CTX, {"template_id": "tpl-1", "variables": {}})


@responses.activate
def test_the_shipped_mapping_fills_exactly_the_double_template_variables() -> None:
    """mappings/charge_to_contract.yaml and sandbox/zapsign_data.py must agree (the demo runs on both)."""
    from app.engine.loader import load_mappings
    from app.engine.online import static_input

    mappings, _, errors = load_mappings("mappings")
    assert not errors
    spec = mappings["charge_to_contract"]
    responses.get(f"{API}/templates/{SERVICE_CONTRACT_ID}/", json=seed_templates()[SERVICE_CONTRACT_ID])
    outline = static_input(spec.mapping.root)
    assert outline["template_id"] == SERVICE_CONTRACT_ID and outline["signer_name"] is RUNTIME
    assert check_template(CTX, outline) == []
    template_variables = {i["variable"].strip("{}") for i in seed_templates()[SERVICE_CONTRACT_ID]["inputs"]}
    assert set(outline["variables"]) == template_variables
