"""Turn what people type (or share) into a wall-clock time or an IANA zone.

Users type "7am", "19.30", "berlin", "new york", "UTC+2" or share a location;
the bot needs a `time` and a name zoneinfo can load. Being lenient here saves
a round of "sorry, I didn't get that" on a phone keyboard.
"""

from __future__ import annotations

import difflib
import re
import threading
import unicodedata
from datetime import datetime, time
from functools import cache
from typing import TYPE_CHECKING, NamedTuple
from zoneinfo import available_timezones

from bot.domain.places import find_places, resolve_place
from bot.domain.schedule import zone

if TYPE_CHECKING:
    from timezonefinder import TimezoneFinder

__all__ = [
    "describe_zone",
    "offset_zone",
    "parse_time",
    "parse_timezone",
    "suggest_timezones",
    "timezone_from_location",
    "zone_facts",
]

# --------------------------------------------------------------------------- time

_TIME_RE = re.compile(
    r"""^(?P<h>\d{1,2})
        (?:(?:[:.h]\s*)(?P<m>\d{2})?)?      # 7:30, 19.30, 19h30, 19h
        \s*(?P<ampm>a\.?m\.?|p\.?m\.?)?$""",
    re.VERBOSE,
)
_COMPACT_RE = re.compile(r"^(?P<h>\d{1,2})(?P<m>\d{2})\s*(?P<ampm>a\.?m\.?|p\.?m\.?)?$")  # 0730
_WORDS = {
    "noon": time(12, 0), "midday": time(12, 0), "midnight": time(0, 0),
    "mittag": time(12, 0), "mitternacht": time(0, 0),
    "mediodía": time(12, 0), "mediodia": time(12, 0), "medianoche": time(0, 0),
    "полдень": time(12, 0), "полночь": time(0, 0),
}  # fmt: skip

# Parts of the day, in the four languages, with how each turns a clock hour into 0-23.
# Longer phrases are tried first, so "am abend" is the evening and not "am".
_AM, _PM, _MORNING, _AFTERNOON, _EVENING, _NIGHT, _MIDDAY = range(7)
_DAYPARTS: dict[str, int] = {
    # en
    "am": _AM, "a.m.": _AM, "a.m": _AM, "a. m.": _AM, "a. m": _AM,
    "pm": _PM, "p.m.": _PM, "p.m": _PM, "p. m.": _PM, "p. m": _PM,
    "in the morning": _MORNING, "in the afternoon": _AFTERNOON,
    "in the evening": _EVENING, "at night": _NIGHT,
    # de
    "morgens": _MORNING, "früh": _MORNING, "in der früh": _MORNING, "am morgen": _MORNING,
    "vormittags": _MORNING, "am vormittag": _MORNING, "vorm.": _MORNING,
    "mittags": _MIDDAY, "am mittag": _MIDDAY,
    "nachmittags": _AFTERNOON, "am nachmittag": _AFTERNOON, "nachm.": _AFTERNOON,
    "abends": _EVENING, "am abend": _EVENING,
    "nachts": _NIGHT, "in der nacht": _NIGHT,
    # es
    "de la mañana": _MORNING, "por la mañana": _MORNING, "de la madrugada": _MORNING,
    "del mediodía": _MIDDAY, "del mediodia": _MIDDAY,
    "de la tarde": _AFTERNOON, "por la tarde": _AFTERNOON,
    "de la noche": _NIGHT, "por la noche": _NIGHT,
    # ru
    "утра": _MORNING, "утром": _MORNING,
    "дня": _AFTERNOON, "днём": _AFTERNOON, "днем": _AFTERNOON,
    "вечера": _EVENING, "вечером": _EVENING,
    "ночи": _NIGHT, "ночью": _NIGHT,
}  # fmt: skip
# am/pm only follow the time ("7 pm"); the others may lead too ("abends um 7", "вечером в 7").
_LEADING_DAYPARTS = {p: k for p, k in _DAYPARTS.items() if k not in (_AM, _PM)}
_BY_LENGTH = sorted(_DAYPARTS, key=len, reverse=True)
_LEADING_BY_LENGTH = sorted(_LEADING_DAYPARTS, key=len, reverse=True)

# "um 7", "at 7", "a las 7", "в 7", "gegen 19 Uhr".
_PREPOSITION_RE = re.compile(r"^(?:um|gegen|at|a\s+las|a\s+la|las|la|в|во)\s+")
_HOUR_UNIT = r"(?:uhr|h|hs|hrs?|horas?|ч\.?|час(?:а|ов)?|o'clock|oclock)"
_MINUTE_UNIT = r"(?:min\.?|minuten?|minutos?|мин\.?|минут[аы]?)"
# "19 Uhr", "19:30 Uhr", "19 h", "19 h 30", "19 ч", "7 часов 30 минут", "7 o'clock".
_CLOCK_RE = re.compile(
    rf"""^(?P<h>\d{{1,2}})
        (?:\s*(?:[:.]|h\s*)(?P<m>\d{{2}}))?
        (?:\s*{_HOUR_UNIT}(?:\s*(?P<m2>\d{{2}})(?:\s*{_MINUTE_UNIT})?)?)?$""",
    re.VERBOSE,
)
# Quarter and half hours with digits for the hour. "halb 8" is 7:30 in German (but British
# "half 8" is 8:30, so English "half N" is left out); "Viertel 8"/"dreiviertel 8" mean
# different times in different regions and are left out too.
_RELATIVE_RES: tuple[tuple[re.Pattern[str], int | None], ...] = (
    (re.compile(rf"^halb\s+(?P<h>\d{{1,2}})(?:\s*{_HOUR_UNIT})?$"), -30),
    (re.compile(rf"^viertel\s+nach\s+(?P<h>\d{{1,2}})(?:\s*{_HOUR_UNIT})?$"), 15),
    (re.compile(rf"^viertel\s+vor\s+(?P<h>\d{{1,2}})(?:\s*{_HOUR_UNIT})?$"), -15),
    (re.compile(r"^(?P<h>\d{1,2})\s+y\s+media$"), 30),
    (re.compile(r"^(?P<h>\d{1,2})\s+y\s+cuarto$"), 15),
    (re.compile(r"^(?P<h>\d{1,2})\s+menos\s+cuarto$"), -15),
    (re.compile(r"^(?P<h>\d{1,2})\s+y\s+(?P<d>\d{1,2})$"), None),  # "las 7 y 20"
    (re.compile(r"^(?P<h>\d{1,2})\s+menos\s+(?P<d>\d{1,2})$"), None),  # "las 8 menos 10"
    (re.compile(r"^half\s+past\s+(?P<h>\d{1,2})$"), 30),
    (re.compile(r"^(?:a\s+)?quarter\s+past\s+(?P<h>\d{1,2})$"), 15),
    (re.compile(r"^(?:a\s+)?quarter\s+to\s+(?P<h>\d{1,2})$"), -15),
    (re.compile(r"^(?P<d>\d{1,2})\s+past\s+(?P<h>\d{1,2})$"), None),
    (re.compile(r"^(?P<d>\d{1,2})\s+to\s+(?P<h>\d{1,2})$"), None),
)


def _apply_daypart(hour: int, part: int | None) -> int | None:
    """A clock hour read with a part of the day, as 0-23; None if they contradict."""
    if part is None:
        return hour if hour <= 23 else None
    if part == _AM:  # as before: 1-12 only, 12am is midnight
        return hour % 12 if 1 <= hour <= 12 else None
    if part == _PM:
        return hour % 12 + 12 if 1 <= hour <= 12 else None
    if part == _MORNING:
        return hour if 0 <= hour <= 11 else None
    if part in (_AFTERNOON, _EVENING):  # "12 дня" is noon, "7 вечера" 19:00, "19 Uhr abends"
        if 1 <= hour <= 11:
            return hour + 12
        if hour == 12:  # nobody means noon by "12 in the evening", nor midnight for sure
            return 12 if part == _AFTERNOON else None
        return hour if 13 <= hour <= 23 else None
    if part == _MIDDAY:  # "12 Uhr mittags", "1 del mediodía" (13:00)
        if hour in (11, 12) or 13 <= hour <= 15:
            return hour
        return hour + 12 if 1 <= hour <= 3 else None
    # night: "11 nachts" 23:00, "2 ночи" 02:00, "12 de la noche" midnight
    if hour == 12 or hour == 0:
        return 0
    if 1 <= hour <= 5 or 18 <= hour <= 23:
        return hour
    return hour + 12 if 6 <= hour <= 11 else None


def _split_daypart(s: str) -> tuple[str, int | None]:
    for phrase in _BY_LENGTH:
        if s.endswith(phrase) and (len(s) == len(phrase) or not s[-len(phrase) - 1].isalpha()):
            head = s[: -len(phrase)].strip()
            # "7am" needs no space; "7 uhr abends" has one; "beam" is not "be" + "am".
            if head and (s[-len(phrase) - 1] == " " or head[-1].isdigit()):
                return head, _DAYPARTS[phrase]
    for phrase in _LEADING_BY_LENGTH:
        if s.startswith(phrase + " "):
            return s[len(phrase) + 1 :].strip(), _DAYPARTS[phrase]
    return s, None


def _parse_words(s: str) -> time | None:
    """Times with words around the digits: "19 Uhr", "7 de la tarde", "в 7 утра", "halb 8"."""
    s, part = _split_daypart(s)
    s = _PREPOSITION_RE.sub("", s, count=1)
    if part is None:  # "um 7 Uhr abends": the daypart may follow a leading preposition
        s, part = _split_daypart(s)
    if s in _WORDS and part is None:
        return _WORDS[s]
    match = _CLOCK_RE.match(s)
    if match is not None:
        minute_text = match["m"] or match["m2"]
        minute = int(minute_text) if minute_text else 0
        hour = _apply_daypart(int(match["h"]), part)
        if hour is None or minute > 59:
            return None
        return time(hour, minute)
    for pattern, delta in _RELATIVE_RES:
        match = pattern.match(s)
        if match is None:
            continue
        if delta is None:
            d = int(match["d"])
            if not 1 <= d <= 59:
                return None
            negative = " menos " in s or " to " in s
            delta = -d if negative else d
        base = int(match["h"])
        if not 1 <= base <= 24:
            return None
        hour = _apply_daypart(base % 24 if part is None else base, part)
        if hour is None:
            return None
        minutes = (hour * 60 + delta) % (24 * 60)
        return time(minutes // 60, minutes % 60)
    return None


def parse_time(text: str, locale: str | None = None) -> time | None:
    """A reminder time from what people type, in English, German, Spanish or Russian.

    "7", "07:00", "19.30", "7am", "7:15 pm", "0730" as before; and "19 Uhr", "19:30 Uhr",
    "7 Uhr abends", "um 7", "halb 8", "Viertel vor 8", "19h", "19 h 30", "7 de la tarde",
    "a las 7 y media", "7 p. m.", "7 вечера", "в 7 утра", "19 ч", "7 часов 30 минут",
    "half past 7", "7 in the evening", "noon", "Mitternacht", "полдень".

    A bare hour is read on the 24-hour clock ("7" is 07:00). 12am is midnight and 12pm
    noon; 24:00, 25:61, 13pm, "19 Uhr morgens" and number words ("seven", "acht") give
    None so the bot can ask again. The words of all four languages are understood whatever
    `locale` is (people mix them, and Telegram's language is not always theirs); no form
    understood here reads differently by language, so `locale` does not change a result.
    """
    s = " ".join(unicodedata.normalize("NFKC", text).strip().casefold().replace("’", "'").split())
    if s in _WORDS:
        return _WORDS[s]
    match = _TIME_RE.match(s) or _COMPACT_RE.match(s)
    if match is None:
        return _parse_words(s) if 0 < len(s) <= _MAX_INPUT else None
    hour = int(match["h"])
    minute = int(match["m"]) if match["m"] else 0
    if minute > 59:
        return None
    if match["ampm"]:
        if not 1 <= hour <= 12:
            return None
        hour %= 12
        if match["ampm"].startswith("p"):
            hour += 12
    elif hour > 23:
        return None
    return time(hour, minute)


# ------------------------------------------------------------------------ offsets

# Non-whole-hour offsets in use, each to a representative zone (minutes east of
# UTC). Zones with DST are the ones most users typing that offset live in.
_PARTIAL_OFFSETS = {
    -570: "Pacific/Marquesas",  # -09:30
    -210: "America/St_Johns",  # -03:30 Newfoundland standard time
    -150: "America/St_Johns",  # -02:30 Newfoundland summer time
    210: "Asia/Tehran",  # +03:30
    270: "Asia/Kabul",  # +04:30
    330: "Asia/Kolkata",  # +05:30
    345: "Asia/Kathmandu",  # +05:45
    390: "Asia/Yangon",  # +06:30
    525: "Australia/Eucla",  # +08:45
    570: "Australia/Darwin",  # +09:30
    630: "Australia/Adelaide",  # +10:30 South Australia summer time (Lord Howe standard)
    765: "Pacific/Chatham",  # +12:45
    825: "Pacific/Chatham",  # +13:45 Chatham summer time
}
_MIN_OFFSET, _MAX_OFFSET = -12 * 60, 14 * 60


def offset_zone(minutes: int) -> str | None:
    """A zone for a UTC offset in minutes east: whole hours -> Etc/GMT-N.

    Etc/GMT names have the inverted POSIX sign (UTC+2 is "Etc/GMT-2"); half and
    quarter hours map to a representative city zone. None if no place uses it.
    """
    if not _MIN_OFFSET <= minutes <= _MAX_OFFSET:
        return None
    if minutes == 0:
        return "UTC"
    if minutes % 60 == 0:
        hours = minutes // 60
        name = f"Etc/GMT-{hours}" if hours > 0 else f"Etc/GMT+{-hours}"
    else:
        name = _PARTIAL_OFFSETS.get(minutes, "")
    return name if name in _zones() else None


_OFFSET_RE = re.compile(r"^(?:utc|gmt)?([+-])(\d{1,2})(?:[:.]?(\d{2}))?$")


def _parse_offset(key: str) -> str | None:
    """'utc+2', 'gmt-5', '+05:30', 'utc+0545' -> a zone; None if not an offset."""
    compact = key.replace(" ", "").replace("\u2212", "-")  # also the Unicode minus
    if compact in ("utc", "gmt", "z", "zulu", "utc0", "gmt0", "utc+0", "gmt+0"):
        return "UTC"
    match = _OFFSET_RE.match(compact)
    if match is None:
        return None
    hours, mins = int(match[2]), int(match[3] or 0)
    if mins > 59:
        return None
    total = hours * 60 + mins
    return offset_zone(-total if match[1] == "-" else total)


# -------------------------------------------------------------------------- names

# What the gazetteer (bot.domain.places) cannot say: abbreviations and nicknames, US zone
# names, countries that are not in its country names, and names it finds ambiguous where
# one place is what nearly everyone means. Keys are normalised (see _norm). Cities it
# resolves to the same zone by itself ("Munich", "Mumbai", "Kyiv") are not listed here.
_ALIASES: dict[str, str | tuple[str, ...]] = {
    # India
    "hyderabad": "Asia/Kolkata", "calcutta": "Asia/Kolkata",
    # United States
    "san francisco": "America/Los_Angeles", "sf": "America/Los_Angeles",
    "la": "America/Los_Angeles",
    "pst": "America/Los_Angeles", "pdt": "America/Los_Angeles",
    "pacific time": "America/Los_Angeles",
    "washington": "America/New_York", "boston": "America/New_York",
    "philadelphia": "America/New_York", "nyc": "America/New_York",
    "est": "America/New_York", "edt": "America/New_York", "eastern time": "America/New_York",
    "cdt": "America/Chicago", "central time": "America/Chicago",
    "mst": "America/Denver", "mdt": "America/Denver",
    "mountain time": "America/Denver", "hawaii": "Pacific/Honolulu",
    # Europe
    "florence": "Europe/Rome", "barcelona": "Europe/Madrid", "valencia": "Europe/Madrid",
    "manchester": "Europe/London", "birmingham": "Europe/London",
    "liverpool": "Europe/London",
    "uk": "Europe/London", "england": "Europe/London", "scotland": "Europe/London",
    "wales": "Europe/London", "geneva": "Europe/Zurich",
    "st petersburg": "Europe/Moscow",
    # Asia, Oceania
    "korea": "Asia/Seoul", "hanoi": "Asia/Ho_Chi_Minh", "vietnam": "Asia/Ho_Chi_Minh",
    "islamabad": "Asia/Karachi", "wellington": "Pacific/Auckland",
    "samoa": "Pacific/Apia",  # the "Pacific/Samoa" link is American Samoa, a day behind
    # Names that are also legacy links in tzdata ("Japan", "Asia/Saigon"): the current zone.
    "montreal": "America/Toronto", "saigon": "Asia/Ho_Chi_Minh", "tel aviv": "Asia/Jerusalem",
    "kiev": ("Europe/Kyiv", "Europe/Kiev"), "kyiv": ("Europe/Kyiv", "Europe/Kiev"),
    "poland": "Europe/Warsaw", "turkey": "Europe/Istanbul", "portugal": "Europe/Lisbon",
    "iceland": "Atlantic/Reykjavik", "japan": "Asia/Tokyo", "israel": "Asia/Jerusalem",
    "iran": "Asia/Tehran", "egypt": "Africa/Cairo", "cuba": "America/Havana",
}  # fmt: skip

# Area prefixes of city zones; other names are legacy links ("US/Eastern", "Japan").
_AREAS = frozenset(
    {"Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia",
     "Europe", "Indian", "Pacific"}
)  # fmt: skip
_NOT_USER_ZONES = frozenset({"localtime", "Factory", "posixrules"})
_MAX_INPUT = 80
_FUZZY_CUTOFF = 0.8
_FUZZY_MIN_LEN = 4
# Looser, for "did you mean" hints only, and only when nothing closer was found.
_HINT_CUTOFF = 0.65


def _norm(text: str) -> str:
    """Case, accents, punctuation and underscores folded: 'São_Paulo' == 'sao paulo'."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    s = "".join(c for c in decomposed if not unicodedata.combining(c))
    s = re.sub(r"[.'’]", "", s)
    s = re.sub(r"[_\-,]", " ", s)
    s = re.sub(r"\s*/\s*", "/", s)
    return " ".join(s.split())


@cache
def _zones() -> frozenset[str]:
    """Loadable zone names, minus system oddities no user means."""
    return frozenset(available_timezones() - _NOT_USER_ZONES)


@cache
def _full_names() -> dict[str, str]:
    """Normalised full IANA name -> name ('america/new york' -> 'America/New_York')."""
    return {_norm(name): name for name in sorted(_zones())}


@cache
def _places() -> dict[str, str]:
    """Normalised zone city or alias -> zone; aliases win over zone city names."""
    places: dict[str, str] = {}
    # Shallow names first (sorted), so "America/Indianapolis"-style links do not
    # shadow each other unpredictably; any of them is a valid zone anyway.
    for name in sorted(_zones(), key=lambda n: (n.count("/"), n)):
        if name.split("/", 1)[0] in _AREAS and "/" in name:
            places.setdefault(_norm(name.rsplit("/", 1)[1]), name)
    for key, target in _ALIASES.items():
        candidates = (target,) if isinstance(target, str) else target
        for candidate in candidates:
            if candidate in _zones():
                places[key] = candidate
                break
    return places


def _exact(key: str) -> str | None:
    """Zone city, alias or full IANA name (normalised key), without guessing."""
    return _places().get(key) or _full_names().get(key)


def parse_timezone(text: str) -> str | None:
    """An IANA zone name from an IANA name, city, country, alias, UTC offset or a typo.

    In order: a UTC offset; an IANA name, zone city or alias; a place in the gazetteer in
    any of its spellings and scripts ("München", "Москва", "東京", "Portland, Oregon"),
    which gives None when the name is ambiguous ("Portland", "San José": offer
    `find_places` choices instead); the part before a comma; then a strict typo match
    ("Berln"), on zone names and on larger cities. Only names zoneinfo can load are returned.
    """
    if not text or len(text) > _MAX_INPUT:
        return None
    offset = _parse_offset(text.strip().lower())  # before _norm, which eats the "-"
    if offset:
        return offset
    key = _norm(text)
    if not key:
        return None
    found = _exact(key)
    if found:
        return found
    match = resolve_place(text, limit=1)
    if match.choices and not match.typo:
        return _loadable(match.zone)
    head = _norm(text.split(",", 1)[0])
    found = _exact(head) if head and head != key else None
    if found:
        return found
    if len(key) < _FUZZY_MIN_LEN:
        return None
    # Short keys ("est", "la") make junk like "test" look close; fuzzy only on longer ones.
    candidates = [k for k in (*_places(), *_full_names()) if len(k) >= _FUZZY_MIN_LEN]
    close = difflib.get_close_matches(key, candidates, n=1, cutoff=_FUZZY_CUTOFF)
    return _exact(close[0]) if close else _loadable(match.zone)


def _loadable(name: str | None) -> str | None:
    return name if name in _zones() else None


def suggest_timezones(text: str, limit: int = 3) -> list[str]:
    """Up to `limit` likely zones for a hint like "Did you mean ...?".

    For buttons with a place's name and country, use `find_places` instead.
    """
    if not text or len(text) > _MAX_INPUT or limit < 1:
        return []
    key = _norm(text)
    if not key:
        return []
    found: list[str] = []

    def add(name: str | None) -> None:
        name = _loadable(name)
        if name and name not in found:
            found.append(name)

    add(parse_timezone(text))
    places = _places()
    if len(key) >= 3:
        # Popular aliases first, then shorter names: "york" -> New York before longer ones.
        for place in sorted(places, key=lambda p: (p not in _ALIASES, len(p), p)):
            if place.startswith(key) or f" {key}" in place:
                add(places[place])
    for choice in find_places(text, limit=limit):
        add(choice.timezone)
    if not found:
        for close in difflib.get_close_matches(key, list(places), n=limit * 3, cutoff=_HINT_CUTOFF):
            add(places[close])
    return found[:limit]


# ----------------------------------------------------------------------- location

_finder: TimezoneFinder | None = None
_finder_lock = threading.Lock()


def _get_finder() -> TimezoneFinder:
    """Create the TimezoneFinder once, on first use: it loads sizeable data files."""
    global _finder
    if _finder is None:
        with _finder_lock:
            if _finder is None:
                from timezonefinder import TimezoneFinder

                _finder = TimezoneFinder()
    return _finder


def timezone_from_location(lat: float, lon: float) -> str | None:
    """Zone of a shared Telegram location; None at sea or for invalid coordinates.

    Uses land zones only: the Etc/GMT±N zones the finder gives over oceans are
    better replaced by asking the user.
    """
    try:
        name = _get_finder().timezone_at_land(lng=lon, lat=lat)
    except (ValueError, TypeError):
        return None
    return name if name in _zones() else None


# -------------------------------------------------------------------------- display


def _format_offset(minutes: int) -> str:
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{mins:02d}"


class ZoneFacts(NamedTuple):
    """What a view needs to show a zone in the user's language (see `describe_zone`).

    `name` is None for fixed-offset zones (Etc/GMT-2, UTC): their inverted sign would
    confuse people, so they are shown by `offset` only.
    """

    name: str | None
    offset: str  # "UTC+01:00"
    local: datetime  # the wall clock there now, for Translator.time


def zone_facts(tz: str, now_utc: datetime) -> ZoneFacts:
    if now_utc.tzinfo is None or now_utc.utcoffset() is None:
        raise ValueError("now_utc must be timezone-aware")
    local = now_utc.astimezone(zone(tz))
    offset = local.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    fixed = tz.startswith("Etc/") or tz == "UTC"
    return ZoneFacts(None if fixed else tz, _format_offset(minutes), local)


def describe_zone(tz: str, now_utc: datetime) -> str:
    """E.g. "Europe/Berlin (UTC+01:00, now 14:05)", so the user can confirm at a glance.

    English; a view in another language builds its sentence from `zone_facts`.
    Fixed-offset Etc/GMT zones are shown by offset only: their inverted sign
    ("Etc/GMT-2" is UTC+2) would confuse people.
    """
    facts = zone_facts(tz, now_utc)
    clock = facts.local.strftime("%H:%M")
    if facts.name is None:
        return f"{facts.offset} (now {clock})"
    return f"{facts.name} ({facts.offset}, now {clock})"
