"""Keep each connector's catalog in step with its code: list its texts, update the ``.po``, compile
the ``.mo``, and check that both are complete and agree.

``python -m connectors.sdk.catalogs update`` adds new texts to every ``.po`` (untranslated, for a
person to fill) and drops the ones no longer used, then compiles each ``.mo``.
``python -m connectors.sdk.catalogs check`` (CI, and ``tests/connectors/test_catalogs.py``) fails when
a text has no pt-BR translation, a translation is fuzzy, or a ``.mo`` is not the compiled content of
its ``.po``. It compares content, not modification times: git does not keep mtimes.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog as BabelCatalog
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

from .base import Connector, Trigger

LOCALE = "pt_BR"


def _schema_texts(schema: dict[str, Any]) -> Iterator[str]:
    for prop in (schema.get("properties") or {}).values():
        if isinstance(prop, dict):
            yield from (str(prop[k]) for k in ("title", "description") if isinstance(prop.get(k), str))


def messages(connector: Connector) -> list[str]:
    """Every text the connector shows a person, in a stable order, without repeats."""
    texts: list[str] = [connector.title, connector.description, *_schema_texts(connector.auth_schema)]
    items: list[Any] = [*connector.triggers, *connector.actions]
    for item in items:
        texts += [item.title, item.description]
        if isinstance(item, Trigger):
            texts.append(item.group)
        texts += _schema_texts(item.options_schema if isinstance(item, Trigger) else item.input_schema)
        for choices in item.choices.values():
            texts += [option.label for option in choices.options]
        for described in getattr(item, "output_fields", {}).values():
            texts.append(described.label)
            texts += [option.label for option in described.choices.options] if described.choices else []
    texts += [lookup.title for lookup in connector.lookups]
    texts += connector.messages
    return list(dict.fromkeys(t for t in texts if t))


def folder_of(connector: Connector) -> Path | None:
    return connector.catalog.folder if connector.catalog is not None else None


def po_path(folder: Path) -> Path:
    return folder / LOCALE / "LC_MESSAGES" / "messages.po"


def _compiled(catalog: BabelCatalog) -> bytes:
    out = io.BytesIO()
    write_mo(out, catalog)
    return out.getvalue()


def _pairs(catalog: BabelCatalog) -> dict[str, str]:
    return {str(m.id): str(m.string) for m in catalog if m.id and not m.fuzzy}


def update(folder: Path, texts: Iterable[str], project: str) -> None:
    """Write the ``.po`` with exactly ``texts`` (keeping known translations) and compile the ``.mo``."""
    path = po_path(folder)
    known: dict[str, str] = {}
    created = None
    if path.exists():
        with path.open("rb") as handle:
            old = read_po(handle)
        known, created = {str(m.id): str(m.string) for m in old if m.id}, old.creation_date
    catalog = BabelCatalog(locale=LOCALE, project=project, fuzzy=False, creation_date=created,
                           revision_date=created)
    for text in texts:
        catalog.add(text, known.get(text, ""))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalog, width=100, omit_header=False, sort_output=False)
    path.with_suffix(".mo").write_bytes(_compiled(catalog))


def check(folder: Path, texts: Iterable[str]) -> list[str]:
    """Every problem with the catalog in ``folder`` for ``texts``, as ``path: message`` lines."""
    path = po_path(folder)
    if not path.exists():
        return [f"{path}: missing"]
    with path.open("rb") as handle:
        po = read_po(handle)
    problems: list[str] = []
    wanted = list(texts)
    translated = _pairs(po)
    for text in wanted:
        if not translated.get(text):
            problems.append(f"{path}: no pt-BR translation for {text!r}")
    extra = set(translated) - set(wanted)
    if extra:
        problems.append(f"{path}: texts no longer used (run `python -m connectors.sdk.catalogs update`): "
                        + ", ".join(sorted(map(repr, extra))[:5]))
    mo = path.with_suffix(".mo")
    if not mo.exists():
        problems.append(f"{mo}: missing (run `python -m connectors.sdk.catalogs update`)")
    else:
        with mo.open("rb") as handle:
            compiled = _pairs(read_mo(handle))
        if compiled != {k: v for k, v in translated.items() if v}:
            problems.append(f"{mo}: not the compiled content of {path.name} (run "
                            "`python -m connectors.sdk.catalogs update`)")
    return problems


def _targets() -> list[tuple[str, Path, list[str]]]:
    from connectors import registry

    out = []
    for connector in registry.CONNECTORS:
        folder = folder_of(connector)
        if folder is not None:
            out.append((connector.key, folder, messages(connector)))
    return out


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    problems: list[str] = []
    for key, folder, texts in _targets():
        if command == "update":
            update(folder, texts, project=f"ponte-connector-{key}")
        problems += check(folder, texts)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))


def label_problems(connector: Connector) -> list[str]:
    """What the wizard would miss: a label or help text, a translation, a lookup a property names."""
    where = connector.key
    problems = [] if connector.catalog is not None else [f"{where}: no translation catalog"]
    lookups = {lookup.key for lookup in connector.lookups}
    items: list[Any] = [*connector.triggers, *connector.actions]
    schemas = [(f"{where} auth", connector.auth_schema)]
    for item in items:
        name = f"{where}.{item.key}"
        if not (item.title and item.description):
            problems.append(f"{name}: needs a title and a description")
        schema = item.options_schema if isinstance(item, Trigger) else item.input_schema
        schemas.append((name, schema))
        props = schema.get("properties") or {}
        for prop, choices in item.choices.items():
            if prop not in props:
                problems.append(f"{name}: choices for {prop!r}, which is not a property")
            if choices.dynamic and choices.lookup not in lookups:
                problems.append(f"{name}.{prop}: lookup {choices.lookup!r} is not one of the connector's")
            problems += [f"{name}.{prop}: depends on {dep!r}, which is not a property"
                         for dep in choices.depends_on if dep not in props]
            enum = props.get(prop, {}).get("enum")
            problems += [f"{name}.{prop}: option {o.value!r} is not in the schema's enum"
                         for o in choices.options if enum is not None and o.value not in enum]
        if item.summary is not None:
            for locale in ("en", "pt_BR"):
                if not isinstance(item.summary(item.sample, locale), str) or not item.summary(item.sample, locale):
                    problems.append(f"{name}: the summary of its sample is empty ({locale})")
    for name, schema in schemas:
        for prop, spec in (schema.get("properties") or {}).items():
            if not (isinstance(spec, dict) and spec.get("title") and spec.get("description")):
                problems.append(f"{name}.{prop}: needs a title (label) and a description (help text)")
    if connector.catalog is not None:
        problems += [f"{where}: no pt-BR for {text!r}" for text in messages(connector)
                     if not connector.catalog.has(text, "pt_BR")]
    return problems
