"""Views: every sentence the user reads, written through a Translator from plain values.

A view takes a `bot.i18n.Translator` and keys or values from `bot.domain` and returns
strings (texts and button labels). Views import no telegram and no database.
"""
