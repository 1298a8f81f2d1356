"""/settings, /pause, /resume: every change re-plans the next reminder at once."""

from __future__ import annotations

from bot import buttons as b
from bot.domain.routine import ROUTINE
from bot.domain.schedule import local_today
from bot.effects import Button, Keyboard
from bot.flows import onboarding, status
from bot.flows.context import FlowContext
from bot.i18n import NATIVE_NAMES, SUPPORTED
from bot.services import store
from bot.services.planner import replan
from bot.views import exercises as exercises_view
from bot.views import general as general_view
from bot.views import onboarding as onboarding_view
from bot.views import settings as view
from db.models import User
from db.states import Awaiting


async def _onboarded(ctx: FlowContext) -> User | None:
    user = await ctx.user()
    if user is None:
        ctx.send(general_view.not_started(ctx.tr))
        return None
    if not user.onboarded:
        ctx.send(general_view.finish_onboarding(ctx.tr))
        return None
    return user


def _keyboard(ctx: FlowContext, user: User) -> Keyboard:
    tr = ctx.tr

    def button(label: str, choice: b.SettingsChoice) -> Button:
        return Button(label, b.SettingsButton(choice).pack())

    pause = (
        button(view.resume_button(tr), b.SettingsChoice.RESUME)
        if user.paused
        else button(view.pause_button(tr), b.SettingsChoice.PAUSE)
    )
    return (
        (
            button(view.time_button(tr), b.SettingsChoice.TIME),
            button(view.zone_button(tr), b.SettingsChoice.TIMEZONE),
        ),
        (
            button(view.days_button(tr), b.SettingsChoice.DAYS),
            button(view.language_button(tr), b.SettingsChoice.LANGUAGE),
        ),
        (
            button(view.band_button(tr), b.SettingsChoice.BAND),
            button(view.hold_button(tr), b.SettingsChoice.HOLD),
        ),
        (pause,),
        (Button(view.flare_button(tr), b.FlareButton(b.FlareChoice.REPORT).pack()),),
    )


def _summary(ctx: FlowContext, user: User) -> str:
    text = view.summary(
        ctx.tr,
        user.reminder_time,
        user.timezone,
        sorted(user.weekdays),
        user.paused,
        user.locale,
        user.has_band,
    )
    return f"{text}\n\n{status.next_reminder_line(ctx, user)}"


async def show(ctx: FlowContext) -> None:
    user = await _onboarded(ctx)
    if user is not None:
        ctx.send(_summary(ctx, user), _keyboard(ctx, user))


async def set_paused(ctx: FlowContext, paused: bool) -> None:
    user = await _onboarded(ctx)
    if user is None:
        return
    await _pause(ctx, user, paused)


async def _pause(ctx: FlowContext, user: User, paused: bool) -> None:
    if paused and not user.paused:
        await store.start_pause(ctx.s, user.id, local_today(ctx.now, user.timezone), "user")
    elif not paused and user.paused:
        await store.end_pause(ctx.s, user.id, local_today(ctx.now, user.timezone))
    user.paused = paused
    await replan(ctx.s, user, ctx.now)
    if paused:
        ctx.send(view.paused(ctx.tr))
    else:
        ctx.send(f"{view.resumed(ctx.tr)} {status.next_reminder_line(ctx, user)}")


def _days_keyboard(ctx: FlowContext, user: User) -> Keyboard:
    tr = ctx.tr
    days = user.weekdays
    row = [
        Button(("✅ " if d in days else "") + tr.weekday(d), b.WeekdayButton(d, False).pack())
        for d in range(7)
    ]
    return (tuple(row[:4]), tuple(row[4:]), (Button(view.save(tr), b.WeekdayButton(0, True).pack()),))


async def on_button(ctx: FlowContext, choice: b.SettingsChoice) -> None:
    user = await ctx.presser()
    if user is None:
        return
    tr = ctx.tr
    if choice is b.SettingsChoice.TIME:
        user.awaiting = Awaiting.TIME
        onboarding.ask_time(ctx, user)
    elif choice is b.SettingsChoice.TIMEZONE:
        user.awaiting = Awaiting.TIMEZONE
        onboarding.ask_timezone(ctx, user)
    elif choice is b.SettingsChoice.DAYS:
        ctx.send(view.pick_days(tr), _days_keyboard(ctx, user))
    elif choice is b.SettingsChoice.LANGUAGE:
        ctx.send(
            view.pick_language(tr),
            tuple((Button(NATIVE_NAMES[code], b.LanguageButton(code).pack()),) for code in SUPPORTED),
        )
    elif choice is b.SettingsChoice.BAND:
        ctx.send(onboarding_view.ask_band(tr), onboarding.band_keyboard(ctx))
    elif choice is b.SettingsChoice.HOLD:
        for exercise in ROUTINE:
            choices = exercises_view.hold_choices(
                tr, exercise, hold_seconds=user.hold_seconds.get(exercise.key)
            )
            if choices:
                ctx.send(
                    exercises_view.hold_question(tr, exercise),
                    (tuple(Button(label, b.HoldButton(exercise.key, s).pack()) for s, label in choices),),
                )
    else:
        await _pause(ctx, user, choice is b.SettingsChoice.PAUSE)


async def on_weekday(ctx: FlowContext, day: int, save: bool) -> None:
    user = await ctx.user()
    tr = ctx.tr
    if user is None or not user.onboarded or not 0 <= day <= 6:
        ctx.answer(general_view.expired(tr))
        return
    if save:
        ctx.answer()
        await replan(ctx.s, user, ctx.now)
        ctx.edit_pressed(view.saved_days(tr, sorted(user.weekdays)))
        if len(user.weekdays) < 3:
            ctx.send(view.few_days_tip(tr))
        return
    days = set(user.weekdays)
    if day in days and len(days) == 1:
        ctx.answer(view.keep_one_day(tr))
        return
    days.symmetric_difference_update({day})
    user.weekdays = frozenset(days)
    await replan(ctx.s, user, ctx.now)
    ctx.answer()
    ctx.edit_pressed(view.pick_days(tr), _days_keyboard(ctx, user))


async def on_language(ctx: FlowContext, locale: str) -> None:
    user = await ctx.user()
    if user is None or locale not in SUPPORTED:
        ctx.answer(general_view.expired(ctx.tr))
        return
    ctx.answer()
    user.locale = locale
    ctx.use_user(user)  # speak the new language from here on
    ctx.settle(NATIVE_NAMES[locale])
    ctx.send(view.language_set(ctx.tr))
