"""A connector's words in pt-BR and English, from a Babel catalog kept in the connector's own folder.

Every label and help text a connector declares (trigger, action, property, option titles and
descriptions, error and summary texts) is written in English in the code; that English is the msgid.
The Portuguese lives in ``<connector>/translations/pt_BR/LC_MESSAGES/messages.po`` and its compiled
``.mo`` (both committed; ``python -m connectors.sdk.catalogs check`` fails when they differ). Plain
``gettext`` from the standard library reads the ``.mo``: no Flask, so the engine and a worker can use
it too. English is the msgid itself, so a missing catalog degrades to English, never to a key.
"""

from __future__ import annotations

import gettext
from pathlib import Path

LOCALES = ("en", "pt_BR")
DOMAIN = "messages"


def normalise_locale(locale: object) -> str:
    """``pt``, ``pt-BR``, ``pt_BR`` (or a Babel Locale) → ``pt_BR``; anything else → ``en``."""
    return "pt_BR" if str(locale or "").replace("-", "_").lower().startswith("pt") else "en"


class Catalog:
    """The translations under ``folder`` (``<folder>/<locale>/LC_MESSAGES/messages.mo``), loaded once."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._loaded: dict[str, gettext.NullTranslations] = {}

    def _translations(self, locale: str) -> gettext.NullTranslations:
        if locale not in self._loaded:
            path = self.folder / locale / "LC_MESSAGES" / f"{DOMAIN}.mo"
            try:
                with path.open("rb") as handle:
                    self._loaded[locale] = gettext.GNUTranslations(handle)
            except OSError:
                self._loaded[locale] = gettext.NullTranslations()
        return self._loaded[locale]

    def gettext(self, message: str, locale: object) -> str:
        """``message`` in ``locale``; English (the msgid) when the locale is English or untranslated."""
        lang = normalise_locale(locale)
        if not message or lang == "en":
            return message
        return self._translations(lang).gettext(message)

    def has(self, message: str, locale: object) -> bool:
        """True when ``message`` has its own translation in ``locale`` (English always has it)."""
        lang = normalise_locale(locale)
        if lang == "en":
            return bool(message)
        catalog = self._translations(lang)
        return isinstance(catalog, gettext.GNUTranslations) and message in catalog._catalog  # type: ignore[attr-defined]


def catalog_beside(anchor: str) -> Catalog:
    """The catalog in the ``translations`` folder beside the module ``anchor`` (``__file__``)."""
    return Catalog(Path(anchor).parent / "translations")


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark for extraction only"
    """Mark a text for the connector's catalog without translating it here (it is translated on display)."""
    return message
