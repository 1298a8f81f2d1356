"""What the bot says: every sentence, through the user's Translator. No I/O, no Telegram.

Views take a Translator and plain values and return text (and button labels); flows put
them into effects. Domain modules return keys and numbers, and the views turn them into
words, so a sentence exists in exactly one place and in every catalog.
"""

from bot.views import general

__all__ = ["general"]
