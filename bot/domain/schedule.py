"""When the next reminder fires, computed on the user's local wall clock.

Reminders are stored as a wall-clock time ("08:00") plus an IANA zone, never as
a UTC time, so an 08:00 reminder stays 08:00 across DST switches and follows the
user when they change zone. Everything crossing this module's boundary is an
aware UTC datetime; naive datetimes are rejected because guessing their zone is
exactly the bug this module exists to prevent.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "end_of_local_day",
    "local_date_of",
    "local_today",
    "next_reminder_at",
    "resolve_local",
    "start_of_local_day",
    "zone",
]

# How far ahead next_reminder_at looks; any allowed weekday recurs within a week,
# the slack covers days that do not exist at all (e.g. Samoa skipped 2011-12-30).
_SEARCH_DAYS = 15
_ALL_WEEKDAYS = frozenset(range(7))


def zone(tz: str) -> ZoneInfo:
    """Load an IANA zone, turning "unknown zone" into ValueError so callers catch one type."""
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise ValueError(f"unknown time zone: {tz!r}") from exc


def _as_utc(instant: datetime, name: str = "datetime") -> datetime:
    """Normalise an aware datetime to UTC; a naive one is a caller bug, so refuse it."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (UTC), got naive {instant!r}")
    return instant.astimezone(UTC)


def local_date_of(instant_utc: datetime, tz: str) -> date:
    """The user's calendar date at an instant: days, streaks and 'today' are all local."""
    return _as_utc(instant_utc, "instant_utc").astimezone(zone(tz)).date()


def local_today(now_utc: datetime, tz: str) -> date:
    """Today's date where the user is (same as local_date_of, named for readability)."""
    return local_date_of(now_utc, tz)


def _ceil_minute(instant: datetime) -> datetime:
    """Round up to a whole minute (historic LMT transitions fall on odd seconds)."""
    if instant.second or instant.microsecond:
        instant = instant.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return instant


def _gap_end(naive: datetime, tz: ZoneInfo) -> datetime:
    """UTC instant where the spring-forward gap containing `naive` ends.

    In a gap, fold=0 and fold=1 map to two UTC instants that bracket the
    transition; bisect between them for the first instant with the new offset.
    """
    a = int(naive.replace(tzinfo=tz, fold=0).timestamp())
    b = int(naive.replace(tzinfo=tz, fold=1).timestamp())
    lo, hi = min(a, b), max(a, b)  # whole seconds: transitions fall on whole seconds

    def offset(ts: int) -> timedelta | None:
        return datetime.fromtimestamp(ts, UTC).astimezone(tz).utcoffset()

    target = offset(hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if offset(mid) == target:
            hi = mid
        else:
            lo = mid
    return _ceil_minute(datetime.fromtimestamp(hi, UTC))


def resolve_local(day: date, at: time, tz: str) -> datetime:
    """UTC instant of wall-clock `at` on `day` in `tz`.

    A time skipped by a spring-forward gap moves to the first valid minute after
    the gap (Berlin 02:30 -> 03:00), so the reminder still fires that day; an
    ambiguous fall-back time uses its first occurrence (fold=0) so it fires once.
    """
    if at.tzinfo is not None:
        raise ValueError("`at` is a wall-clock time and must be naive")
    z = zone(tz)
    naive = datetime.combine(day, at)
    first = naive.replace(tzinfo=z, fold=0)
    instant = first.astimezone(UTC)
    if instant.astimezone(z).replace(tzinfo=None) == naive:
        return instant
    return _gap_end(naive, z)


def start_of_local_day(day: date, tz: str) -> datetime:
    """UTC instant of local midnight starting `day` (first valid minute if midnight is skipped)."""
    return resolve_local(day, time(0, 0), tz)


def end_of_local_day(day: date, tz: str) -> datetime:
    """UTC instant of the next local midnight, i.e. when 'today' stops counting.

    Computed from the next day's wall clock rather than adding 24 h, because DST
    days are 23 or 25 hours long.
    """
    return start_of_local_day(day + timedelta(days=1), tz)


def _check_weekdays(weekdays: frozenset[int] | None) -> frozenset[int]:
    """An empty or out-of-range weekday set would never fire, so it is a caller bug."""
    if weekdays is None:
        return _ALL_WEEKDAYS
    if not weekdays or not weekdays <= _ALL_WEEKDAYS:
        raise ValueError(f"weekdays must be a non-empty subset of 0..6, got {set(weekdays)}")
    return weekdays


def next_reminder_at(
    after_utc: datetime,
    tz: str,
    at: time,
    weekdays: frozenset[int] | None = None,
    not_before_day: date | None = None,
) -> datetime:
    """First reminder instant strictly after `after_utc`.

    Only local dates whose weekday (Mon=0..Sun=6) is in `weekdays` (None = every
    day) and, when given, that are on or after `not_before_day` ("skip today"
    passes tomorrow). Each local day yields at most one instant: its fold=0
    resolution, so a fall-back repeat of the time is never returned, and a day
    that does not exist locally is skipped rather than firing twice the next day.
    """
    after = _as_utc(after_utc, "after_utc")
    allowed = _check_weekdays(weekdays)
    # Start a day early: a gap-shifted time can land after local midnight.
    start = local_date_of(after, tz) - timedelta(days=1)
    if not_before_day is not None and not_before_day > start:
        start = not_before_day
    for offset in range(_SEARCH_DAYS):
        day = start + timedelta(days=offset)
        if day.weekday() not in allowed:
            continue
        instant = resolve_local(day, at, tz)
        if instant <= after or local_date_of(instant, tz) != day:
            continue
        return instant
    raise RuntimeError(f"no reminder found within {_SEARCH_DAYS} days")  # pragma: no cover
