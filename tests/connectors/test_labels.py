"""Every connector speaks both languages: labels and help texts for every trigger, action, property and
option, each translated in the connector's own catalog, and a ``.mo`` that is its ``.po`` compiled."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po

from connectors import registry
from connectors.sdk import Connector
from connectors.sdk.catalogs import check, label_problems, messages, po_path

CONNECTORS = registry.CONNECTORS


@pytest.mark.parametrize("connector", CONNECTORS, ids=[c.key for c in CONNECTORS])
def test_every_label_and_help_text_exists_in_both_languages(connector: Connector) -> None:
    assert label_problems(connector) == []


@pytest.mark.parametrize("connector", CONNECTORS, ids=[c.key for c in CONNECTORS])
def test_the_committed_mo_is_the_compiled_po(connector: Connector) -> None:
    assert connector.catalog is not None
    assert check(connector.catalog.folder, messages(connector)) == []


@pytest.mark.parametrize("connector", CONNECTORS, ids=[c.key for c in CONNECTORS])
def test_every_trigger_gives_a_run_summary(connector: Connector) -> None:
    for trigger in connector.triggers:
        assert trigger.summary is not None, f"{connector.key}.{trigger.key} has no run summary"


def _copy_catalog(connector: Connector, tmp_path: Path) -> Path:
    assert connector.catalog is not None
    folder = tmp_path / "translations"
    shutil.copytree(connector.catalog.folder, folder)
    return folder


def test_a_po_edited_without_compiling_its_mo_fails_the_check(tmp_path: Path) -> None:
    connector = registry.get_connector("zapsign")
    folder = _copy_catalog(connector, tmp_path)
    with po_path(folder).open("rb") as handle:
        catalog = read_po(handle)
    catalog[connector.triggers[0].title].string = "Documento totalmente assinado"
    with po_path(folder).open("wb") as handle:
        write_po(handle, catalog)
    problems = check(folder, messages(connector))
    assert len(problems) == 1 and "not the compiled content" in problems[0]


def test_a_new_text_without_translation_fails_the_check(tmp_path: Path) -> None:
    connector = registry.get_connector("email")
    folder = _copy_catalog(connector, tmp_path)
    problems = check(folder, [*messages(connector), "A brand new label"])
    assert problems == [f"{po_path(folder)}: no pt-BR translation for 'A brand new label'"]


def test_the_test_only_connector_keeps_the_same_promises() -> None:
    from tests.minicrm import CONNECTOR as MINICRM

    assert MINICRM.catalog is not None
    assert label_problems(MINICRM) == []
    assert check(MINICRM.catalog.folder, messages(MINICRM)) == []
