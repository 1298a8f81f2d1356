"""The whole bot in each language: onboarding, a full session, a reminder, /progress and
/settings, with typed times and cities in the user's language, and no English left in a
non-English run (beyond names, commands and units). Buttons are pressed by their data, so
the same journey runs in every language."""

from __future__ import annotations

import re

import pytest

from bot.buttons import (
    BandButton,
    Go,
    GoButton,
    Intro,
    IntroButton,
    PainButton,
    PainWhen,
    ScreenAnswer,
    StepAction,
    StepButton,
)
from bot.domain.routine import STEPS
from bot.domain.screening import QUESTIONS
from db.engine import Database
from db.models import PracticeSession
from tests.harness import Harness, running_bot
from tgemu import TelegramUser

# What a person types, in their language: a city in its local spelling and a time in words.
TYPED = {
    "en": ("Munich", "7pm", "Europe/Berlin"),
    "de": ("München", "19 Uhr", "Europe/Berlin"),
    "es": ("Ciudad de México", "7 de la tarde", "America/Mexico_City"),
    "ru": ("Москва", "7 вечера", "Europe/Moscow"),
}
# Words that would only be there if a sentence stayed English.
ENGLISH = re.compile(
    r"\b(the|your|you|and|with|session|sessions|stretch|today|tomorrow|reminder|please|pain|"
    r"exercise|done|skip|hold|seconds|week|days?|start|now|settings|time zone)\b",
    re.IGNORECASE,
)
# Names and tokens that are the same in every language.
NEUTRAL = re.compile(
    r"/[a-z_]+|Stretch Coach|[A-Z][a-z]+/[A-Za-z_]+|UTC[+-]\d\d:\d\d|https?://\S+|\b[A-Z][a-z]+_[A-Z]\w+"
)


def english_words(text: str) -> list[str]:
    return ENGLISH.findall(NEUTRAL.sub(" ", text))


async def _session_id(h: Harness) -> int:
    from sqlalchemy import select

    async with h.db.session() as s:
        return int(
            (await s.execute(select(PracticeSession.id).order_by(PracticeSession.id.desc())))
            .scalars()
            .first()
        )


async def journey(h: Harness, user: TelegramUser, locale: str) -> None:
    city, typed_time, zone = TYPED[locale]
    await h.say(user, "/start")
    await h.press(user, IntroButton(Intro.WELCOME).pack())
    await h.press(user, IntroButton(Intro.CONSENT).pack())
    for question in QUESTIONS:
        await h.press(user, ScreenAnswer(question.key, False).pack())
    await h.say(user, city)
    await h.say(user, typed_time)
    await h.press(user, BandButton(False).pack())
    await h.press(user, GoButton(Go.NOW).pack())
    session = await _session_id(h)
    await h.press(user, PainButton(session, PainWhen.BEFORE, 4).pack())
    await h.press(user, StepButton(session, 0, StepAction.TIMER).pack())
    await h.fake.wait_for(
        lambda: user.last_bot_message().buttons and len(user.last_bot_message().buttons) > 2, 5
    )
    for step in STEPS[1:]:
        await h.press(user, StepButton(session, step.index, StepAction.DONE).pack())
    await h.press(user, PainButton(session, PainWhen.AFTER, 3).pack())
    stored = await h.db_user(user.user_id)
    assert stored is not None and stored.timezone == zone and stored.reminder_time is not None
    assert (stored.reminder_time.hour, stored.reminder_time.minute) == (19, 0)
    assert stored.locale == locale
    # The next day's reminder, then /progress and /settings.
    assert stored.next_reminder_at is not None
    h.now = stored.next_reminder_at
    await h.dispatch()
    await h.say(user, "/progress")
    await h.say(user, "/settings")
    await h.say(user, "/help")


@pytest.mark.parametrize("locale", ["de", "es", "ru", "en"])
async def test_the_whole_bot_speaks_the_users_language(db: Database, locale: str) -> None:
    async with running_bot(db) as h:
        user = h.user(5000, "Kim", language_code=locale)
        await journey(h, user, locale)
        gone = [m.payload.get("caption") or m.payload.get("text") or "" for m in h.fake.deleted]
        texts = [m.text or "" for m in user.bot_messages()] + gone  # step cards are replaced
        buttons = [label for m in user.bot_messages() for label in m.buttons]
        everything = "\n".join(texts + buttons)
        assert len(texts) > 20 and h.errors == []
        if locale == "en":
            assert len(english_words(everything)) > 50  # the detector does see English
            return
        leftovers = [(t, english_words(t)) for t in texts + buttons if english_words(t)]
        assert leftovers == []
        # The reminder, the session card and /progress are among what was read.
        assert any(send.method == "sendAnimation" for send in h.fake.sends(user.chat_id))
        assert any(m.attachment is not None and m.attachment.kind == "photo" for m in user.bot_messages())
        commands = await h.runtime.bot.get_my_commands(language_code=locale)
        assert commands and not any(english_words(c.description) for c in commands)
