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
from typing import TYPE_CHECKING
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
]

# --------------------------------------------------------------------------- time

_TIME_RE = re.compile(
    r"""^(?P<h>\d{1,2})
        (?:(?:[:.h]\s*)(?P<m>\d{2})?)?      # 7:30, 19.30, 19h30, 19h
        \s*(?P<ampm>a\.?m\.?|p\.?m\.?)?$""",
    re.VERBOSE,
)
_COMPACT_RE = re.compile(r"^(?P<h>\d{1,2})(?P<m>\d{2})\s*(?P<ampm>a\.?m\.?|p\.?m\.?)?$")  # 0730
_WORDS = {"noon": time(12, 0), "midday": time(12, 0), "midnight": time(0, 0)}


def parse_time(text: str) -> time | None:
    """A reminder time from "7", "07:00", "19.30", "7am", "7:15 pm", "0730"...

    12am is midnight and 12pm noon; 24:00, 25:61, 13pm and words other than
    noon/midnight give None so the bot can ask again.
    """
    s = " ".join(text.strip().lower().split())
    if s in _WORDS:
        return _WORDS[s]
    match = _TIME_RE.match(s) or _COMPACT_RE.match(s)
    if match is None:
        return None
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


def describe_zone(tz: str, now_utc: datetime) -> str:
    """E.g. "Europe/Berlin (UTC+01:00, now 14:05)", so the user can confirm at a glance.

    Fixed-offset Etc/GMT zones are shown by offset only: their inverted sign
    ("Etc/GMT-2" is UTC+2) would confuse people.
    """
    if now_utc.tzinfo is None or now_utc.utcoffset() is None:
        raise ValueError("now_utc must be timezone-aware")
    local = now_utc.astimezone(zone(tz))
    offset = local.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    clock = local.strftime("%H:%M")
    if tz.startswith("Etc/") or tz == "UTC":
        return f"{_format_offset(minutes)} (now {clock})"
    return f"{tz} ({_format_offset(minutes)}, now {clock})"
