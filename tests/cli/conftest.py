"""A Ponte app whose RECIPES_DIR and MAPPINGS_DIR are temporary folders, with connections asaas and zapsign."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from flask import Flask

from app.connections import create_connection
from app.db import get_db, get_session
from app.models import Base

RECIPE = """\
key: charge_to_doc
name: "Charge → document"
trigger:
  connection: asaas
  event: asaas.payment_created
filters:
  - {field: "$.payment.billingType", op: in, value: [BOLETO, PIX]}
  - {field: "$.payment.value", op: greater_or_equal, value: "100,00", type: number}
steps:
  - key: contract
    action: zapsign.create_document_from_template
    connection: zapsign
    mapping: charge_doc
"""

MAPPING = """\
key: charge_doc
action: zapsign.create_document_from_template
fields:
  template_id: "tpl-1"
  signer_name: {path: "$.customer.name"}
  signer_email: {path: "$.customer.email", format: [lower]}
  variables:
    VALOR: {path: "$.payment.value", format: [brl]}
"""

SECOND = """\
key: signed_to_email
name: "Signed → e-mail"
trigger:
  connection: zapsign
  event: zapsign.document_signed
steps:
  - key: charge
    action: asaas.create_payment
    connection: asaas
    input:
      customer: cus_1
      billingType: PIX
      value: 10
      dueDate: "2025-03-10"
"""

ASAAS_KEY = "$aact_hmlg_cli_tests_key"


@dataclass
class Project:
    """The app and its recipe folders; ``write`` puts a YAML file in place."""

    app: Flask
    root: Path

    @property
    def recipes(self) -> Path:
        return self.root / "recipes"

    @property
    def mappings(self) -> Path:
        return self.root / "mappings"

    def write(self, relative: str, text: str) -> Path:
        path = self.root / relative
        path.write_text(text, encoding="utf-8")
        return path

    def cli(self, *args: str, **kwargs: Any) -> Result:
        return self.app.test_cli_runner().invoke(args=list(args), **kwargs)


def add_connections(app: Flask, asaas_url: str | None = None) -> None:
    with app.app_context():
        session = get_session()
        # Never the real Asaas: `recipes plan` asks the services (port 9 refuses at once).
        values: dict[str, Any] = {"api_key": ASAAS_KEY, "base_url": f"{asaas_url or 'http://127.0.0.1:9'}/v3"}
        create_connection(session, connector_key="asaas", name="asaas", values=values)
        create_connection(session, connector_key="zapsign", name="zapsign",
                          values={"api_token": "zapsign-cli-token", "base_url": "http://127.0.0.1:9/api/v1"})
        session.commit()


@pytest.fixture
def project(make_app: Callable[..., Flask], tmp_path: Path) -> Iterator[Project]:
    """Recipe ``charge_to_doc`` (+ mapping ``charge_doc``) and ``signed_to_email`` on disk; empty tables."""
    root = tmp_path / "project"
    (root / "recipes").mkdir(parents=True)
    (root / "mappings").mkdir()
    app = make_app(RECIPES_DIR=str(root / "recipes"), MAPPINGS_DIR=str(root / "mappings"))
    engine = get_db(app).engine
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    project = Project(app, root)
    project.write("recipes/charge_to_doc.yaml", RECIPE)
    project.write("mappings/charge_doc.yaml", MAPPING)
    project.write("recipes/signed_to_email.yaml", SECOND)
    yield project
    get_db(app).remove()
    Base.metadata.drop_all(engine)
