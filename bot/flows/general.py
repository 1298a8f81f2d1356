"""Everything that is not a button or a command with its own flow: typed text, shared
locations, other media, /help, /urgent, /cancel, and a user blocking the bot."""

from __future__ import annotations

from sqlalchemy import update

from bot.flows import onboarding, screening, session
from bot.flows.context import FlowContext
from bot.views import general as view
from bot.views import safety as safety_view
from db.models import User


async def _hint(ctx: FlowContext, user: User) -> None:
    """Where the user stands, again: the stop, the open session, or the set-up question."""
    if screening.stopped(user):
        screening.show_stop(ctx, user)
        return
    if screening.asking(user) and (user.onboarded or user.onboarding_step.value == "screen"):
        ctx.send(view.use_buttons(ctx.tr))
        screening.resume_round(ctx, user)
        return
    if await session.show_current(ctx, user):
        return
    if not user.onboarded:
        ctx.send(view.use_buttons(ctx.tr))
        onboarding.ask(ctx, user)
        return
    ctx.send(view.idle_hint(ctx.tr))


async def _known(ctx: FlowContext) -> User | None:
    user = await ctx.user()
    if user is None:
        ctx.send(view.not_started(ctx.tr))
    return user


async def on_text(ctx: FlowContext, text: str) -> None:
    user = await _known(ctx)
    if user is None:
        return
    if text and not screening.stopped(user) and await onboarding.typed(ctx, user, text[:200]):
        return
    await _hint(ctx, user)


async def on_location(ctx: FlowContext, latitude: float, longitude: float) -> None:
    user = await _known(ctx)
    if user is None:
        return
    if not screening.stopped(user) and await onboarding.located(ctx, user, latitude, longitude):
        return
    ctx.send(view.location_not_kept(ctx.tr))
    await _hint(ctx, user)


async def on_other(ctx: FlowContext) -> None:
    user = await _known(ctx)
    if user is None:
        return
    ctx.send(view.cannot_read(ctx.tr))
    await _hint(ctx, user)


async def on_unknown_command(ctx: FlowContext) -> None:
    await ctx.user()
    ctx.send(view.unknown_command(ctx.tr))


async def help_(ctx: FlowContext) -> None:
    await ctx.user()
    ctx.send(view.help_text(ctx.tr, safety_view.help_signs(ctx.tr)))


async def urgent(ctx: FlowContext) -> None:
    await ctx.user()
    ctx.send(safety_view.urgent(ctx.tr))


async def cancel(ctx: FlowContext) -> None:
    user = await ctx.user()
    tr = ctx.tr
    if user is None:
        ctx.send(view.nothing_to_cancel(tr))
        return
    if await session.cancel(ctx, user):
        ctx.send(view.cancelled_session(tr), remove_reply_keyboard=True)
    elif user.awaiting is not None:
        user.awaiting = None
        ctx.send(view.cancelled_input(tr), remove_reply_keyboard=True)
    elif not user.onboarded:
        ctx.send(view.cancelled_onboarding(tr), remove_reply_keyboard=True)
    else:
        ctx.send(view.nothing_to_cancel(tr))


def in_group(ctx: FlowContext, is_command: bool) -> None:
    """Groups only hear, in answer to a command, that the bot works in private."""
    if is_command:
        ctx.send(view.private_only(ctx.tr))


async def blocked(ctx: FlowContext, telegram_id: int) -> None:
    """The user blocked the bot: no reminders until they send /start again."""
    await ctx.s.execute(
        update(User).where(User.telegram_id == telegram_id).values(blocked=True, next_reminder_at=None)
    )
