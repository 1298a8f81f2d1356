"""The user's language: gettext catalogs (read with Babel) and Babel's formats for the locale.

Sentences are written in English in the code as gettext message ids, always through a
`Translator` (`tr._`, `tr.n_`, `tr.p_`), never glued together with f-strings: a placeholder
is a named `{field}` that the catalog may move. Catalogs are the `.po` files under
`bot/locales/`; they are compiled in memory on first use, so an editable install and the
tests need no separate compile step. `python -m bot catalogs` re-extracts the template.
"""

from __future__ import annotations

import gettext
import io
from datetime import date, datetime, time
from functools import cache
from pathlib import Path
from typing import Any, Literal

from babel import Locale
from babel.dates import format_date, format_datetime, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
DOMAIN = "messages"
SUPPORTED: tuple[str, ...] = ("en", "de", "es", "ru")
DEFAULT_LOCALE = "en"
# The name of each language in itself, for the /settings picker.
NATIVE_NAMES = {"en": "English", "de": "Deutsch", "es": "Español", "ru": "Русский"}

Width = Literal["wide", "abbreviated", "short", "narrow"]


def N_(msgid: str) -> str:
    """Mark a message id for extraction where it is defined; translate it where it is shown."""
    return msgid


def pick_locale(language_code: str | None) -> str:
    """The supported locale for Telegram's `language_code` ("de-AT" -> "de"), else English."""
    if not language_code:
        return DEFAULT_LOCALE
    base = language_code.replace("_", "-").split("-", 1)[0].lower()
    return base if base in SUPPORTED else DEFAULT_LOCALE


def catalog_path(locale: str) -> Path:
    return LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def _translations(locale: str) -> gettext.NullTranslations:
    path = catalog_path(locale)
    if locale == DEFAULT_LOCALE or not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=locale, domain=DOMAIN)
    buffer = io.BytesIO()
    # Fuzzy entries are drafts: like msgfmt, leave them out so English shows instead.
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


class Translator:
    """Everything locale-dependent a view needs: sentences, plurals, dates, times, numbers."""

    def __init__(self, locale: str) -> None:
        self.locale = locale if locale in SUPPORTED else DEFAULT_LOCALE
        self._t = _translations(self.locale)
        self._babel = Locale.parse(self.locale)

    # -- sentences
    def _(self, msgid: str, /, **params: Any) -> str:
        text = self._t.gettext(msgid)
        return text.format(**params) if params else text

    def n_(self, singular: str, plural: str, n: int, /, **params: Any) -> str:
        """A plural chosen by the catalog's rule; `{n}` is always available to the text."""
        text = self._t.ngettext(singular, plural, n)
        return text.format(n=self.number(n), **params)

    def p_(self, context: str, msgid: str, /, **params: Any) -> str:
        """A message whose translation depends on where it is used (a button vs a title)."""
        text = self._t.pgettext(context, msgid)
        return text.format(**params) if params else text

    # -- formats
    def time(self, value: time) -> str:
        return format_time(value, "short", locale=self._babel)

    def date(self, value: date, fmt: str = "medium") -> str:
        return format_date(value, fmt, locale=self._babel)

    def datetime(self, value: datetime, fmt: str = "medium") -> str:
        return format_datetime(value, fmt, tzinfo=value.tzinfo, locale=self._babel)

    def weekday(self, index: int, width: Width = "abbreviated") -> str:
        """Monday = 0, as in `date.weekday()`; the stand-alone form, for labels and lists."""
        return str(self._babel.days["stand-alone"][width][index])

    def month(self, number: int, width: Width = "abbreviated") -> str:
        """January = 1; the stand-alone form, for chart axes and headings."""
        return str(self._babel.months["stand-alone"][width][number])

    def number(self, value: float, digits: int | None = None) -> str:
        if digits is None:
            return format_decimal(value, locale=self._babel)
        pattern = "0." + "0" * digits if digits else "0"
        return format_decimal(value, format=pattern, locale=self._babel)

    def percent(self, fraction: float) -> str:
        return format_percent(fraction, locale=self._babel)

    def list(self, items: list[str]) -> str:
        from babel.lists import format_list

        return format_list(items, locale=self._babel)


@cache
def translator(locale: str) -> Translator:
    return Translator(locale)


def reload_catalogs() -> None:
    """Forget the compiled catalogs (and translators holding them): the next use reads the
    .po files again, e.g. after `LOCALES_DIR` changed in a test or the catalogs were updated."""
    _translations.cache_clear()
    translator.cache_clear()
