"""Reminder instants across DST switches, odd offsets and zone changes."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from bot.domain.schedule import (
    end_of_local_day,
    local_date_of,
    local_today,
    next_reminder_at,
    resolve_local,
    start_of_local_day,
)

BERLIN = "Europe/Berlin"
NEW_YORK = "America/New_York"
ADELAIDE = "Australia/Adelaide"
KOLKATA = "Asia/Kolkata"
LORD_HOWE = "Australia/Lord_Howe"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local(instant: datetime, tz: str) -> datetime:
    return instant.astimezone(ZoneInfo(tz))


def run(tz: str, at: time, start: datetime, days: int = 7, **kw: object) -> list[datetime]:
    """Chain next_reminder_at the way the scheduler does: each fire schedules the next."""
    out: list[datetime] = []
    after = start
    for _ in range(days):
        after = next_reminder_at(after, tz, at, **kw)  # type: ignore[arg-type]
        out.append(after)
    return out


def assert_once_per_day(instants: list[datetime], tz: str) -> None:
    dates = [local_date_of(i, tz) for i in instants]
    assert all(c == 1 for c in Counter(dates).values()), dates
    assert dates == sorted(dates)
    assert all(b - a == timedelta(days=1) for a, b in pairwise(dates))


# --- 08:00 stays 08:00 across each switch ----------------------------------


@pytest.mark.parametrize(
    ("tz", "start"),
    [
        (BERLIN, utc(2026, 3, 26, 12)),  # spring forward 2026-03-29
        (BERLIN, utc(2026, 10, 22, 12)),  # fall back 2026-10-25
        (NEW_YORK, utc(2026, 3, 5, 18)),  # spring forward 2026-03-08
        (NEW_YORK, utc(2026, 10, 29, 18)),  # fall back 2026-11-01
        (ADELAIDE, utc(2026, 4, 2, 5)),  # +10:30 -> +09:30 on 2026-04-05
        (ADELAIDE, utc(2026, 10, 1, 5)),  # +09:30 -> +10:30 on 2026-10-04
        (LORD_HOWE, utc(2026, 4, 2, 5)),  # 30-minute shift back on 2026-04-05
        (LORD_HOWE, utc(2026, 10, 1, 5)),  # 30-minute shift forward on 2026-10-04
        (KOLKATA, utc(2026, 3, 26, 12)),  # +05:30, no DST
    ],
)
def test_eight_oclock_stays_eight_oclock(tz: str, start: datetime) -> None:
    fires = run(tz, time(8, 0), start)
    assert {local(f, tz).time() for f in fires} == {time(8, 0)}
    assert_once_per_day(fires, tz)
    assert all(f.tzinfo is UTC for f in fires)


def test_berlin_utc_time_shifts_by_an_hour_over_spring_switch() -> None:
    before = resolve_local(date(2026, 3, 28), time(8), BERLIN)
    after = resolve_local(date(2026, 3, 29), time(8), BERLIN)
    assert before == utc(2026, 3, 28, 7)
    assert after == utc(2026, 3, 29, 6)


def test_half_hour_offsets() -> None:
    assert resolve_local(date(2026, 6, 1), time(8), KOLKATA) == utc(2026, 6, 1, 2, 30)
    # Adelaide 08:00 is 22:30 UTC the day before in winter, 21:30 in summer.
    assert resolve_local(date(2026, 6, 1), time(8), ADELAIDE) == utc(2026, 5, 31, 22, 30)
    assert resolve_local(date(2026, 12, 1), time(8), ADELAIDE) == utc(2026, 11, 30, 21, 30)
    # Lord Howe: +10:30 standard, +11:00 summer.
    assert resolve_local(date(2026, 6, 1), time(8), LORD_HOWE) == utc(2026, 5, 31, 21, 30)
    assert resolve_local(date(2026, 12, 1), time(8), LORD_HOWE) == utc(2026, 11, 30, 21)


# --- spring-forward gap: the time moves to the next valid minute --------------


@pytest.mark.parametrize(
    ("tz", "day", "at", "expected_local"),
    [
        (BERLIN, date(2026, 3, 29), time(2, 30), time(3, 0)),
        (BERLIN, date(2026, 3, 29), time(2, 0), time(3, 0)),
        (BERLIN, date(2026, 3, 29), time(2, 59), time(3, 0)),
        (NEW_YORK, date(2026, 3, 8), time(2, 15), time(3, 0)),
        (LORD_HOWE, date(2026, 10, 4), time(2, 10), time(2, 30)),
        (ADELAIDE, date(2026, 10, 4), time(2, 30), time(3, 0)),
    ],
)
def test_gap_moves_to_next_valid_minute(tz: str, day: date, at: time, expected_local: time) -> None:
    instant = resolve_local(day, at, tz)
    assert local(instant, tz).time() == expected_local
    assert local(instant, tz).date() == day


def test_gap_exact_instant_berlin() -> None:
    assert resolve_local(date(2026, 3, 29), time(2, 30), BERLIN) == utc(2026, 3, 29, 1)


def test_gap_time_fires_every_day_of_the_week() -> None:
    fires = run(BERLIN, time(2, 30), utc(2026, 3, 26, 12))
    assert_once_per_day(fires, BERLIN)
    times = {local_date_of(f, BERLIN): local(f, BERLIN).time() for f in fires}
    assert times[date(2026, 3, 29)] == time(3, 0)
    assert times[date(2026, 3, 30)] == time(2, 30)


def test_time_just_after_gap_is_unchanged() -> None:
    instant = resolve_local(date(2026, 3, 29), time(3, 0), BERLIN)
    assert instant == utc(2026, 3, 29, 1)


# --- fall-back ambiguity: the time fires once, at its first occurrence --------


@pytest.mark.parametrize(
    ("tz", "day", "at", "first_utc"),
    [
        (BERLIN, date(2026, 10, 25), time(2, 30), utc(2026, 10, 25, 0, 30)),
        (NEW_YORK, date(2026, 11, 1), time(1, 30), utc(2026, 11, 1, 5, 30)),
        (LORD_HOWE, date(2026, 4, 5), time(1, 45), utc(2026, 4, 4, 14, 45)),
        (ADELAIDE, date(2026, 4, 5), time(2, 30), utc(2026, 4, 4, 16, 0)),
    ],
)
def test_ambiguous_time_resolves_to_first_occurrence(
    tz: str, day: date, at: time, first_utc: datetime
) -> None:
    assert resolve_local(day, at, tz) == first_utc


@pytest.mark.parametrize(
    ("tz", "at", "start"),
    [
        (BERLIN, time(2, 30), utc(2026, 10, 22, 12)),
        (NEW_YORK, time(1, 30), utc(2026, 10, 29, 12)),
        (LORD_HOWE, time(1, 45), utc(2026, 4, 1, 12)),
        (ADELAIDE, time(2, 30), utc(2026, 4, 1, 12)),
    ],
)
def test_ambiguous_time_fires_once_over_a_week(tz: str, at: time, start: datetime) -> None:
    fires = run(tz, at, start)
    assert_once_per_day(fires, tz)
    assert {local(f, tz).time() for f in fires} == {at}


def test_second_occurrence_is_never_returned() -> None:
    first = utc(2026, 10, 25, 0, 30)  # 02:30 CEST
    second = utc(2026, 10, 25, 1, 30)  # 02:30 CET, the repeat
    next_day = utc(2026, 10, 26, 1, 30)
    assert next_reminder_at(first, BERLIN, time(2, 30)) == next_day
    # Waking up between the two occurrences (e.g. after a restart) skips the repeat.
    assert next_reminder_at(utc(2026, 10, 25, 1, 0), BERLIN, time(2, 30)) == next_day
    assert next_reminder_at(second, BERLIN, time(2, 30)) == next_day


# --- next_reminder_at rules -----------------------------------------------------


def test_strictly_after() -> None:
    eight = utc(2026, 6, 1, 6)  # 08:00 CEST
    assert next_reminder_at(eight - timedelta(seconds=1), BERLIN, time(8)) == eight
    assert next_reminder_at(eight, BERLIN, time(8)) == eight + timedelta(days=1)


def test_later_today_if_not_yet_passed() -> None:
    assert next_reminder_at(utc(2026, 6, 1, 5), BERLIN, time(20)) == utc(2026, 6, 1, 18)


def test_weekdays_filter() -> None:
    tuesday = utc(2026, 6, 2, 12)  # 2026-06-02 is a Tuesday
    mwf = frozenset({0, 2, 4})
    fires = run(BERLIN, time(8), tuesday, days=4, weekdays=mwf)
    assert [local_date_of(f, BERLIN).weekday() for f in fires] == [2, 4, 0, 2]
    assert local_date_of(fires[0], BERLIN) == date(2026, 6, 3)


def test_weekdays_are_local_weekdays() -> None:
    # Sunday 23:30 UTC is already Monday 05:00 in Kolkata.
    sunday_night = utc(2026, 6, 7, 23, 30)
    fire = next_reminder_at(sunday_night, KOLKATA, time(8), weekdays=frozenset({0}))
    assert local(fire, KOLKATA) == datetime(2026, 6, 8, 8, tzinfo=ZoneInfo(KOLKATA))


def test_weekdays_across_dst_switch() -> None:
    fires = run(BERLIN, time(8), utc(2026, 3, 20), days=3, weekdays=frozenset({6}))
    assert [local(f, BERLIN).time() for f in fires] == [time(8)] * 3
    assert [local_date_of(f, BERLIN) for f in fires] == [
        date(2026, 3, 22),
        date(2026, 3, 29),
        date(2026, 4, 5),
    ]


def test_not_before_day_skips_today() -> None:
    morning = utc(2026, 6, 1, 4)  # 06:00 in Berlin, before the 08:00 reminder
    assert next_reminder_at(morning, BERLIN, time(8)) == utc(2026, 6, 1, 6)
    tomorrow = date(2026, 6, 2)
    fire = next_reminder_at(morning, BERLIN, time(8), not_before_day=tomorrow)
    assert fire == utc(2026, 6, 2, 6)


def test_not_before_day_with_weekdays() -> None:
    monday_morning = utc(2026, 6, 1, 4)
    fire = next_reminder_at(
        monday_morning,
        BERLIN,
        time(8),
        weekdays=frozenset({0, 3}),
        not_before_day=date(2026, 6, 2),
    )
    assert local_date_of(fire, BERLIN) == date(2026, 6, 4)  # Thursday


def test_not_before_day_far_ahead() -> None:
    fire = next_reminder_at(utc(2026, 1, 1), BERLIN, time(8), not_before_day=date(2026, 7, 1))
    assert fire == utc(2026, 7, 1, 6)


def test_zone_change_recomputes_in_new_zone() -> None:
    now = utc(2026, 6, 1, 12)  # Berlin 14:00, New York 08:00
    in_berlin = next_reminder_at(now, BERLIN, time(8))
    assert in_berlin == utc(2026, 6, 2, 6)
    # The user flies to New York and updates their zone: still 08:00, their new local time.
    in_new_york = next_reminder_at(now, NEW_YORK, time(8))
    assert local(in_new_york, NEW_YORK) == datetime(2026, 6, 2, 8, tzinfo=ZoneInfo(NEW_YORK))
    assert in_new_york == utc(2026, 6, 2, 12)


def test_skipped_local_day_has_no_reminder() -> None:
    # Samoa jumped from 2011-12-29 straight to 2011-12-31.
    fires = run("Pacific/Apia", time(8), utc(2011, 12, 28), days=3)
    dates = [local_date_of(f, "Pacific/Apia") for f in fires]
    assert dates == [date(2011, 12, 28), date(2011, 12, 29), date(2011, 12, 31)]
    assert_once_per_day(fires[:2], "Pacific/Apia")


# --- local dates and day boundaries ----------------------------------------------


def test_local_today_across_midnight() -> None:
    late = utc(2026, 3, 28, 23, 30)
    assert local_today(late, BERLIN) == date(2026, 3, 29)
    assert local_today(late, NEW_YORK) == date(2026, 3, 28)
    assert local_date_of(late, "UTC") == date(2026, 3, 28)


def test_local_today_accepts_other_aware_zones() -> None:
    aware = datetime(2026, 6, 1, 1, tzinfo=ZoneInfo(BERLIN))  # 2026-05-31 23:00 UTC
    assert local_today(aware, "UTC") == date(2026, 5, 31)


@pytest.mark.parametrize(
    ("day", "end", "hours"),
    [
        (date(2026, 3, 28), utc(2026, 3, 28, 23), 24),
        (date(2026, 3, 29), utc(2026, 3, 29, 22), 23),
        (date(2026, 10, 25), utc(2026, 10, 25, 23), 25),
    ],
)
def test_end_of_local_day_is_dst_safe(day: date, end: datetime, hours: int) -> None:
    assert end_of_local_day(day, BERLIN) == end
    assert end - start_of_local_day(day, BERLIN) == timedelta(hours=hours)


def test_end_of_local_day_when_midnight_is_skipped() -> None:
    # Havana springs forward at midnight: 2026-03-08 starts at 01:00.
    end = end_of_local_day(date(2026, 3, 7), "America/Havana")
    assert local(end, "America/Havana") == datetime(2026, 3, 8, 1, tzinfo=ZoneInfo("America/Havana"))


# --- bad input -----------------------------------------------------------------------


def test_naive_datetimes_are_rejected() -> None:
    naive = datetime(2026, 6, 1, 12)
    with pytest.raises(ValueError, match="aware"):
        next_reminder_at(naive, BERLIN, time(8))
    with pytest.raises(ValueError):
        local_today(naive, BERLIN)
    with pytest.raises(ValueError):
        local_date_of(naive, BERLIN)


def test_aware_wall_clock_time_is_rejected() -> None:
    with pytest.raises(ValueError):
        resolve_local(date(2026, 6, 1), time(8, tzinfo=UTC), BERLIN)


def test_unknown_zone_is_value_error() -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        next_reminder_at(utc(2026, 6, 1), "Mars/Olympus_Mons", time(8))
    with pytest.raises(ValueError):
        local_today(utc(2026, 6, 1), "")


@pytest.mark.parametrize("weekdays", [frozenset(), frozenset({7}), frozenset({-1, 2})])
def test_bad_weekdays_rejected(weekdays: frozenset[int]) -> None:
    with pytest.raises(ValueError):
        next_reminder_at(utc(2026, 6, 1), BERLIN, time(8), weekdays=weekdays)
