"""The guided session as a state machine: pain before, each exercise and side, pain after.

The session row holds the stage and step. Every move is a compare-and-set on
(session, step, stage) that the table below allows, so a double tap, a stale button, a
timer that fires late or a second process moves the session once and records each result
once (results also carry a unique key). Everything else here composes what the person
sees on the session's live card.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import cache
from typing import Any

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import buttons as b
from bot.domain import symptoms
from bot.domain.routine import BY_KEY, STEPS, Step, next_exercise_step
from bot.domain.schedule import local_today
from bot.domain.screening import ScreenStatus, is_stopped
from bot.domain.symptoms import HurtChoice
from bot.effects import Button, Keyboard
from bot.flows import phases, screening
from bot.flows.context import FlowContext, HoldTimer
from bot.illustrations import IllustrationKey
from bot.services import sessions, store
from bot.services.planner import plan_next
from bot.views import exercises as exercises_view
from bot.views import general as general_view
from bot.views import safety as safety_view
from bot.views import session as view
from db.models import ChatSlot, ExerciseResult, PracticeSession, User
from db.short import short
from db.states import Stage

END = len(STEPS)


class Action(StrEnum):
    RATE_BEFORE = "rate_before"
    RATE_AFTER = "rate_after"
    START_TIMER = "timer"
    DONE = "done"
    SKIP = "skip"
    HURT = "hurt"
    HOLD_OVER = "hold_over"
    GO_ON = "go_on"
    END = "end"
    NERVE = "nerve"
    SPREADING = "spreading"


class To(StrEnum):
    """Where a move leads; NEXT_* resolve to EXERCISE, or PAIN_AFTER after the last step."""

    EXERCISE = "exercise"
    HOLDING = "holding"
    HURT = "hurt"
    NEXT_STEP = "next_step"
    NEXT_EXERCISE = "next_exercise"
    PAIN_AFTER = "pain_after"
    DONE = "done"  # finished: completed or incomplete, by the results
    ENDED = "ended"  # stopped early for a new symptom: abandoned, results kept


TRANSITIONS: dict[tuple[Stage, Action], To] = {
    (Stage.PAIN_BEFORE, Action.RATE_BEFORE): To.EXERCISE,
    (Stage.EXERCISE, Action.START_TIMER): To.HOLDING,
    (Stage.EXERCISE, Action.DONE): To.NEXT_STEP,
    (Stage.EXERCISE, Action.SKIP): To.NEXT_STEP,
    (Stage.EXERCISE, Action.HURT): To.HURT,
    (Stage.HOLDING, Action.DONE): To.NEXT_STEP,
    (Stage.HOLDING, Action.HOLD_OVER): To.NEXT_STEP,
    (Stage.HOLDING, Action.HURT): To.HURT,
    (Stage.HURT, Action.GO_ON): To.NEXT_EXERCISE,
    (Stage.HURT, Action.END): To.PAIN_AFTER,
    (Stage.HURT, Action.NERVE): To.ENDED,
    (Stage.HURT, Action.SPREADING): To.ENDED,
    (Stage.PAIN_AFTER, Action.RATE_AFTER): To.DONE,
}

STEP_ACTIONS = {
    b.StepAction.TIMER: Action.START_TIMER,
    b.StepAction.DONE: Action.DONE,
    b.StepAction.SKIP: Action.SKIP,
    b.StepAction.HURT: Action.HURT,
}
HURT_ACTIONS = {
    HurtChoice.GO_ON: Action.GO_ON,
    HurtChoice.END_SESSION: Action.END,
    HurtChoice.NUMBNESS_WEAKNESS: Action.NERVE,
    HurtChoice.SPREADING: Action.SPREADING,
}
OUTCOMES = {Action.DONE: "done", Action.HOLD_OVER: "done", Action.SKIP: "skipped"}


@dataclass(frozen=True)
class Moved:
    stage: Stage
    step: int


def _target(to: To, step: int) -> tuple[Stage, int, str]:
    """(stage, step, status) a move ends in."""
    if to is To.NEXT_STEP or to is To.NEXT_EXERCISE:
        following = step + 1 if to is To.NEXT_STEP else next_exercise_step(step)
        return (Stage.EXERCISE if following < END else Stage.PAIN_AFTER), following, "open"
    if to is To.PAIN_AFTER:
        return Stage.PAIN_AFTER, END, "open"
    if to is To.ENDED:
        return Stage.DONE, step, "abandoned"
    if to is To.DONE:
        return Stage.DONE, step, "open"  # the caller sets completed/incomplete
    return Stage(to.value), step, "open"


def _plan(action: Action, step: int) -> tuple[list[Stage], tuple[Stage, int, str]]:
    """The stages `action` is allowed in, and where it leads from `step` (the same from each)."""
    sources = [stage for (stage, act) in TRANSITIONS if act is action]
    return sources, _target(TRANSITIONS[(sources[0], action)], step)


async def move(
    s: AsyncSession, session_id: int, user_id: int, step: int, action: Action, now: datetime, **values: object
) -> Moved | None:
    """Apply the table's move for `action` at `step`, once; None if the session is elsewhere.

    An action leads to one place from every stage it is allowed in (tests/test_flow_tables.py),
    so one conditional UPDATE over those stages is the whole move."""
    sources, (stage, following, status_) = _plan(action, step)
    changes: dict[str, object] = {"stage": stage, "step": following, **values}
    if stage is not Stage.HOLDING:
        changes["hold_until"] = None
    if status_ != "open":
        changes.update(status=status_, ended_at=now)
    result = await s.execute(
        update(PracticeSession)
        .where(
            PracticeSession.id == session_id,
            PracticeSession.user_id == user_id,
            PracticeSession.status == "open",
            PracticeSession.step == step,
            PracticeSession.stage.in_(sources),
        )
        .values(**changes)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return None
    return Moved(stage, following)


def slot(session_id: int) -> str:
    return f"s{session_id}"


# --------------------------------------------------------------------------- screens


def _pain_keyboard(session_id: int, when: b.PainWhen) -> Keyboard:
    row = [Button(str(n), b.PainButton(session_id, when, n).pack()) for n in range(11)]
    return (tuple(row[:6]), tuple(row[6:]))


@dataclass(frozen=True)
class Profile:
    """What a step card needs of its user; the quick tap reads it in its own UPDATE, so the
    user's row is never loaded on that path."""

    has_band: bool | None
    hold_seconds: dict[str, int]


Shown = User | Profile


def hold_seconds(user: Shown, step: Step) -> int:
    """The hold the timer runs: the user's chosen length for a ranged hold, else the dose."""
    return step.exercise.dose.hold_seconds(user.hold_seconds.get(step.exercise.key))


def media_key(user: Shown, step: Step) -> str:
    """The illustration a user sees for a step: the no-band form when they have no band."""
    return IllustrationKey.of(step.exercise, has_band=user.has_band is not False).slug


def _step_keyboard(ctx: FlowContext, user: Shown, session_id: int, step: Step) -> Keyboard:
    tr = ctx.tr

    def button(label: str, action: b.StepAction) -> Button:
        return Button(label, b.StepButton(session_id, step.index, action).pack())

    rows: list[tuple[Button, ...]] = []
    if step.exercise.dose.timed:
        rows.append((button(view.timer_button(tr, hold_seconds(user, step)), b.StepAction.TIMER),))
    if step.exercise.dose.ranged and step.exercise.dose.timed and step.first_side:
        chosen = user.hold_seconds.get(step.exercise.key)
        rows.append(
            tuple(
                Button(label, b.HoldButton(step.exercise.key, seconds).pack())
                for seconds, label in exercises_view.hold_choices(tr, step.exercise, hold_seconds=chosen)
            )
        )
    rows.append((button(view.done_button(tr), b.StepAction.DONE),))
    rows.append(
        (button(view.skip_button(tr), b.StepAction.SKIP), button(view.hurt_button(tr), b.StepAction.HURT))
    )
    return tuple(rows)


def _holding_keyboard(ctx: FlowContext, session_id: int, step: Step) -> Keyboard:
    tr = ctx.tr
    return (
        (Button(view.done_early_button(tr), b.StepButton(session_id, step.index, b.StepAction.DONE).pack()),),
        (Button(view.hurt_button(tr), b.StepButton(session_id, step.index, b.StepAction.HURT).pack()),),
    )


def _hurt_keyboard(ctx: FlowContext, session_id: int, step: Step) -> Keyboard:
    return tuple(
        (
            Button(
                safety_view.hurt_choice_label(ctx.tr, choice),
                b.HurtButton(session_id, step.index, choice).pack(),
            ),
        )
        for choice in HurtChoice
    )


def show(
    ctx: FlowContext,
    user: Shown,
    session_id: int,
    stage: Stage,
    step: int,
    *,
    renew: bool = False,
    lead: str | None = None,
) -> None:
    """Put the session's current screen on its live card (with the step's illustration)."""
    tr = ctx.tr
    if stage is Stage.PAIN_BEFORE:
        ctx.card(
            slot(session_id),
            view.pain_question(tr, after=False),
            _pain_keyboard(session_id, b.PainWhen.BEFORE),
            renew=renew,
        )
    elif stage is Stage.PAIN_AFTER:
        text = view.pain_question(tr, after=True)
        if lead:
            text = f"{lead}\n\n{text}"
        ctx.card(slot(session_id), text, _pain_keyboard(session_id, b.PainWhen.AFTER), renew=renew)
    elif stage is Stage.HURT:
        ctx.card(
            slot(session_id),
            safety_view.hurt_prompt(tr),
            _hurt_keyboard(ctx, session_id, STEPS[step]),
            renew=renew,
        )
    else:
        current = STEPS[step]
        variant = current.exercise.variant_for(user.has_band is not False)
        text = view.step_card(
            tr, current, variant=variant, hold_seconds=user.hold_seconds.get(current.exercise.key), lead=lead
        )
        ctx.card(
            slot(session_id),
            text,
            _step_keyboard(ctx, user, session_id, current),
            media=media_key(user, current),
            renew=renew,
        )


# --------------------------------------------------------------------------- starting


def refusal(ctx: FlowContext, user: User | None) -> bool:
    """Tell the user why they cannot start a session now; False if they can."""
    if user is None:
        ctx.send(general_view.not_started(ctx.tr))
        return True
    if screening.stopped(user):
        screening.show_stop(ctx, user)
        return True
    if not user.onboarded:
        ctx.send(general_view.finish_onboarding(ctx.tr))
        return True
    if screening.asking(user):
        screening.resume_round(ctx, user)
        return True
    return False


async def start(ctx: FlowContext, user: User | None) -> None:
    """/stretch and every "start now": a new session, or the offer to resume today's."""
    if refusal(ctx, user):
        return
    assert user is not None
    await phases.catch_up(ctx, user)
    today = local_today(ctx.now, user.timezone)
    current = await store.open_session(ctx.s, user.id)
    if current is not None and current.local_date == today:
        number = STEPS[current.step].exercise.number if current.step < END else None
        tr = ctx.tr
        ctx.send(
            view.resume_question(tr, number),
            (
                (Button(view.resume_continue(tr), b.ResumeButton(current.id, b.Resume.CONTINUE).pack()),),
                (
                    Button(view.resume_restart(tr), b.ResumeButton(current.id, b.Resume.RESTART).pack()),
                    Button(view.resume_end(tr), b.ResumeButton(current.id, b.Resume.END).pack()),
                ),
            ),
        )
        return
    if current is not None:
        ctx.retire(slot(current.id))
        await sessions.abandon_open(ctx.s, user.id, ctx.now)
    await _begin(ctx, user)


async def _begin(ctx: FlowContext, user: User) -> None:
    practice = await sessions.open_new(ctx.s, user.id, local_today(ctx.now, user.timezone), ctx.now)
    if practice is None:
        ctx.send(view.already_open(ctx.tr))
        return
    show(ctx, user, practice.id, Stage.PAIN_BEFORE, 0)


async def _own_session(
    ctx: FlowContext, session_id: int, step: int | None = None
) -> tuple[User, PracticeSession] | None:
    """The presser and their open session named by a button (at a real step, if one is named);
    None, with a notice, for anything else."""
    if step is not None and not 0 <= step < END:
        ctx.answer(general_view.expired(ctx.tr))
        return None
    user = await ctx.user()
    if user is None:
        ctx.answer(general_view.not_started(ctx.tr))
        return None
    practice = await ctx.s.get(PracticeSession, session_id)
    if practice is None or practice.user_id != user.id or practice.status != "open":
        ctx.answer(view.session_ended(ctx.tr))
        return None
    return user, practice


# --------------------------------------------------------------------------- buttons


async def rate(ctx: FlowContext, session_id: int, when: b.PainWhen, rating: int) -> None:
    if not 0 <= rating <= 10:
        ctx.answer(general_view.expired(ctx.tr))
        return
    owned = await _own_session(ctx, session_id)
    if owned is None:
        return
    user, practice = owned
    tr = ctx.tr
    if when is b.PainWhen.BEFORE:
        moved = await move(ctx.s, practice.id, user.id, 0, Action.RATE_BEFORE, ctx.now, pain_before=rating)
        if moved is None:
            ctx.answer(general_view.already_done(tr))
            return
        ctx.answer()
        if user.first_pain is None:
            user.first_pain = rating
        ctx.retire(slot(practice.id), view.pain_noted(tr, rating, after=False))
        previous = [r for _, r in await phases.before_ratings(ctx.s, user.id)][:-1]  # this one is stored
        today = local_today(ctx.now, user.timezone)
        watch = symptoms.on_pain_before(rating, previous, today, user.last_recheck_on)
        if watch.recheck:
            # The urgent signs first; the session waits and carries on once they are clear.
            screening.start_recheck(ctx, user, watch.triggers)
            return
        show(ctx, user, practice.id, moved.stage, moved.step)
        phases.offer_flare(ctx, user, watch.pain_rising)
        return
    moved = await move(ctx.s, practice.id, user.id, END, Action.RATE_AFTER, ctx.now, pain_after=rating)
    if moved is None:
        ctx.answer(general_view.already_done(tr))
        return
    ctx.answer()
    await _finish(ctx, user, practice, rating)


async def _finish(ctx: FlowContext, user: User, practice: PracticeSession, rating: int) -> None:
    results = await store.session_results(ctx.s, practice.id)
    summary = sessions.summarise(results)
    today = local_today(ctx.now, user.timezone)
    day_before = await phases.day_of(ctx, user, await phases.completed_days(ctx.s, user.id), today)
    await ctx.s.execute(
        update(PracticeSession)
        .where(PracticeSession.id == practice.id)
        .values(status="completed" if summary.counts else "incomplete", ended_at=ctx.now)
        .execution_options(synchronize_session=False)
    )
    tr = ctx.tr
    ctx.retire(slot(practice.id), view.pain_noted(tr, rating, after=True))
    lines, markup = await phases.after_session(ctx, user, counted=summary.counts, day_before=day_before)
    text = view.summary(tr, summary.done, summary.skipped, summary.stopped, practice.pain_before, rating)
    ctx.send(f"{text}\n\n{lines}" if lines else text, markup)
    # A counted day gets no more reminders today: the next one shown is the one that comes.
    plan_next(user, ctx.now, skip_today=summary.counts)
    await _watch_after(ctx, user, practice.pain_before, rating, today)


async def _watch_after(ctx: FlowContext, user: User, before: int | None, after: int, today: date) -> None:
    """Pain rose in the session: the 24-hour message and the next reminder's question; a clear
    rise re-checks the urgent signs; six weeks without improvement earn one suggestion."""
    tr = ctx.tr
    if before is not None and symptoms.pain_went_up(before, after):
        ctx.send(safety_view.settle_message(tr, before, after))
        user.pain_rose_on = today
    watch = symptoms.on_pain_in_session(before, [after], today, user.last_recheck_on)
    if watch.recheck:
        screening.start_recheck(ctx, user, watch.triggers)
    phases.offer_flare(ctx, user, watch.pain_rising)
    ratings = await phases.before_ratings(ctx.s, user.id)
    if symptoms.six_week_notice_due(ratings, user.six_week_sent_on is not None):
        result = symptoms.six_weeks(ratings)
        assert result is not None
        ctx.send(safety_view.six_week_advice(tr, result))
        user.six_week_sent_on = today


async def press(ctx: FlowContext, session_id: int, step: int, choice: b.StepAction) -> None:
    owned = await _own_session(ctx, session_id, step)
    if owned is None:
        return
    user, _ = owned
    action = STEP_ACTIONS[choice]
    current = STEPS[step]
    tr = ctx.tr
    if action is Action.START_TIMER:
        if not current.exercise.dose.timed:
            ctx.answer(general_view.expired(tr))
            return
        seconds = hold_seconds(user, current)
        real = seconds * ctx.settings.timer_scale
        moved = await move(
            ctx.s, session_id, user.id, step, action, ctx.now, hold_until=ctx.now + timedelta(seconds=real)
        )
        if moved is None:
            ctx.answer(view.moved_on(tr))
            return
        ctx.answer(view.timer_started(tr))
        variant = current.exercise.variant_for(user.has_band is not False)
        ctx.card(
            slot(session_id),
            view.holding(tr, current, variant, seconds),
            _holding_keyboard(ctx, session_id, current),
            media=media_key(user, current),
        )
        ctx.timers.append(HoldTimer(session_id, step, user.chat_id, user.locale, real))
        return
    if action is Action.HURT:
        moved = await move(ctx.s, session_id, user.id, step, action, ctx.now)
        if moved is None:
            ctx.answer(view.moved_on(tr))
            return
        await store.record_result(
            ctx.s, session_id, current.exercise.key, current.side, "stopped_pain", ctx.now
        )
        ctx.answer()
        show(ctx, user, session_id, moved.stage, moved.step)
        return
    moved = await move(ctx.s, session_id, user.id, step, action, ctx.now)
    if moved is None:
        ctx.answer(general_view.already_done(tr))
        return
    await store.record_result(
        ctx.s, session_id, current.exercise.key, current.side, OUTCOMES[action], ctx.now
    )
    ctx.answer()
    show(ctx, user, session_id, moved.stage, moved.step)


QUICK_ACTIONS = {b.StepAction.DONE: Action.DONE, b.StepAction.SKIP: Action.SKIP}
_STOPPED = tuple(status for status in ScreenStatus if is_stopped(status))


async def quick_press(ctx: FlowContext, session_id: int, step: int, choice: b.StepAction) -> bool:
    """Done or Skip on the current step (nearly every tap): one conditional UPDATE that
    moves the session, provided it is the presser's, open, at this step and the presser is
    not stopped, and returns what the next card needs of the user and the card itself; then
    the result's insert (on PostgreSQL inside the same statement). False when that UPDATE
    moved nothing: the transaction is untouched and the full path (the stop gate, then
    `press`) finds out what to say."""
    action = QUICK_ACTIONS.get(choice)
    if action is None or ctx.who is None or not 0 <= step < END:
        return False
    sources, (stage, following, _) = _plan(action, step)
    current = STEPS[step]
    params = {
        "q_session": session_id,
        "q_presser": ctx.who.telegram_id,
        "q_step": step,
        "q_sources": list(sources),
        "q_stage": stage,
        "q_following": following,
        "q_slot": slot(session_id),
    }
    postgres = ctx.s.get_bind().dialect.name == "postgresql"
    if postgres:
        result = {"r_key": current.exercise.key, "r_side": current.side, "r_outcome": OUTCOMES[action]}
        row = (await ctx.s.execute(_quick_move_recording(), {**params, **result, "r_at": ctx.now})).first()
    else:
        row = (await ctx.s.execute(_QUICK_MOVE, params)).first()
    if row is None:
        return False
    _, locale, has_band, holds, chat_id, card_id, card_kind, card_media = row
    ctx.use_locale(locale)
    ctx.slots_read[(chat_id, slot(session_id))] = (
        (card_id, card_kind, card_media) if card_id is not None else None
    )
    if not postgres:
        await store.record_result(
            ctx.s, session_id, current.exercise.key, current.side, OUTCOMES[action], ctx.now
        )
    ctx.answer()
    show(ctx, Profile(has_band, holds or {}), session_id, stage, following)
    return True


def _table(model: Any) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def _quick_move() -> Any:
    users, sessions_, slots = _table(User), _table(PracticeSession), _table(ChatSlot)
    owner = (
        select(users.c.id)
        .where(users.c.telegram_id == bindparam("q_presser"), users.c.screen_status.not_in(_STOPPED))
        .scalar_subquery()
    )

    def of_user(column: Any) -> Any:
        # Correlated to the updated row explicitly: one is nested in `of_card` below.
        return select(column).where(users.c.id == sessions_.c.user_id).correlate(sessions_).scalar_subquery()

    def of_card(column: Any) -> Any:
        # Nested, not a join: SQLite writes RETURNING's columns unqualified.
        return (
            select(column)
            .where(slots.c.chat_id == of_user(users.c.chat_id), slots.c.slot == bindparam("q_slot"))
            .scalar_subquery()
        )

    return (
        update(sessions_)
        .where(
            sessions_.c.id == bindparam("q_session"),
            sessions_.c.user_id == owner,
            sessions_.c.status == "open",
            sessions_.c.step == bindparam("q_step"),
            sessions_.c.stage.in_(bindparam("q_sources", expanding=True)),
        )
        .values(stage=bindparam("q_stage"), step=bindparam("q_following"), hold_until=None)
        .returning(
            sessions_.c.id,
            of_user(users.c.locale).label("locale"),
            of_user(users.c.has_band).label("has_band"),
            of_user(users.c.hold_seconds).label("hold_seconds"),
            of_user(users.c.chat_id).label("chat_id"),
            of_card(slots.c.message_id).label("card_id"),
            of_card(slots.c.kind).label("card_kind"),
            of_card(slots.c.media_key).label("card_media"),
        )
    )


@cache
def _quick_move_recording() -> Any:
    """PostgreSQL: the move and the result's insert as one statement (a data-modifying CTE:
    the insert takes the moved row's id, so no move, no result); one round trip fewer."""
    from sqlalchemy.dialects.postgresql import insert

    results = _table(ExerciseResult)
    moved = _quick_move().cte("moved")
    values = select(
        moved.c.id,
        bindparam("r_key", type_=results.c.exercise_key.type),
        bindparam("r_side", type_=results.c.side.type),
        bindparam("r_outcome", type_=results.c.outcome.type),
        bindparam("r_at", type_=results.c.recorded_at.type),
    )
    columns = ["session_id", "exercise_key", "side", "outcome", "recorded_at"]
    recorded = insert(results).from_select(columns, values).on_conflict_do_nothing().cte("recorded")
    return select(*moved.c).add_cte(recorded)


# Built once, run with the tap's values: building it on every tap cost more than running it.
_QUICK_MOVE = short(_quick_move())


async def hurt_choice(ctx: FlowContext, session_id: int, step: int, choice: HurtChoice) -> None:
    owned = await _own_session(ctx, session_id, step)
    if owned is None:
        return
    user, _ = owned
    moved = await move(ctx.s, session_id, user.id, step, HURT_ACTIONS[choice], ctx.now)
    tr = ctx.tr
    if moved is None:
        ctx.answer(general_view.already_done(tr))
        return
    ctx.answer()
    advice = safety_view.hurt_advice(tr, choice)
    if not symptoms.hurt_result(choice).trigger:
        show(ctx, user, session_id, moved.stage, moved.step, lead=advice)
        return
    # A nerve symptom ends the session: its advice, then the urgent signs again at once.
    ctx.retire(slot(session_id), advice)
    today = local_today(ctx.now, user.timezone)
    user.pain_rose_on = today
    watch = symptoms.on_hurt_choice(choice, today, user.last_recheck_on)
    if watch.recheck:
        screening.start_recheck(ctx, user, watch.triggers)


async def resume(ctx: FlowContext, session_id: int, choice: b.Resume) -> None:
    owned = await _own_session(ctx, session_id)
    if owned is None:
        return
    user, practice = owned
    tr = ctx.tr
    ctx.answer()
    if choice is b.Resume.CONTINUE:
        ctx.settle(view.resume_continue(tr))
        stage = practice.stage
        if stage is Stage.HOLDING:
            await ctx.s.execute(
                update(PracticeSession)
                .where(PracticeSession.id == practice.id, PracticeSession.stage == Stage.HOLDING)
                .values(stage=Stage.EXERCISE, hold_until=None)
                .execution_options(synchronize_session=False)
            )
            stage = Stage.EXERCISE
        show(ctx, user, practice.id, stage, practice.step, renew=True)
        return
    await sessions.abandon_open(ctx.s, user.id, ctx.now)
    ctx.retire(slot(practice.id))
    if choice is b.Resume.RESTART:
        ctx.settle(view.resume_restart(tr))
        await _begin(ctx, user)
    else:
        ctx.settle(view.ended_saved(tr))


# --------------------------------------------------------------------------- timers


async def _holding(ctx: FlowContext, session_id: int, step: int) -> tuple[User, PracticeSession] | None:
    practice = await ctx.s.get(PracticeSession, session_id)
    if (
        practice is None
        or practice.status != "open"
        or practice.stage is not Stage.HOLDING
        or practice.step != step
    ):
        return None
    user = await ctx.s.get(User, practice.user_id)
    if user is None:
        return None
    ctx.use_user(user)
    return user, practice


async def hold_tick(ctx: FlowContext, session_id: int, step: int, seconds_left: int) -> None:
    """The countdown on the card; nothing if the hold is no longer running."""
    found = await _holding(ctx, session_id, step)
    if found is None:
        return
    current = STEPS[step]
    user, _ = found
    variant = current.exercise.variant_for(user.has_band is not False)
    ctx.card(
        slot(session_id),
        view.holding(ctx.tr, current, variant, seconds_left),
        _holding_keyboard(ctx, session_id, current),
        media=media_key(user, current),
    )


async def hold_over(ctx: FlowContext, session_id: int, step: int) -> None:
    """The hold is over: record it done and show what comes next, as a new message (it buzzes)."""
    found = await _holding(ctx, session_id, step)
    if found is None:
        return
    user, _ = found
    moved = await move(ctx.s, session_id, user.id, step, Action.HOLD_OVER, ctx.now)
    if moved is None:
        return
    current = STEPS[step]
    await store.record_result(ctx.s, session_id, current.exercise.key, current.side, "done", ctx.now)
    following = STEPS[moved.step] if moved.step < END else None
    show(
        ctx,
        user,
        session_id,
        moved.stage,
        moved.step,
        renew=True,
        lead=view.time_up(ctx.tr, current, following),
    )


async def overdue_holds(s: AsyncSession, before: datetime) -> list[tuple[int, int, int]]:
    """(chat, session, step) of holds that should have ended by `before`."""
    rows = await s.execute(
        select(User.chat_id, PracticeSession.id, PracticeSession.step)
        .join(User, User.id == PracticeSession.user_id)
        .where(
            PracticeSession.hold_until <= before,
            PracticeSession.stage == Stage.HOLDING,
            PracticeSession.status == "open",
        )
        .limit(500)
    )
    return [(chat, sid, step) for chat, sid, step in rows]


# --------------------------------------------------------------------------- elsewhere


async def show_current(ctx: FlowContext, user: User) -> bool:
    """Free text mid-session: a one-line hint and the current card again, at the bottom."""
    practice = await store.open_session(ctx.s, user.id)
    if practice is None:
        return False
    ctx.send(view.mid_session_hint(ctx.tr))
    stage = practice.stage
    if stage is Stage.HOLDING:
        practice.stage = Stage.EXERCISE
        practice.hold_until = None
        stage = Stage.EXERCISE
    show(ctx, user, practice.id, stage, practice.step, renew=True)
    return True


async def choose_hold(ctx: FlowContext, exercise_key: str, seconds: int) -> None:
    """A hold length for a ranged hold: kept for next time; the open card shows it at once."""
    user = await ctx.user()
    exercise = BY_KEY.get(exercise_key)
    tr = ctx.tr
    if user is None or exercise is None or seconds not in exercise.dose.hold_choices():
        ctx.answer(general_view.expired(tr))
        return
    ctx.answer(exercises_view.hold_saved(tr, exercise, seconds))
    user.hold_seconds = {**user.hold_seconds, exercise.key: seconds}
    practice = await store.open_session(ctx.s, user.id)
    if (
        practice is not None
        and practice.stage is Stage.EXERCISE
        and STEPS[practice.step].exercise.key == exercise.key
    ):
        show(ctx, user, practice.id, practice.stage, practice.step)


async def carry_on(ctx: FlowContext, user: User) -> bool:
    """After a re-check came back clear: the interrupted session's card again, if any."""
    practice = await store.open_session(ctx.s, user.id)
    if practice is None or practice.local_date != local_today(ctx.now, user.timezone):
        return False
    show(ctx, user, practice.id, practice.stage, practice.step, renew=True)
    return True


async def cancel(ctx: FlowContext, user: User) -> bool:
    """/cancel inside a session: end it as abandoned, keeping its results."""
    practice = await store.open_session(ctx.s, user.id)
    if practice is None:
        return False
    ctx.retire(slot(practice.id), view.ended_saved(ctx.tr))
    await sessions.abandon_open(ctx.s, user.id, ctx.now)
    return True
