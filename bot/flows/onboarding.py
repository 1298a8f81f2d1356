"""Onboarding as a state machine, and the set-up answers /settings asks for again.

    welcome -(welcomed)-> disclaimer -(consented)-> screen -(screened)-> timezone
    -(zone set)-> reminder time -(time set)-> equipment -(band set)-> first -(go)-> done

The step is a typed column of the user row, read on every update, so a restart or a
second process continues exactly where the user was. Each step has one question (ASK);
an answer moves the step only along TRANSITIONS, so a stale button cannot skip one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import time
from enum import StrEnum

from bot import buttons as b
from bot.domain import phases as phase_rules
from bot.domain import places
from bot.domain.schedule import local_today
from bot.domain.timeparse import (
    offset_zone,
    parse_time,
    parse_timezone,
    suggest_timezones,
    timezone_from_location,
    zone_facts,
)
from bot.effects import Button, Keyboard, ReplyKeyboard
from bot.flows import phases, screening, session, status
from bot.flows.context import FlowContext
from bot.i18n import pick_locale
from bot.services import store
from bot.services.planner import plan_next, replan
from bot.views import general as general_view
from bot.views import onboarding as view
from bot.views import phases as phase_view
from bot.views import safety as safety_view
from db.models import User
from db.states import Awaiting, OnboardingStep, Phase


class Event(StrEnum):
    WELCOMED = "welcomed"
    CONSENTED = "consented"
    SCREENED = "screened"
    ZONE_SET = "zone_set"
    TIME_SET = "time_set"
    BAND_SET = "band_set"
    GO = "go"


S = OnboardingStep
TRANSITIONS: dict[tuple[OnboardingStep, Event], OnboardingStep] = {
    (S.WELCOME, Event.WELCOMED): S.DISCLAIMER,
    (S.DISCLAIMER, Event.CONSENTED): S.SCREEN,
    (S.SCREEN, Event.SCREENED): S.TIMEZONE,
    (S.TIMEZONE, Event.ZONE_SET): S.REMINDER_TIME,
    (S.REMINDER_TIME, Event.TIME_SET): S.EQUIPMENT,
    (S.EQUIPMENT, Event.BAND_SET): S.FIRST,
    (S.FIRST, Event.GO): S.DONE,
}

TIME_CHOICES = tuple(time(h) for h in (6, 7, 8, 9, 12, 17, 18, 19, 20, 21))
# UTC offsets (minutes) in the picker; typed offsets accept any in use.
OFFSETS: tuple[int, ...] = (
    *(-600, -480, -420, -360, -300, -240, -180, -120, -60, 0, 60, 120, 180, 210),
    *(240, 300, 330, 345, 360, 420, 480, 540, 570, 600, 660, 720, 780),
)


# --------------------------------------------------------------------------- questions


def _ask_welcome(ctx: FlowContext, user: User) -> None:
    tr = ctx.tr
    ctx.send(
        view.welcome(tr, user.first_name),
        ((Button(view.welcome_button(tr), b.IntroButton(b.Intro.WELCOME).pack()),),),
    )


def _ask_disclaimer(ctx: FlowContext, user: User) -> None:
    tr = ctx.tr
    ctx.send(
        safety_view.disclaimer(tr),
        ((Button(safety_view.disclaimer_button(tr), b.IntroButton(b.Intro.CONSENT).pack()),),),
    )


def _ask_screen(ctx: FlowContext, user: User) -> None:
    if user.screen_round is None:
        screening.start(ctx, user)
    else:
        screening.ask(ctx, user)


def ask_timezone(ctx: FlowContext, user: User) -> None:
    # The city gazetteer takes a second or two to load: start now, so it is ready when they type.
    places.warm_soon()
    tr = ctx.tr
    ctx.send(
        view.ask_timezone(tr),
        reply_keyboard=ReplyKeyboard(
            ((view.pick_offset_button(tr),), (view.keep_zone_button(tr, user.timezone),)),
            location_label=view.share_location_button(tr),
        ),
    )


def ask_time(ctx: FlowContext, user: User) -> None:
    tr = ctx.tr
    buttons = [Button(tr.time(t), b.TimeButton(t.hour * 60 + t.minute).pack()) for t in TIME_CHOICES]
    ctx.send(view.ask_time(tr), tuple(tuple(buttons[i : i + 3]) for i in range(0, len(buttons), 3)))


def band_keyboard(ctx: FlowContext) -> Keyboard:
    tr = ctx.tr
    return (
        (Button(view.band_yes(tr), b.BandButton(True).pack()),),
        (Button(view.band_no(tr), b.BandButton(False).pack()),),
    )


def _ask_band(ctx: FlowContext, user: User) -> None:
    ctx.send(view.ask_band(ctx.tr), band_keyboard(ctx))


def _ask_first(ctx: FlowContext, user: User) -> None:
    tr = ctx.tr
    ctx.send(
        view.ask_first(tr),
        (
            (Button(view.start_now(tr), b.GoButton(b.Go.NOW).pack()),),
            (Button(view.wait_for_reminder(tr), b.GoButton(b.Go.LATER).pack()),),
        ),
    )


ASK: dict[OnboardingStep, Callable[[FlowContext, User], None]] = {
    S.WELCOME: _ask_welcome,
    S.DISCLAIMER: _ask_disclaimer,
    S.SCREEN: _ask_screen,
    S.TIMEZONE: ask_timezone,
    S.REMINDER_TIME: ask_time,
    S.EQUIPMENT: _ask_band,
    S.FIRST: _ask_first,
}


def ask(ctx: FlowContext, user: User) -> None:
    """Ask whatever the user's step asks (after /start, or a hint)."""
    question = ASK.get(user.onboarding_step)
    if question is not None:
        question(ctx, user)


def advance(ctx: FlowContext, user: User, event: Event) -> bool:
    """Take the transition for `event` if the table has one from the current step."""
    target = TRANSITIONS.get((user.onboarding_step, event))
    if target is None:
        return False
    user.onboarding_step = target
    if target is S.DONE:
        user.phase = Phase.HABIT
        user.phase_started_on = local_today(ctx.now, user.timezone)
        plan_next(user, ctx.now)
    elif target is S.SCREEN:
        screening.start(ctx, user)
    else:
        ask(ctx, user)
    return True


# --------------------------------------------------------------------------- /start


async def start(ctx: FlowContext) -> None:
    who = ctx.who
    assert who is not None
    user = await store.get_or_create_user(
        ctx.s,
        who.telegram_id,
        who.chat_id,
        who.first_name,
        ctx.settings.default_timezone,
        locale=pick_locale(who.language_code),
    )
    ctx.use_user(user)
    user.chat_id = who.chat_id
    if user.blocked:
        user.blocked = False
        plan_next(user, ctx.now)
    if screening.stopped(user):
        screening.show_stop(ctx, user)
        return
    if not user.onboarded:
        ask(ctx, user)
        return
    if screening.asking(user):
        screening.resume_round(ctx, user)
        return
    await home(ctx, user)


async def home(ctx: FlowContext, user: User) -> None:
    tr = ctx.tr
    await phases.catch_up(ctx, user)
    facts, _, _ = await phases.facts(ctx, user)
    header = phase_view.render_line(tr, phase_rules.progress_header(user.phase), facts)
    text = "\n\n".join([view.welcome_back(tr, user.first_name), header])
    ctx.send(text, ((Button(view.start_session_button(tr), b.GoButton(b.Go.NOW).pack()),),))


# --------------------------------------------------------------------------- answers


async def _user_at(ctx: FlowContext, *steps: OnboardingStep) -> User | None:
    """The presser, if their set-up is at one of `steps`; else the button is stale."""
    user = await ctx.user()
    if user is None or user.onboarding_step not in steps:
        ctx.answer(general_view.expired(ctx.tr) if user else general_view.not_started(ctx.tr))
        return None
    ctx.answer()
    return user


async def on_intro(ctx: FlowContext, choice: b.Intro) -> None:
    if choice is b.Intro.WELCOME:
        user = await _user_at(ctx, S.WELCOME)
        if user is not None:
            ctx.settle(view.welcome_button(ctx.tr))
            advance(ctx, user, Event.WELCOMED)
        return
    user = await _user_at(ctx, S.DISCLAIMER)
    if user is not None:
        tr = ctx.tr
        ctx.settle(safety_view.disclaimer_button(tr))
        user.consent_at = ctx.now
        advance(ctx, user, Event.CONSENTED)


async def on_go(ctx: FlowContext, choice: b.Go) -> None:
    user = await ctx.user()
    tr = ctx.tr
    if user is None or not (user.onboarding_step is S.FIRST or (user.onboarded and choice is b.Go.NOW)):
        ctx.answer(general_view.expired(tr))
        return
    ctx.answer()
    advance(ctx, user, Event.GO)
    if choice is b.Go.LATER:
        ctx.settle(view.wait_for_reminder(tr))
        assert user.reminder_time is not None
        ctx.send(view.first_later(tr, user.reminder_time))
        return
    ctx.settle(view.start_now(tr))
    await session.start(ctx, user)


def _expects(user: User, awaiting: Awaiting, step: OnboardingStep) -> bool:
    return user.onboarding_step is step or (user.onboarded and user.awaiting is awaiting)


async def set_zone(ctx: FlowContext, user: User, zone: str) -> None:
    tr = ctx.tr
    user.timezone = zone
    ctx.send(view.zone_set(tr, zone_facts(zone, ctx.now)), remove_reply_keyboard=True)
    if not advance(ctx, user, Event.ZONE_SET):
        user.awaiting = None
        await replan(ctx.s, user, ctx.now)
        ctx.send(status.next_reminder_line(ctx, user))


async def set_time(ctx: FlowContext, user: User, at: time) -> None:
    user.reminder_time = at
    ctx.send(view.time_set(ctx.tr, at))
    if not advance(ctx, user, Event.TIME_SET):
        user.awaiting = None
        await replan(ctx.s, user, ctx.now)
        ctx.send(status.next_reminder_line(ctx, user))


async def on_zone_button(ctx: FlowContext, value: str) -> None:
    user = await ctx.user()
    if value.startswith(("+", "-")) or value.isdigit():
        try:
            zone = offset_zone(int(value))
        except ValueError:
            zone = None
    else:
        zone = parse_timezone(value)
    if user is None or zone is None or not _expects(user, Awaiting.TIMEZONE, S.TIMEZONE):
        ctx.answer(general_view.expired(ctx.tr))
        return
    ctx.answer()
    ctx.settle(zone)
    await set_zone(ctx, user, zone)


async def on_time_button(ctx: FlowContext, minutes: int) -> None:
    user = await ctx.user()
    if user is None or not 0 <= minutes < 24 * 60 or not _expects(user, Awaiting.TIME, S.REMINDER_TIME):
        ctx.answer(general_view.expired(ctx.tr))
        return
    ctx.answer()
    at = time(minutes // 60, minutes % 60)
    ctx.settle(ctx.tr.time(at))
    await set_time(ctx, user, at)


async def on_band(ctx: FlowContext, has_band: bool) -> None:
    user = await ctx.user()
    tr = ctx.tr
    if user is None or not (user.onboarding_step is S.EQUIPMENT or user.onboarded):
        ctx.answer(general_view.expired(tr))
        return
    ctx.answer()
    user.has_band = has_band
    ctx.settle(view.band_yes(tr) if has_band else view.band_no(tr))
    if not advance(ctx, user, Event.BAND_SET):
        ctx.send(view.band_saved(tr, has_band))


def _offset_grid(ctx: FlowContext) -> None:
    def label(minutes: int) -> str:
        sign = "+" if minutes >= 0 else "-"
        hours, mins = divmod(abs(minutes), 60)
        return f"UTC{sign}{hours}" + (f":{mins:02d}" if mins else "")

    buttons = [Button(label(m), b.ZoneButton(f"{m:+d}").pack()) for m in OFFSETS]
    ctx.send(view.pick_offset(ctx.tr), tuple(tuple(buttons[i : i + 4]) for i in range(0, len(buttons), 4)))


async def typed(ctx: FlowContext, user: User, text: str) -> bool:
    """Text typed while a time zone or a time is expected; False when neither is."""
    tr = ctx.tr
    if _expects(user, Awaiting.TIMEZONE, S.TIMEZONE):
        if text == view.pick_offset_button(tr):
            _offset_grid(ctx)
            return True
        keep = view.keep_zone_button(tr, user.timezone)
        # City names go through a gazetteer that may still be loading: off the event loop.
        zone = user.timezone if text == keep else await asyncio.to_thread(parse_timezone, text)
        if zone is not None:
            await set_zone(ctx, user, zone)
            return True
        found = await asyncio.to_thread(places.find_places, text)
        choices = [(p.label(user.locale), p.timezone) for p in found]
        if not choices:
            choices = [(z, z) for z in suggest_timezones(text)]
        buttons = tuple(
            (Button(label, b.ZoneButton(z).pack()),)
            for label, z in choices
            if len(b.ZoneButton(z).pack()) <= 64
        )
        ctx.send(view.zone_choices(tr) if found else view.zone_not_found(tr, text[:64]), buttons or None)
        return True
    if _expects(user, Awaiting.TIME, S.REMINDER_TIME):
        at = parse_time(text, user.locale)
        if at is None:
            ctx.send(view.time_not_read(tr, text[:64]))
            ask_time(ctx, user)
            return True
        await set_time(ctx, user, at)
        return True
    return False


async def located(ctx: FlowContext, user: User, latitude: float, longitude: float) -> bool:
    if not _expects(user, Awaiting.TIMEZONE, S.TIMEZONE):
        return False
    zone = timezone_from_location(latitude, longitude)
    if zone is None:
        ctx.send(view.zone_not_at_location(ctx.tr))
        return True
    await set_zone(ctx, user, zone)
    return True
