"""The recurring-contract automation end to end: a signed contract → one Asaas subscription, whose
payments reach Ponte as ordinary payments (and never make a second contract)."""

from __future__ import annotations

import requests
from sqlalchemy import select

from app.db import get_session
from app.engine.recipes import set_enabled
from app.models import Recipe

from .conftest import FINAL, Stack

TEMPLATE = "c2a8b6a4-1f0e-4b53-9a57-5f0c2e8d7a10"


def _enable(stack: Stack, key: str = "zapsign_signed_to_subscription") -> None:
    with stack.app.app_context():
        session = get_session()
        set_enabled(session, session.scalar(select(Recipe).where(Recipe.key == key)), True)


def _sign(stack: Stack, answers: dict[str, str]) -> dict:
    response = requests.post(f"{stack.zapsign}/_sandbox/docs", timeout=5, json={
        "template_id": TEMPLATE, "name": "Contrato de manutenção",
        "signers": [{"name": "João da Silva", "email": "joao@example.com"}], "answers": answers, "sign": True})
    response.raise_for_status()
    return response.json()


def _by_recipe(stack: Stack) -> dict[str, list[str]]:
    with stack.app.app_context():
        session = get_session()
        keys = {r.id: r.key for r in session.scalars(select(Recipe))}
    found: dict[str, list[str]] = {}
    for run in stack.runs():
        found.setdefault(keys[run.recipe_id], []).append(run.status)
    return found


RECURRING = {"CPF": "529.982.247-25", "VALOR MENSAL": "R$ 1.500,00", "PRIMEIRO VENCIMENTO": "10/01/2027",
             "PERIODICIDADE": "Trimestral"}


def test_the_subscription_recipe_ships_disabled(stack: Stack) -> None:
    with stack.app.app_context():
        recipe = get_session().scalar(select(Recipe).where(Recipe.key == "zapsign_signed_to_subscription"))
    assert recipe is not None and recipe.enabled is False
    _sign(stack, RECURRING)
    stack.settle()
    assert stack.asaas_requests("POST", "/v3/subscriptions") == []


def test_a_signed_recurring_contract_makes_one_subscription_even_when_delivered_twice(stack: Stack) -> None:
    _enable(stack)
    document = _sign(stack, RECURRING)
    stack.settle(lambda rs: len(rs) >= 3 and all(r.status in FINAL for r in rs))
    [signed] = [d for d in requests.get(f"{stack.zapsign}/_sandbox/deliveries", timeout=5).json()
                if d["event_type"] == "doc_signed"]
    requests.post(f"{stack.zapsign}/_sandbox/deliveries/{signed['id']}/redeliver", timeout=5).raise_for_status()
    stack.settle()

    [call] = stack.asaas_requests("POST", "/v3/subscriptions")
    assert call["json"] == {
        "customer": call["json"]["customer"], "billingType": "BOLETO", "value": 1500.0, "nextDueDate": "2027-01-10",
        "cycle": "QUARTERLY", "description": f"{document['name']} (assinado por João da Silva)",
        "externalReference": f"zapsign-doc:{document['token']}"}
    assert len(stack.asaas_requests("GET", "/v3/subscriptions")) == 1  # looked up before the create
    runs = _by_recipe(stack)
    assert runs["zapsign_signed_to_subscription"] == ["succeeded"]  # the re-sent signature is absorbed
    assert runs["zapsign_signed_to_charge"] == ["filtered"]  # no VALOR: not a one-off charge
    # The first payment arrives as PAYMENT_CREATED with its subscription: no contract is sent for it.
    assert runs["asaas_charge_to_contract"] == ["filtered"]
    assert stack.zapsign_requests() == []
    [payment] = requests.get(f"{stack.asaas}/_sandbox/state", timeout=5).json()["payments"]
    [subscription] = requests.get(f"{stack.asaas}/_sandbox/subscriptions", timeout=5).json()
    assert payment["subscription"] == subscription["id"] and payment["dueDate"] == "2027-01-10"


def test_the_cycle_defaults_to_monthly_and_a_replayed_run_reuses_the_subscription(stack: Stack) -> None:
    _enable(stack)
    _sign(stack, {k: v for k, v in RECURRING.items() if k != "PERIODICIDADE"})
    stack.settle(lambda rs: len(rs) >= 3 and all(r.status in FINAL for r in rs))
    [call] = stack.asaas_requests("POST", "/v3/subscriptions")
    assert call["json"]["cycle"] == "MONTHLY"
    with stack.app.app_context():
        from app.engine.replay import replay_run

        session = get_session()
        recipe = session.scalar(select(Recipe).where(Recipe.key == "zapsign_signed_to_subscription"))
        [run_id] = [r.id for r in stack.runs() if r.recipe_id == recipe.id]
        replay_run(session, run_id, mode="trigger", force=True)  # a person repeats it on purpose
        session.commit()
    stack.settle()
    assert len(stack.asaas_requests("POST", "/v3/subscriptions")) == 1
    assert len(requests.get(f"{stack.asaas}/_sandbox/subscriptions", timeout=5).json()) == 1


def test_switching_it_on_next_to_the_one_off_charge_names_only_the_shared_customer_step(stack: Stack) -> None:
    """Both react to a signed contract on the same accounts, so switching the subscription on asks for a
    confirmation; the warning names what they share (finding the customer, which never duplicates one),
    not a second charge: their filters read different variables (VALOR vs VALOR MENSAL)."""
    from app.engine.duplicates import find_duplicates

    with stack.app.app_context():
        session = get_session()
        recipe = session.scalar(select(Recipe).where(Recipe.key == "zapsign_signed_to_subscription"))
        [duplicate] = find_duplicates(session, recipe.definition)
    assert duplicate.key == "zapsign_signed_to_charge"
    assert duplicate.actions == ("asaas.find_or_create_customer",)
