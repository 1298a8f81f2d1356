"""Parsing typed times and zones (in English, German, Spanish, Russian), places, offsets, shared locations."""

from __future__ import annotations

from datetime import UTC, datetime, time
from time import perf_counter
from zoneinfo import ZoneInfo, available_timezones

import pytest
from babel import Locale

from bot.domain import places
from bot.domain.places import find_places, resolve_place, warm
from bot.domain.timeparse import (
    describe_zone,
    offset_zone,
    parse_time,
    parse_timezone,
    suggest_timezones,
    timezone_from_location,
    zone_facts,
)

# --- times ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7", time(7, 0)),
        ("07:00", time(7, 0)),
        ("7:30", time(7, 30)),
        ("19:30", time(19, 30)),
        ("19.30", time(19, 30)),
        ("19h30", time(19, 30)),
        ("0730", time(7, 30)),
        ("1930", time(19, 30)),
        ("0", time(0, 0)),
        ("23:59", time(23, 59)),
        ("7am", time(7, 0)),
        ("7 am", time(7, 0)),
        ("7 AM", time(7, 0)),
        ("  7:15pm ", time(19, 15)),
        ("7:15 P.M.", time(19, 15)),
        ("12am", time(0, 0)),
        ("12:30am", time(0, 30)),
        ("12pm", time(12, 0)),
        ("12:45 pm", time(12, 45)),
        ("11pm", time(23, 0)),
        ("Noon", time(12, 0)),
        ("midnight", time(0, 0)),
    ],
)
def test_parse_time_valid(text: str, expected: time) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "25:61",
        "24:00",
        "13pm",
        "0am",
        "12:60",
        "7:5",
        "7.5",
        "seven",
        "",
        "   ",
        "7:30:15",
        "-7",
        "7 o'clock please",
        "🙂",
        "2400",
    ],
)
def test_parse_time_invalid(text: str) -> None:
    assert parse_time(text) is None


# --- zones ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # IANA names, any case, spaces for underscores
        ("Europe/Berlin", "Europe/Berlin"),
        ("europe/berlin", "Europe/Berlin"),
        ("AMERICA/NEW_YORK", "America/New_York"),
        ("america/new york", "America/New_York"),
        ("Etc/GMT-2", "Etc/GMT-2"),
        # cities in the database
        ("Berlin", "Europe/Berlin"),
        ("new york", "America/New_York"),
        ("São Paulo", "America/Sao_Paulo"),
        ("Sao Paulo", "America/Sao_Paulo"),
        ("Los Angeles", "America/Los_Angeles"),
        ("Berlin, Germany", "Europe/Berlin"),
        ("St. John's", "America/St_Johns"),
        # aliases
        ("Mumbai", "Asia/Kolkata"),
        ("delhi", "Asia/Kolkata"),
        ("San Francisco", "America/Los_Angeles"),
        ("LA", "America/Los_Angeles"),
        ("Beijing", "Asia/Shanghai"),
        ("Washington", "America/New_York"),
        ("Munich", "Europe/Berlin"),
        ("samoa", "Pacific/Apia"),
        # typos
        ("Berln", "Europe/Berlin"),
        ("Londn", "Europe/London"),
        ("Amsterdm", "Europe/Amsterdam"),
        # UTC and offsets
        ("UTC", "UTC"),
        ("gmt", "UTC"),
        ("UTC+2", "Etc/GMT-2"),
        ("utc + 2", "Etc/GMT-2"),
        ("GMT-5", "Etc/GMT+5"),
        ("UTC\u22123", "Etc/GMT+3"),  # Unicode minus sign
        ("+05:30", "Asia/Kolkata"),
        ("UTC+5:45", "Asia/Kathmandu"),
        ("+0530", "Asia/Kolkata"),
        ("UTC+14", "Etc/GMT-14"),
    ],
)
def test_parse_timezone_valid(text: str, expected: str) -> None:
    assert parse_timezone(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "   ", "asdfgh", "🙂", "🇩🇪", "test", "hello", "xyz", "UTC+15", "UTC+1:30", "x" * 200],
)
def test_parse_timezone_junk(text: str) -> None:
    assert parse_timezone(text) is None


def test_parse_timezone_only_returns_loadable_names() -> None:
    zones = available_timezones()
    for text in ("Mumbai", "Kiev", "Berln", "+05:30", "UTC-12", "Tokyo", "Calcutta"):
        result = parse_timezone(text)
        assert result is not None and result in zones, text


def test_suggest_timezones() -> None:
    assert suggest_timezones("york")[0] == "America/New_York"
    assert "Europe/London" in suggest_timezones("Lodnon")
    assert len(suggest_timezones("san", limit=2)) == 2
    assert suggest_timezones("asdfgh") == []
    assert suggest_timezones("") == []
    assert set(suggest_timezones("par")) <= available_timezones()


# --- offsets ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [
        (0, "UTC"),
        (60, "Etc/GMT-1"),
        (120, "Etc/GMT-2"),
        (-300, "Etc/GMT+5"),
        (-720, "Etc/GMT+12"),
        (840, "Etc/GMT-14"),
        (330, "Asia/Kolkata"),
        (345, "Asia/Kathmandu"),
        (570, "Australia/Darwin"),
        (210, "Asia/Tehran"),
        (-210, "America/St_Johns"),
        (390, "Asia/Yangon"),
        (765, "Pacific/Chatham"),
        (-570, "Pacific/Marquesas"),
    ],
)
def test_offset_zone(minutes: int, expected: str) -> None:
    assert offset_zone(minutes) == expected


@pytest.mark.parametrize("minutes", [-780, 900, 90, 45, -30, 1, 13 * 60 + 1])
def test_offset_zone_not_real(minutes: int) -> None:
    assert offset_zone(minutes) is None


def test_offset_zone_sign_is_inverted_correctly() -> None:
    now = datetime(2026, 1, 15, 12, tzinfo=UTC)
    for minutes in (-300, 120, 330, 345, 570):
        name = offset_zone(minutes)
        assert name is not None
        offset = now.astimezone(ZoneInfo(name)).utcoffset()
        assert offset is not None and offset.total_seconds() == minutes * 60, name


# --- shared location --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lat", "lon", "expected"),
    [
        (52.52, 13.405, "Europe/Berlin"),
        (40.7128, -74.0060, "America/New_York"),
        (22.5726, 88.3639, "Asia/Kolkata"),
        (-34.9285, 138.6007, "Australia/Adelaide"),
        (0.0, -30.0, None),  # mid-Atlantic
        (91.0, 0.0, None),
        (0.0, 181.0, None),
        (float("nan"), 0.0, None),
    ],
)
def test_timezone_from_location(lat: float, lon: float, expected: str | None) -> None:
    assert timezone_from_location(lat, lon) == expected


# --- description --------------------------------------------------------------------------


def test_describe_zone() -> None:
    winter = datetime(2026, 1, 15, 13, 5, tzinfo=UTC)
    summer = datetime(2026, 7, 15, 13, 5, tzinfo=UTC)
    assert describe_zone("Europe/Berlin", winter) == "Europe/Berlin (UTC+01:00, now 14:05)"
    assert describe_zone("Europe/Berlin", summer) == "Europe/Berlin (UTC+02:00, now 15:05)"
    assert describe_zone("Asia/Kolkata", winter) == "Asia/Kolkata (UTC+05:30, now 18:35)"
    assert describe_zone("America/St_Johns", winter) == "America/St_Johns (UTC-03:30, now 09:35)"
    assert describe_zone("Etc/GMT-2", winter) == "UTC+02:00 (now 15:05)"
    assert describe_zone("UTC", winter) == "UTC+00:00 (now 13:05)"


def test_zone_facts_for_a_view_in_any_language() -> None:
    winter = datetime(2026, 1, 15, 13, 5, tzinfo=UTC)
    facts = zone_facts("America/St_Johns", winter)
    assert (facts.name, facts.offset) == ("America/St_Johns", "UTC-03:30")
    assert facts.local.strftime("%H:%M") == "09:35"
    assert zone_facts("Etc/GMT-2", winter).name is None
    assert zone_facts("UTC", winter).offset == "UTC+00:00"


def test_describe_zone_rejects_naive_and_unknown() -> None:
    with pytest.raises(ValueError):
        describe_zone("Europe/Berlin", datetime(2026, 1, 1))
    with pytest.raises(ValueError):
        describe_zone("Nowhere/Special", datetime(2026, 1, 1, tzinfo=UTC))


# --- times typed in German, Spanish, Russian and English words ---------------------------


@pytest.mark.parametrize(
    ("locale", "text", "expected"),
    [
        ("de", "19 Uhr", time(19, 0)),
        ("de", "19:30 Uhr", time(19, 30)),
        ("de", "19.30 Uhr", time(19, 30)),
        ("de", "19Uhr", time(19, 0)),
        ("de", "um 7 Uhr", time(7, 0)),
        ("de", "7 Uhr abends", time(19, 0)),
        ("de", "um 7 Uhr abends", time(19, 0)),
        ("de", "abends um 7", time(19, 0)),
        ("de", "19 Uhr abends", time(19, 0)),
        ("de", "7 Uhr morgens", time(7, 0)),
        ("de", "6 Uhr früh", time(6, 0)),
        ("de", "3 Uhr nachmittags", time(15, 0)),
        ("de", "11 Uhr nachts", time(23, 0)),
        ("de", "2 Uhr nachts", time(2, 0)),
        ("de", "12 Uhr mittags", time(12, 0)),
        ("de", "gegen 19 Uhr", time(19, 0)),
        ("de", "7 Uhr 30", time(7, 30)),
        ("de", "halb 8", time(7, 30)),
        ("de", "halb 8 abends", time(19, 30)),
        ("de", "halb 1 mittags", time(12, 30)),
        ("de", "Viertel nach 7", time(7, 15)),
        ("de", "Viertel vor 8 abends", time(19, 45)),
        ("de", "Mittag", time(12, 0)),
        ("de", "Mitternacht", time(0, 0)),
        ("es", "19h", time(19, 0)),
        ("es", "19 h", time(19, 0)),
        ("es", "19h30", time(19, 30)),
        ("es", "19:30 h", time(19, 30)),
        ("es", "19 horas", time(19, 0)),
        ("es", "19 hs", time(19, 0)),
        ("es", "7 de la tarde", time(19, 0)),
        ("es", "a las 7 de la tarde", time(19, 0)),
        ("es", "a las 7 de la mañana", time(7, 0)),
        ("es", "10 de la noche", time(22, 0)),
        ("es", "12 de la noche", time(0, 0)),
        ("es", "5 de la madrugada", time(5, 0)),
        ("es", "1 del mediodía", time(13, 0)),
        ("es", "a las 19:30", time(19, 30)),
        ("es", "7 p. m.", time(19, 0)),
        ("es", "7 a. m.", time(7, 0)),
        ("es", "las 7 y media de la tarde", time(19, 30)),
        ("es", "7 y cuarto", time(7, 15)),
        ("es", "8 menos cuarto", time(7, 45)),
        ("es", "8 menos 10", time(7, 50)),
        ("es", "7 y 20", time(7, 20)),
        ("es", "mediodía", time(12, 0)),
        ("ru", "7 вечера", time(19, 0)),
        ("ru", "в 7 утра", time(7, 0)),
        ("ru", "в 7 вечера", time(19, 0)),
        ("ru", "вечером в 7", time(19, 0)),
        ("ru", "утром в 7:30", time(7, 30)),
        ("ru", "2 дня", time(14, 0)),
        ("ru", "12 дня", time(12, 0)),
        ("ru", "2 ночи", time(2, 0)),
        ("ru", "11 ночи", time(23, 0)),
        ("ru", "12 ночи", time(0, 0)),
        ("ru", "19 ч", time(19, 0)),
        ("ru", "19 ч.", time(19, 0)),
        ("ru", "19ч", time(19, 0)),
        ("ru", "в 19 часов", time(19, 0)),
        ("ru", "7 часов вечера", time(19, 0)),
        ("ru", "7 ч 30 мин", time(7, 30)),
        ("ru", "в 19:30", time(19, 30)),
        ("ru", "полдень", time(12, 0)),
        ("ru", "полночь", time(0, 0)),
        ("en", "7pm", time(19, 0)),
        ("en", "07:30", time(7, 30)),
        ("en", "at 7pm", time(19, 0)),
        ("en", "7 o'clock", time(7, 0)),
        ("en", "7 o’clock", time(7, 0)),
        ("en", "7 in the evening", time(19, 0)),
        ("en", "half past 7", time(7, 30)),
        ("en", "quarter to 8", time(7, 45)),
        ("en", "20 past 7 pm", time(19, 20)),
    ],
)
def test_parse_time_in_each_language(locale: str, text: str, expected: time) -> None:
    assert parse_time(text, locale=locale) == expected
    # The words of every language are read whatever the user's locale.
    for other in ("en", "de", "es", "ru", None):
        assert parse_time(text, locale=other) == expected


@pytest.mark.parametrize(
    "text",
    [
        "19 Uhr morgens",  # contradicts itself
        "12 Uhr abends",  # noon? midnight? ask
        "12 вечера",
        "13 Uhr am Morgen",
        "13 pm",
        "25 Uhr",
        "19 Uhr 75",
        "acht Uhr",  # number words are not read (as "seven" is not)
        "halb acht",
        "семь вечера",
        "las siete",
        "Viertel 8",  # 7:15 in some regions, unknown in others
        "dreiviertel 8",
        "half 8",  # 8:30 in Britain, but "halb 8" is 7:30
        "mañana a las 7",  # "tomorrow": a day, not a daily time
        "halb 30",
        "7 y 75",
        "beam",
        "am",
        "abends",
        "7 Uhr bitte",
    ],
)
def test_parse_time_words_not_guessed(text: str) -> None:
    assert parse_time(text) is None


# --- places in local spellings and scripts ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # de
        ("München", "Europe/Berlin"),
        ("Muenchen", "Europe/Berlin"),
        ("Köln", "Europe/Berlin"),  # not Europe/Warsaw
        ("Koeln", "Europe/Berlin"),
        ("Wien", "Europe/Vienna"),
        ("Zürich", "Europe/Zurich"),
        ("Deutschland", "Europe/Berlin"),
        ("Frankfurt", "Europe/Berlin"),  # am Main far outweighs Frankfort, Kentucky
        # es
        ("Ciudad de México", "America/Mexico_City"),
        ("ciudad de mexico", "America/Mexico_City"),
        ("Nueva York", "America/New_York"),
        ("Londres", "Europe/London"),
        ("Múnich", "Europe/Berlin"),
        ("Viena", "Europe/Vienna"),
        # ru
        ("Москва", "Europe/Moscow"),  # not Moscow, Idaho
        ("москва", "Europe/Moscow"),
        ("Санкт-Петербург", "Europe/Moscow"),
        ("Мюнхен", "Europe/Berlin"),
        ("Берлин", "Europe/Berlin"),
        ("Нью-Йорк", "America/New_York"),
        ("Киев", "Europe/Kyiv"),
        # en and other scripts
        ("Berlin", "Europe/Berlin"),
        ("new york", "America/New_York"),
        ("Cologne", "Europe/Berlin"),
        ("東京", "Asia/Tokyo"),
        # a country or state after a comma narrows an ambiguous name
        ("Portland, Oregon", "America/Los_Angeles"),
        ("Portland, ME", "America/New_York"),
        ("San José, Costa Rica", "America/Costa_Rica"),
        ("Springfield, IL", "America/Chicago"),
        # typos of larger cities
        ("Muenchn", "Europe/Berlin"),
    ],
)
def test_parse_timezone_local_names(text: str, expected: str) -> None:
    assert parse_timezone(text) == expected


@pytest.mark.parametrize(
    ("text", "expected_zones"),
    [
        ("Portland", {"America/Los_Angeles", "America/New_York"}),
        ("Springfield", {"America/Chicago", "America/New_York"}),
        ("San José", {"America/Los_Angeles", "America/Costa_Rica"}),
        ("San Jose", {"America/Los_Angeles", "America/Costa_Rica"}),
        ("Россия", {"Europe/Moscow", "Asia/Yekaterinburg"}),
    ],
)
def test_ambiguous_names_offer_choices(text: str, expected_zones: set[str]) -> None:
    assert parse_timezone(text) is None  # not guessed: the bot offers the choices
    choices = find_places(text)
    assert 2 <= len(choices) <= 5
    assert expected_zones <= {place.timezone for place in choices}
    populations = [place.population for place in choices]
    assert populations == sorted(populations, reverse=True)
    # one choice per country and zone
    assert len({(p.country_code, p.timezone) for p in choices}) == len(choices)
    assert set(suggest_timezones(text, limit=5)) >= expected_zones


def test_frankfurt_choices_lead_with_frankfurt_am_main() -> None:
    choices = find_places("Frankfurt")
    assert choices[0].name == "Frankfurt am Main" and choices[0].timezone == "Europe/Berlin"
    assert len(choices) >= 2  # the Frankforts of the United States are offered too


def test_place_labels_name_the_country_in_the_users_language() -> None:
    portland = find_places("Portland")[0]
    assert portland.timezone == "America/Los_Angeles"
    assert portland.label() == "Portland, Oregon, United States"
    assert portland.label("de") == "Portland, Oregon, Vereinigte Staaten"
    assert portland.label("ru") == f"Portland, Oregon, {Locale('ru').territories['US']}"  # Соединённые Штаты
    cologne = find_places("Köln")[0]
    assert (cologne.name, cologne.country_code) == ("Köln", "DE")
    assert cologne.label("es") == "Köln, Alemania"
    assert cologne.population > 1_000_000


def test_resolve_place_says_when_it_guessed_a_typo() -> None:
    exact = resolve_place("Москва")
    assert exact.zone == "Europe/Moscow" and not exact.typo
    assert exact.choices[0].country_code == "RU"
    typo = resolve_place("Muenchn")
    assert typo.typo and typo.zone == "Europe/Berlin"
    unknown = resolve_place("asdfgh")
    assert unknown == (None, [], True)


@pytest.mark.parametrize(
    "text",
    ["hi", "ok", "no", "да", "ja", "yes", "nein", "hallo", "gracias", "спасибо", "привет", "xyz"],
)
def test_chat_words_are_not_places(text: str) -> None:
    assert parse_timezone(text) is None


def test_place_lookups_are_fast_once_the_index_is_built() -> None:
    warm()
    start = perf_counter()
    for text in ("München", "Москва", "Portland", "東京", "Ciudad de México", "Berlin, Germany"):
        find_places(text)
    assert perf_counter() - start < 0.05


def test_index_is_built_once_across_threads() -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(4) as pool:
        zones = list(pool.map(parse_timezone, ["Wien", "Москва", "Köln", "東京"] * 4))
    assert zones == ["Europe/Vienna", "Europe/Moscow", "Europe/Berlin", "Asia/Tokyo"] * 4
    assert places._get_index() is places._get_index()
