"""A Translator that marks every piece it translates (a test double)."""

from __future__ import annotations

from typing import Any

from bot.i18n import Translator


class Pseudo(Translator):
    """Marks every translated piece, so a sentence that bypasses the Translator shows."""

    def __init__(self) -> None:
        super().__init__("en")

    def _(self, msgid: str, /, **params: Any) -> str:
        return "⟦" + super()._(msgid, **params) + "⟧"

    def n_(self, singular: str, plural: str, n: int, /, **params: Any) -> str:
        return "⟦" + super().n_(singular, plural, n, **params) + "⟧"

    def p_(self, context: str, msgid: str, /, **params: Any) -> str:
        return "⟦" + super().p_(context, msgid, **params) + "⟧"
