"""One user lives the habit schedule for eight weeks, at the domain and view level.

Berlin, reminders at 08:00, 2027-03-01 to 2027-04-23, across the switch to summer time
on Sunday 2027-03-28: habit (two days missed) -> check-in left unanswered for three
reminders, then "less sore" -> maintenance from a Friday -> a flare-up reported from a
reminder -> the check-in again, unanswered for a week (the kinder default) -> asked again
and answered "less sore" while the six-week numbers still say "no clear improvement".

`Coach` plays the flow layer's part with only the domain and the views: it applies
transitions at the start of each local day, picks lines with `say`, and renders them.
Every reminder, session end and /progress text is recorded and checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from bot.domain import phases as ph
from bot.domain.phases import DayKind, Event, Phase, PhaseState, Say
from bot.domain.schedule import local_today, next_reminder_at, resolve_local
from bot.domain.symptoms import six_week_notice_due, six_weeks
from bot.i18n import Translator
from bot.views import safety as safety_view
from bot.views.phases import PhaseFacts, has_checkin_buttons, render

TZ = "Europe/Berlin"
AT = time(8, 0)
EN = Translator("en")
MON_WED_FRI_SUN = (0, 2, 4, 6)
START = date(2027, 3, 1)
DST_DAY = date(2027, 3, 28)


@dataclass
class Coach:
    state: PhaseState = field(default_factory=lambda: PhaseState(Phase.HABIT, START))
    habit_start: date = START
    practice: set[date] = field(default_factory=set)
    skipped: set[date] = field(default_factory=set)
    ratings: list[tuple[date, int]] = field(default_factory=list)
    six_week_sent: bool = False
    log: list[tuple[date, str, str, bool]] = field(default_factory=list)  # day, kind, text, buttons

    # -- values ---------------------------------------------------------------------
    def counted(self, today: date) -> int:
        return sum(1 for d in self.practice if self.habit_start <= d <= today)

    def facts(self, today: date) -> PhaseFacts:
        done = today in self.practice
        week = weeks = None
        if self.state.phase is Phase.MAINTENANCE:
            week = ph.week_progress(self.state, MON_WED_FRI_SUN, self.practice, today)
            weeks = ph.weeks_on_target(self.state, MON_WED_FRI_SUN, self.practice, today)
        return PhaseFacts(
            day=ph.habit_day_number(self.counted(today), done),
            counted=self.counted(today),
            week=week,
            weeks_on_target=weeks,
            checkin_on=self.state.checkin_on,
            next_day=ph.next_practice_day(self.state, MON_WED_FRI_SUN, today),
            weekdays=MON_WED_FRI_SUN,
            six_weeks=six_weeks(self.ratings),
        )

    def kind(self, today: date) -> DayKind:
        return ph.day_kind(self.state, MON_WED_FRI_SUN, today, today in self.practice, today in self.skipped)

    def not_improved(self) -> bool:
        result = six_weeks(self.ratings)
        return result is not None and not result.improved

    def say(self, today: date, kind: str, text: str, buttons: bool = False) -> None:
        self.log.append((today, kind, text, buttons))

    # -- moments ----------------------------------------------------------------------
    def reminder_time(self, today: date) -> datetime:
        """The dispatcher's side: the 08:00 instant of the local day and the local date back."""
        instant = resolve_local(today, AT, TZ)
        assert local_today(instant, TZ) == today
        assert instant.astimezone(UTC).hour == (7 if today < DST_DAY else 6)
        return instant

    def day_starts(self, today: date) -> str | None:
        """The reminder run: apply the day's transition, then send what `say` chooses."""
        self.reminder_time(today)
        t = ph.apply(self.state, Event.DAY_START, today)
        if t is not None:
            self.state = t.new
        lines = ph.say(self.state.phase, self.kind(today), Say.REMINDER, transition=t)
        if not lines:
            return None
        text = render(EN, lines, self.facts(today))
        self.say(today, "reminder", text, has_checkin_buttons(lines))
        return text

    def session(self, today: date, before: int, after: int) -> str:
        kind = self.kind(today)
        self.practice.add(today)
        self.ratings.append((today, before))
        facts = self.facts(today)  # the habit day just counted, this week with today
        t = None
        if self.state.phase is Phase.HABIT:
            t = ph.apply(self.state, Event.PRACTICE_COUNTED, today, counted_days=self.counted(today))
            if t is not None:
                self.state = t.new
        lines = ph.say(self.state.phase, kind, Say.SESSION_END_COUNTED, transition=t)
        text = render(EN, lines, facts)
        if six_week_notice_due(self.ratings, self.six_week_sent):
            result = six_weeks(self.ratings)
            assert result is not None
            text += "\n\n" + safety_view.six_week_advice(EN, result)
            self.six_week_sent = True
        self.say(today, "session end", text, has_checkin_buttons(lines))
        return text

    def progress(self, today: date) -> str:
        never = not self.practice
        lines = [ph.progress_header(self.state.phase)]
        six = ph.six_week_line(self.state.phase, self.not_improved())
        if six is not None:
            lines.append(six)
        lines += ph.say(self.state.phase, self.kind(today), Say.PROGRESS, never_practised=never)
        text = render(EN, lines, self.facts(today))
        self.say(today, "progress", text, has_checkin_buttons(lines))
        return text

    def checkin(self, today: date, less_sore: bool) -> str:
        t = ph.apply(self.state, Event.LESS_SORE if less_sore else Event.STILL_SORE, today)
        assert t is not None
        self.state = t.new
        not_improved = self.not_improved()
        lines = ph.checkin_answer_lines(t, not_improved)
        if not_improved:
            self.six_week_sent = True  # said in the same message, so not again unprompted
        text = render(EN, lines, self.facts(today))
        self.say(today, "check-in answer", text)
        return text

    def flare(self, today: date) -> str:
        t = ph.apply(self.state, Event.FLARE_REPORTED, today)
        assert t is not None and t.reason is ph.Reason.FLARE_REPORTED  # taken at once, no question
        self.state = t.new
        text = render(EN, [ph.announcement(t.reason)], self.facts(today))
        self.say(today, "flare", text)
        return text

    def skip(self, today: date) -> None:
        self.skipped.add(today)


def d(month: int, day: int) -> date:
    return date(2027, month, day)


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


PAIN = 6  # before every session: the start, and where it stays within a point
CHECKIN_Q = "Does your low back feel less sore than when you started?"


def test_reminder_instants_follow_the_local_clock_across_the_switch() -> None:
    """The zone-aware part: 08:00 local is 07:00 UTC before the switch, 06:00 after, and
    the next reminder after Saturday's is Sunday's, on the day the clocks go forward."""
    sat = resolve_local(d(3, 27), AT, TZ)
    sun = next_reminder_at(sat, TZ, AT)
    assert (sat.astimezone(UTC).hour, sun.astimezone(UTC).hour) == (7, 6)
    assert local_today(sun, TZ) == DST_DAY
    assert sun - sat == timedelta(hours=23)  # a local day shorter by an hour is still one day
    late_sat = datetime(2027, 3, 27, 22, 30, tzinfo=UTC)  # 23:30 in Berlin, still Saturday
    assert local_today(late_sat, TZ) == d(3, 27)
    assert local_today(late_sat + timedelta(hours=1), TZ) == DST_DAY


def test_eight_weeks_of_one_user() -> None:
    c = Coach()
    assert c.progress(d(3, 1)).endswith("Next step: send /stretch for your first session.")

    # --- Habit: 21 counted days over 23, one skipped and one simply missed. ---------
    for today in days(d(3, 1), d(3, 22)):
        counted = c.counted(today)
        reminder = c.day_starts(today)
        assert reminder == f"Time to stretch 🧘 Day {counted + 1} of 21. About 15 minutes on your mat."
        if today == d(3, 5):
            c.skip(today)
            assert c.progress(today).endswith("You're taking today off, and that's fine. Pick up tomorrow.")
            continue
        if today == d(3, 10):
            continue  # no answer at all: tomorrow's reminder is the same day number, no scolding
        end = c.session(today, PAIN, PAIN - 1)
        assert end == f"Day {counted + 1} of 21 done. 🎉"
    assert c.counted(d(3, 22)) == 20
    assert c.progress(d(3, 22)) == (
        "🌱 Building the habit: day 20 of 21 (20 days counted so far).\n\n"
        "Today is done. Rest well, and see you tomorrow."
    )
    assert c.day_starts(d(3, 23)) == "Time to stretch 🧘 Day 21 of 21. About 15 minutes on your mat."
    assert c.session(d(3, 23), PAIN, PAIN - 1) == (
        "Day 21 of 21 done. 🎉\n\nThat's 21 days of stretching: the habit is yours. 🎉\n\n" + CHECKIN_Q
    )
    assert c.log[-1][3] is True  # the question comes with its buttons
    assert c.state == PhaseState(Phase.CHECKIN, d(3, 23))

    # --- Check-in: asked with three reminders, left unanswered; /progress offers it. ---
    for today in (d(3, 24), d(3, 25), d(3, 26)):
        assert c.day_starts(today) == (
            "Time for today's stretches 🧘 About 15 minutes on your mat.\n\n" + CHECKIN_Q
        )
        assert c.log[-1][3] is True
        end = c.session(today, PAIN, PAIN - 1)
        assert end == "Done for today. Well done.\n\n" + CHECKIN_Q  # no "counts towards your habit"
    assert c.progress(d(3, 25)) == (
        "🌱 Habit phase complete: 21 days. One question is waiting for you below.\n\n"
        "Today is done. Rest well, and see you tomorrow.\n\n" + CHECKIN_Q
    )
    assert c.log[-1][3] is True

    # --- "Less sore" on Friday 26 March: maintenance from a mid-week start. -----------
    assert c.checkin(d(3, 26), less_sore=True) == (
        "Glad to hear it. From now on, a few sessions a week keep your back in good shape: "
        "Monday, Wednesday, Friday, and Sunday. You can change the days in /settings. "
        "This week counts from today: 2 sessions to aim for."
    )
    assert c.state == PhaseState(Phase.MAINTENANCE, d(3, 26))
    # Saturday is a rest day: no reminder, and /progress says when the next one is.
    assert c.day_starts(d(3, 27)) is None
    assert c.progress(d(3, 27)) == (
        "🌳 Maintenance since Mar 26, 2027. This first week counts from then: 1 of 2 sessions.\n\n"
        "Today is a rest day. Your next stretch day is Sunday."
    )  # the daily-phase sessions of Mon-Thu do not count here
    # Sunday: the clocks go forward; the reminder is still at 08:00 local, and still one.
    assert c.day_starts(DST_DAY) == (
        "It's one of your stretch days 🧘 Your first maintenance week counts from Friday: 1 of 2 so far."
    )
    assert c.session(DST_DAY, PAIN, PAIN - 1) == "Done. That's 2 of 2 this week: target met. 🎉"
    # A full week from Monday.
    assert c.day_starts(d(3, 29)) == "It's one of your stretch days 🧘 This week: 0 of 4 so far."
    assert c.session(d(3, 29), PAIN, PAIN - 1) == "Done. This week: 1 of 4."
    assert c.day_starts(d(3, 30)) is None
    assert c.day_starts(d(3, 31)) == "It's one of your stretch days 🧘 This week: 1 of 4 so far."
    assert c.session(d(3, 31), PAIN, PAIN - 1) == "Done. This week: 2 of 4."
    assert c.day_starts(d(4, 1)) is None
    assert c.progress(d(4, 1)) == (
        "🌳 Maintenance: 2 of 4 sessions this week; 1 week in a row on target.\n\n"
        "Today is a rest day. Your next stretch day is Friday."
    )

    # --- Friday 2 April: the reminder comes, the user presses "flare-up": taken at once. -
    assert c.day_starts(d(4, 2)) == "It's one of your stretch days 🧘 This week: 2 of 4 so far."
    assert c.flare(d(4, 2)) == (
        "Sorry your back is flaring up. Back to daily stretching for now: go gently, skip "
        "anything that hurts, and I'll check in with you on Apr 9, 2027."
    )
    assert c.session(d(4, 2), PAIN + 1, PAIN) == (
        "Done for today, gently. Well done for keeping moving while your back settles."
    )
    flare_reminder = (
        "Time for a gentle session 🧘 While your back settles, shorter holds are fine, and "
        "you can skip anything that hurts."
    )
    for today in days(d(4, 3), d(4, 8)):  # daily again, rest days included
        assert c.day_starts(today) == flare_reminder
        if today == d(4, 4):
            c.skip(today)
            assert c.progress(today) == (
                "🌿 Daily, gentle practice after a flare-up. I'll check in with you on Apr 9, 2027.\n\n"
                "You're taking today off, and that's fine. Pick up tomorrow."
            )
            continue
        c.session(today, PAIN, PAIN - 1)
    assert c.progress(d(4, 5)).startswith("🌿 Daily, gentle practice after a flare-up.")

    # --- A week after the flare-up: the check-in again, with the reminder. --------------
    assert c.day_starts(d(4, 9)) == (
        "It's been a week of daily stretching: time for a quick check-in.\n\n"
        "Time for today's stretches 🧘 About 15 minutes on your mat.\n\n" + CHECKIN_Q
    )
    assert c.state == PhaseState(Phase.CHECKIN, d(4, 9))
    for today in days(d(4, 10), d(4, 15)):  # unanswered: every reminder carries it
        assert (
            c.day_starts(today)
            == "Time for today's stretches 🧘 About 15 minutes on your mat.\n\n" + CHECKIN_Q
        )
        end = c.session(today, PAIN, PAIN - 1)
        if today == d(4, 12):
            # Six weeks of practice (1 March to 12 April), pain 6 then 6: told once, unprompted.
            assert end == (
                "Done for today. Well done.\n\n" + CHECKIN_Q + "\n\n"
                "You've been practising for about six weeks, and your pain hasn't come down much "
                "yet (6 at the start, around 6 lately). It could be worth seeing a doctor or "
                "physiotherapist to check what else might help. Meanwhile, you can keep "
                "stretching if it feels fine."
            )
        else:
            assert end == "Done for today. Well done.\n\n" + CHECKIN_Q
    assert c.progress(d(4, 13)) == (
        "🌱 Habit phase complete: 21 days. One question is waiting for you below.\n\n"
        "You've been practising for about six weeks, and your pain hasn't come down much yet "
        "(6 at the start, around 6 lately). It could be worth seeing a doctor or physiotherapist "
        "to check what else might help. Meanwhile, you can keep stretching if it feels fine.\n\n"
        "Today is done. Rest well, and see you tomorrow.\n\n" + CHECKIN_Q
    )

    # --- A week unanswered: the kinder default, said with the reminder. ----------------------
    assert c.day_starts(d(4, 16)) == (
        "No answer to the check-in yet, and that's fine. I'll keep your stretches daily for now "
        "and ask again on Apr 23, 2027. If you'd like to answer sooner, the buttons above still work.\n\n"
        "Time for today's stretches 🧘 Gently does it; I'll ask how your back feels on Apr 23, 2027."
    )
    assert c.state == PhaseState(Phase.DAILY, d(4, 16), d(4, 23))
    for today in days(d(4, 16), d(4, 22)):
        if today != d(4, 16):
            assert c.day_starts(today) == (
                "Time for today's stretches 🧘 Gently does it; I'll ask how your back feels on Apr 23, 2027."
            )
        assert c.session(today, PAIN, PAIN - 1) == (
            "Done for today. Thank you for keeping at it while your back is sore."
        )

    # --- Asked again, and "less sore" while the numbers still say otherwise: one message. -
    assert c.day_starts(d(4, 23)).endswith(CHECKIN_Q)  # type: ignore[union-attr]
    c.session(d(4, 23), PAIN, PAIN - 1)
    assert c.checkin(d(4, 23), less_sore=True) == (
        "Glad to hear it. From now on, a few sessions a week keep your back in good shape: "
        "Monday, Wednesday, Friday, and Sunday. You can change the days in /settings. "
        "This week counts from today: 2 sessions to aim for.\n\n"
        "One suggestion all the same: your pain ratings haven't come down much over about six "
        "weeks (6 at the start, around 6 lately), so a doctor or physiotherapist could still "
        "be worth seeing, to check what else might help."
    )
    assert c.progress(d(4, 23)) == (
        "🌳 Maintenance since Apr 23, 2027. This first week counts from then: 1 of 2 sessions.\n\n"
        "You've told me your back feels less sore, which is good to hear. Your pain ratings "
        "haven't come down much over about six weeks, though (6 at the start, around 6 lately), "
        "so a doctor or physiotherapist could still be worth seeing, to check what else might help.\n\n"
        "Today is done. Your next stretch day is Sunday."
    )

    # --- Across the whole journey. --------------------------------------------------------
    reminders = [(day, text) for day, kind, text, _ in c.log if kind == "reminder"]
    reminder_days = [day for day, _ in reminders]
    assert len(reminder_days) == len(set(reminder_days))  # never two in a day, DST included
    assert DST_DAY in reminder_days
    six_week = [text for *_, text, _ in c.log if "about six weeks" in text]
    unprompted = [t for day, kind, t, _ in c.log if kind == "session end" and "about six weeks" in t]
    assert len(unprompted) == 1 and len(six_week) >= 3
    for day, _kind, text, _ in c.log:
        assert "Day " not in text or day <= d(3, 23), (day, text)  # habit words only in the habit
        assert "{" not in text
