"""The Translator: locale choice, catalogs read at run time, plural forms, Babel's formats."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from bot import catalogs, i18n
from bot.i18n import N_, SUPPORTED, Translator, pick_locale, translator


def _plain(text: str) -> str:
    """CLDR puts no-break and narrow no-break spaces in numbers and times; compare as spaces."""
    return text.replace("\u00a0", " ").replace("\u202f", " ")


# --- choosing the locale ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language_code", "expected"),
    [
        ("de-AT", "de"),
        ("de", "de"),
        ("DE-ch", "de"),
        ("es-419", "es"),
        ("es_MX", "es"),
        ("ru", "ru"),
        ("en-GB", "en"),
        ("pt", "en"),
        ("pt-BR", "en"),
        ("uk", "en"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_pick_locale(language_code: str | None, expected: str) -> None:
    assert pick_locale(language_code) == expected


def test_unsupported_locale_falls_back_to_english() -> None:
    assert Translator("pt").locale == "en"
    assert Translator("xx").locale == "en"
    assert translator("de") is translator("de")
    assert SUPPORTED == ("en", "de", "es", "ru")


def test_every_shipped_catalog_loads() -> None:
    for locale in SUPPORTED:
        tr = Translator(locale)
        assert tr._("A message no catalog has") == "A message no catalog has"
        assert tr.n_("{n} apple", "{n} apples", 1) == "1 apple"


def test_n_marker_returns_its_message() -> None:
    assert N_("Hamstring stretch") == "Hamstring stretch"


# --- catalogs at run time ---------------------------------------------------------------------


@pytest.fixture
def tiny_catalogs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Russian and German catalogs with a few messages, where the Translator looks."""
    monkeypatch.setattr(i18n, "LOCALES_DIR", tmp_path)
    ru = _catalog("ru")
    ru.add(("{n} day", "{n} days"), ("{n} день", "{n} дня", "{n} дней"))
    ru.add(("One stretch left", "{n} stretches left"), ("Осталось {n} упражнение", "Осталось {n} упражнения",
                                                         "Осталось {n} упражнений"))  # fmt: skip
    ru.add("Hi {name}", "Привет, {name}!")
    ru.add("Done", "Готово", context="button")
    ru.add("Done", "Вы закончили", context="title")
    ru.add("A draft", "Черновик", flags=("fuzzy",))
    _save(tmp_path, ru)
    de = _catalog("de")
    de.add(("{n} day", "{n} days"), ("{n} Tag", "{n} Tage"))
    de.add("Hi {name}", "Hallo {name}!")
    _save(tmp_path, de)
    i18n.reload_catalogs()
    yield tmp_path
    i18n.reload_catalogs()


def _catalog(locale: str) -> Catalog:
    catalog = Catalog(locale=locale, fuzzy=False)
    catalog.mime_headers = [*catalog.mime_headers, ("Plural-Forms", catalogs.PLURAL_FORMS[locale])]
    return catalog


def _save(root: Path, catalog: Catalog) -> None:
    path = root / str(catalog.locale) / "LC_MESSAGES" / "messages.po"
    path.parent.mkdir(parents=True)
    with path.open("wb") as handle:
        write_po(handle, catalog)


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (0, "0 дней"),
        (1, "1 день"),
        (2, "2 дня"),
        (4, "4 дня"),
        (5, "5 дней"),
        (11, "11 дней"),
        (12, "12 дней"),
        (14, "14 дней"),
        (21, "21 день"),
        (22, "22 дня"),
        (25, "25 дней"),
        (101, "101 день"),
        (111, "111 дней"),
        (1001, "1 001 день"),
    ],
)
def test_russian_plural_forms(tiny_catalogs: Path, n: int, expected: str) -> None:
    tr = Translator("ru")
    assert _plain(tr.n_("{n} day", "{n} days", n)) == expected


def test_russian_plural_with_an_english_singular_without_n(tiny_catalogs: Path) -> None:
    tr = Translator("ru")
    assert tr.n_("One stretch left", "{n} stretches left", 1) == "Осталось 1 упражнение"
    assert tr.n_("One stretch left", "{n} stretches left", 21) == "Осталось 21 упражнение"
    assert tr.n_("One stretch left", "{n} stretches left", 3) == "Осталось 3 упражнения"
    assert Translator("en").n_("One stretch left", "{n} stretches left", 1) == "One stretch left"


def test_german_plural_and_number_format(tiny_catalogs: Path) -> None:
    tr = Translator("de")
    assert [tr.n_("{n} day", "{n} days", n) for n in (0, 1, 2)] == ["0 Tage", "1 Tag", "2 Tage"]
    assert tr.n_("{n} day", "{n} days", 1000) == "1.000 Tage"


def test_placeholders_and_contexts(tiny_catalogs: Path) -> None:
    tr = Translator("ru")
    assert tr._("Hi {name}", name="Аня") == "Привет, Аня!"
    assert tr.p_("button", "Done") == "Готово"
    assert tr.p_("title", "Done") == "Вы закончили"
    assert tr._("Done") == "Done"  # without a context it is another message
    assert Translator("de")._("Hi {name}", name="Jo") == "Hallo Jo!"
    assert Translator("es")._("Hi {name}", name="Jo") == "Hi Jo"  # no Spanish catalog here


def test_fuzzy_translations_are_not_shown(tiny_catalogs: Path) -> None:
    assert Translator("ru")._("A draft") == "A draft"


def test_cached_translators_follow_a_reload(tiny_catalogs: Path) -> None:
    assert translator("de")._("Hi {name}", name="Jo") == "Hallo Jo!"
    (tiny_catalogs / "de" / "LC_MESSAGES" / "messages.po").unlink()
    i18n.reload_catalogs()
    assert translator("de")._("Hi {name}", name="Jo") == "Hi Jo"


# --- formats ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "clock", "day", "monday", "january", "number", "percent", "items"),
    [
        ("en", "7:30 PM", "March 1, 2026", "Mon", "Jan", "1,234.5", "75%", "A, B, and C"),
        ("de", "19:30", "1. März 2026", "Mo", "Jan", "1.234,5", "75 %", "A, B und C"),
        ("es", "19:30", "1 de marzo de 2026", "lun", "ene", "1.234,5", "75 %", "A, B y C"),
        ("ru", "19:30", "1 марта 2026 г.", "пн", "янв.", "1 234,5", "75 %", "A, B и C"),
    ],
)
def test_babel_formats_per_locale(
    locale: str, clock: str, day: str, monday: str, january: str, number: str, percent: str, items: str
) -> None:
    tr = Translator(locale)
    assert _plain(tr.time(time(19, 30))) == clock
    assert _plain(tr.date(date(2026, 3, 1), "long")) == day
    assert tr.weekday(0) == monday
    assert tr.month(1) == january
    assert _plain(tr.number(1234.5)) == number
    assert _plain(tr.percent(0.75)) == percent
    assert tr.list(["A", "B", "C"]) == items


def test_weekday_and_month_names_are_the_stand_alone_forms() -> None:
    ru = Translator("ru")
    assert ru.weekday(6, "wide") == "воскресенье"
    assert ru.month(3, "wide") == "март"  # a label, not "марта" as inside a date
    assert [Translator("de").weekday(i, "wide") for i in (0, 6)] == ["Montag", "Sonntag"]
    assert Translator("es").month(12, "wide") == "diciembre"


def test_numbers_with_fixed_digits_and_datetimes_in_their_zone() -> None:
    assert Translator("de").number(2.5, 1) == "2,5"
    assert Translator("en").number(2, 1) == "2.0"
    assert Translator("ru").number(2.4, 0) == "2"
    moment = datetime(2026, 3, 1, 18, 30, tzinfo=UTC)
    assert "18:30" in Translator("de").datetime(moment, "short")
