"""Everything the bot says, in one place: short, phone-sized, never scolding."""

from __future__ import annotations

WELCOME = (
    "Hi {name}! I'm Stretch Coach.\n\n"
    "I'll guide you through 7 gentle stretches and exercises for sciatica. "
    "They take about 15-20 minutes.\n\n"
    "The plan: once a day for 21 days until it becomes a habit, "
    "then 3-4 times a week to keep your back happy."
)
DISCLAIMER = (
    "Before we start: I'm a practice companion, not a doctor, and this is not medical advice.\n\n"
    "Please see a clinician for a proper diagnosis of your back or leg pain, "
    "if you haven't already."
)
SCREEN_INTRO = (
    "A few quick safety questions. Answer each with yes or no; they matter even if they seem unrelated."
)
RESCREEN_INTRO = "Your pain has gone up, so let's re-check a few safety signs."
EMERGENCY = (
    "⚠️ Please stop here and get help now: go to the emergency department "
    "or call your local emergency number.\n\n"
    "What you describe can mean a nerve is badly squeezed, and that needs a doctor today. "
    "I've paused your program and won't send reminders.\n\n"
    "When a doctor has checked you, send /start to answer the safety questions again."
)
SEE_DOCTOR = (
    "Thanks for telling me. Please see a doctor before you start these exercises; "
    "that sign is worth checking first.\n\n"
    "I've paused your program. Once a clinician says exercise is fine for you, tap the button below."
)
SCREEN_CLEAR = "All clear, thank you."
ASK_TIMEZONE = (
    "Which time zone are you in? It keeps your reminders at your local time.\n\n"
    "• Tap “📍 Share my location” (on your phone), or\n"
    "• type your city or a zone name, like Berlin or America/New_York, or\n"
    "• pick your UTC offset."
)
TIMEZONE_HINT = (
    "I couldn't find a time zone for “{text}”. Try a big city near you (Paris, Chicago, Mumbai), "
    "a zone like Europe/Berlin, or tap “Pick UTC offset”."
)
TIMEZONE_SUGGEST = "Did you mean one of these?"
TIMEZONE_SET = "Time zone set: {zone}."
ASK_TIME = "What time should I remind you each day? Tap a time or type one, like 07:30 or 7pm."
TIME_HINT = "I couldn't read “{text}” as a time. Try 07:30, 19:00 or 7pm."
TIME_SET = "Reminders at {time} your time."
ASK_FIRST = "You're all set! Do your first session now, or wait for your first reminder?"
FIRST_LATER = "Great. I'll remind you at {time}. Send /stretch any time you want to start sooner."
HELP = (
    "Here's what I can do:\n"
    "/stretch - start or continue today's session\n"
    "/progress - your streak, pain trend and a picture\n"
    "/settings - reminder time, time zone, practice days, pause\n"
    "/pause - pause reminders\n"
    "/resume - resume reminders\n"
    "/export - download all your data\n"
    "/delete - erase everything about you\n"
    "/cancel - leave whatever we're doing\n"
    "/help - this list\n\n"
    "Not medical advice. Stop any exercise that hurts, and see a clinician if pain spreads "
    "down your leg or you notice numbness or weakness."
)
COMMANDS: tuple[tuple[str, str], ...] = (
    ("stretch", "Start or continue today's session"),
    ("progress", "Streak, pain trend and a picture"),
    ("settings", "Reminder time, time zone, days, pause"),
    ("pause", "Pause reminders"),
    ("resume", "Resume reminders"),
    ("export", "Download your data"),
    ("delete", "Erase your data"),
    ("help", "What I can do"),
    ("cancel", "Leave the current step"),
)
GROUP_ONLY_PRIVATE = "I work in a private chat. Tap my name and send me /start there."
NOT_STARTED = "We haven't met yet. Send /start to begin."
FINISH_ONBOARDING = "Let's finish setting up first. Send /start to pick up where you left off."
BLOCKED_EMERGENCY = (
    "Your program is paused because of an urgent safety answer. If you haven't yet, "
    "please get medical help now. When a doctor has checked you, send /start to re-do the "
    "safety questions."
)
BLOCKED_DOCTOR = (
    "Your program is paused until a clinician clears you to exercise. Send /start when they have."
)
UNKNOWN_COMMAND = "I don't know that command. Send /help to see what I can do."
FREE_TEXT_IDLE = "I work with buttons and commands. Send /stretch to practise or /help for more."
BUTTON_EXPIRED = "That button has expired."
NOT_YOURS = "That button isn't for you."
CANCELLED = "Okay, stopped. Send /help to see what I can do."
NOTHING_TO_CANCEL = "Nothing to cancel. Send /help to see what I can do."
ERROR = "Sorry, something went wrong on my side. Please try again in a moment."
USE_BUTTONS = "Please tap one of the buttons above."
